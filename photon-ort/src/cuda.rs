//! ONNX Runtime on NVIDIA GPUs: the `onnxruntime-gpu` wheel's library, the CUDA and cuDNN
//! libraries its pip dependencies install beside it, and the CUDA execution provider registered
//! so that a failure is an error rather than ONNX Runtime's silent fall-back to the CPU.

use crate::OrtError;
use crate::wheel::find_wheel_library;
use ort::session::builder::SessionBuilder;
use std::path::{Path, PathBuf};

/// The folder under the models folder where `photon models fetch --gpu` installs the
/// `onnxruntime-gpu` wheel and its CUDA/cuDNN wheels.
pub const GPU_RUNTIME_DIR: &str = "onnxruntime-gpu";

/// The GPU build of ONNX Runtime: `ORT_DYLIB_PATH`, else the `onnxruntime-gpu` wheel in
/// `models/onnxruntime-gpu`.
pub fn gpu_runtime_library_in(models: &Path) -> Result<PathBuf, OrtError> {
    std::env::var_os("ORT_DYLIB_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| find_wheel_library(&models.join(GPU_RUNTIME_DIR)))
        .ok_or_else(|| OrtError::GpuLibraryNotConfigured(models.to_path_buf()))
}

/// CUDA, cuBLAS, cuFFT, cuRAND, NVRTC and cuDNN in the order they depend on each other: the
/// sonames the CUDA provider asks for, by prefix.
const CUDA_LIBRARIES: &[&str] = &[
    "libcudart.so.",
    "libnvJitLink.so.",
    "libcublasLt.so.",
    "libcublas.so.",
    "libcufft.so.",
    "libcurand.so.",
    "libnvrtc.so.",
    "libcudnn.so.",
    "libcudnn_graph.so.",
    "libcudnn_ops.so.",
    "libcudnn_heuristic.so.",
    "libcudnn_adv.so.",
    "libcudnn_cnn.so.",
    "libcudnn_engines_precompiled.so.",
    "libcudnn_engines_runtime_compiled.so.",
];

/// Loads the CUDA and cuDNN libraries that pip installed beside the wheel (`nvidia/*/lib`, as
/// Python's `onnxruntime.preload_dlls` does), so the CUDA provider finds them without
/// `LD_LIBRARY_PATH`. Libraries not found there are left to the system's search path; what
/// failed to load is returned for the error message should the provider not register.
pub(crate) fn preload_cuda_libraries(runtime: &Path) -> Vec<String> {
    // runtime = <target>/onnxruntime/capi/libonnxruntime.so.X
    let Some(target) = runtime.ancestors().nth(3) else {
        return Vec::new();
    };
    let candidates = nvidia_libraries(&target.join("nvidia"));
    let mut failures = Vec::new();
    for prefix in CUDA_LIBRARIES {
        let found = candidates.iter().find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        });
        if let Some(path) = found
            && let Err(e) = ort::util::preload_dylib(path)
        {
            failures.push(format!("{}: {e}", path.display()));
        }
    }
    failures
}

/// Every file in `nvidia/<package>/lib` and `nvidia/<package>/<version>/lib`.
fn nvidia_libraries(nvidia: &Path) -> Vec<PathBuf> {
    let children = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let mut files = Vec::new();
    for package in children(nvidia) {
        let mut lib_dirs = vec![package.join("lib")];
        lib_dirs.extend(children(&package).into_iter().map(|p| p.join("lib")));
        for lib in lib_dirs.iter().filter(|d| d.is_dir()) {
            files.extend(children(lib));
        }
    }
    files.sort();
    files
}

/// Registers the CUDA execution provider on device `ordinal`; its failure is the error.
pub(crate) fn register_cuda(
    builder: SessionBuilder,
    ordinal: u32,
    preload_failures: &[String],
) -> Result<SessionBuilder, OrtError> {
    let provider = ort::ep::CUDA::default()
        .with_device_id(ordinal as i32)
        .build()
        .error_on_failure();
    builder.with_execution_providers([provider]).map_err(|e| {
        let mut message = e.to_string().trim_end_matches('.').to_owned();
        if !preload_failures.is_empty() {
            message += &format!(" (could not load: {})", preload_failures.join("; "));
        }
        OrtError::Device {
            device: format!("cuda:{ordinal}"),
            message,
        }
    })
}
