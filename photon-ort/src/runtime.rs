//! Finding and loading the ONNX Runtime library, once per process.

use ort::environment::Environment;
use photon_backend_common::{Device, ModelFileError};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use thiserror::Error;

/// Why ONNX Runtime or a model could not be set up.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OrtError {
    /// No library path was given, `ORT_DYLIB_PATH` is not set and the models folder holds no
    /// installed wheel.
    #[error(
        "ONNX Runtime library not found: set ORT_DYLIB_PATH to libonnxruntime.so.1.32.0 from the PyPI wheel \
         `onnxruntime==1.32.0`, or install the wheel with `pip install --target {0}/onnxruntime onnxruntime==1.32.0`"
    )]
    LibraryNotConfigured(PathBuf),
    /// `--device cuda` was asked for but no GPU build of ONNX Runtime was found.
    #[error(
        "no GPU build of ONNX Runtime: install the onnxruntime-gpu wheel and its CUDA/cuDNN wheels into \
         {0}/onnxruntime-gpu, or point ORT_DYLIB_PATH at a CUDA-enabled libonnxruntime.so"
    )]
    GpuLibraryNotConfigured(PathBuf),
    /// The execution provider for the device could not be registered; nothing falls back to
    /// the CPU.
    #[error("cannot run on {device}: {message}. Photon does not fall back to the CPU")]
    Device {
        /// The device asked for.
        device: String,
        /// ONNX Runtime's message.
        message: String,
    },
    /// The library could not be loaded.
    #[error(
        "cannot load ONNX Runtime from {path}: {message}. Point ORT_DYLIB_PATH at libonnxruntime.so.1.32.0 \
         (PyPI wheel `onnxruntime==1.32.0`, file onnxruntime/capi/libonnxruntime.so.1.32.0)"
    )]
    Library {
        /// The path tried.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The model file is not named or not there.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    /// ONNX Runtime refused the model.
    #[error("cannot load model {file}: {message}")]
    Load {
        /// The model file.
        file: PathBuf,
        /// ONNX Runtime's message.
        message: String,
    },
    /// Session options were refused.
    #[error("cannot configure an ONNX Runtime session: {0}")]
    Session(String),
    /// The model does not have the spec's input or outputs.
    #[error("model does not match its spec: {0}")]
    Interface(String),
}

/// The environment and the library it was loaded from.
static ENVIRONMENT: OnceLock<Result<(Environment, PathBuf), String>> = OnceLock::new();

/// The ONNX Runtime library that will be loaded: `explicit`, else as
/// [`runtime_library_in`] finds it in the models folder
/// ([`models_dir`](photon_backend_common::models_dir)).
pub fn runtime_library(explicit: Option<&Path>) -> Result<PathBuf, OrtError> {
    match explicit {
        Some(path) => Ok(path.to_path_buf()),
        None => runtime_library_in(&photon_backend_common::models_dir()),
    }
}

/// The ONNX Runtime library: `ORT_DYLIB_PATH`, else the wheel installed in `models`
/// (`models/onnxruntime`, as `photon models fetch` leaves it).
pub fn runtime_library_in(models: &Path) -> Result<PathBuf, OrtError> {
    std::env::var_os("ORT_DYLIB_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| crate::wheel::find_wheel_library(&models.join("onnxruntime")))
        .ok_or_else(|| OrtError::LibraryNotConfigured(models.to_path_buf()))
}

/// Loads ONNX Runtime and creates the process's one environment (ONNX Runtime allows only one,
/// ever). Later calls return the same environment, or the same error.
pub(crate) fn init_runtime(
    library: Option<&Path>,
    device: Device,
) -> Result<(&'static Environment, PathBuf), OrtError> {
    let path = match (library, device) {
        (Some(path), _) => path.to_path_buf(),
        (None, Device::Cpu) => runtime_library(None)?,
        (None, _) => crate::cuda::gpu_runtime_library_in(&photon_backend_common::models_dir())?,
    };
    let result = ENVIRONMENT.get_or_init(|| {
        if !path.is_file() {
            return Err(format!("{} does not exist", path.display()));
        }
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        builder
            .with_name("photon")
            .build()
            .map(|environment| (environment, path.clone()))
            .map_err(|e| e.to_string())
    });
    match result {
        Ok((environment, loaded)) => Ok((environment, loaded.clone())),
        Err(message) => Err(OrtError::Library {
            path,
            message: message.clone(),
        }),
    }
}
