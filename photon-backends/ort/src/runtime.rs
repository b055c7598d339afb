//! Finding and loading the ONNX Runtime library, once per process.

use ort::environment::Environment;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use thiserror::Error;

/// Why ONNX Runtime or a model could not be set up.
#[derive(Debug, Error)]
pub enum OrtError {
    /// No library path was given and `ORT_DYLIB_PATH` is not set.
    #[error(
        "ONNX Runtime library not configured: set ORT_DYLIB_PATH to libonnxruntime.so.1.32.0 from the PyPI wheel \
         `onnxruntime==1.32.0` (`photon models fetch` or scripts/setup.sh installs it and prints the path)"
    )]
    LibraryNotConfigured,
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
    /// The spec names no model file.
    #[error("the model spec has no model file")]
    NoModelFile,
    /// The model file does not exist.
    #[error("model file {0} not found (install the default model with `photon models fetch`)")]
    ModelMissing(PathBuf),
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

static ENVIRONMENT: OnceLock<Result<Environment, String>> = OnceLock::new();

/// The library path that will be used: `explicit`, else `ORT_DYLIB_PATH`.
pub fn runtime_library(explicit: Option<&Path>) -> Result<PathBuf, OrtError> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("ORT_DYLIB_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .ok_or(OrtError::LibraryNotConfigured)
}

/// Loads ONNX Runtime and creates the process's one environment (ONNX Runtime allows only one,
/// ever). Later calls return the same environment, or the same error.
pub fn init_runtime(library: Option<&Path>) -> Result<&'static Environment, OrtError> {
    let path = runtime_library(library)?;
    let result = ENVIRONMENT.get_or_init(|| {
        if !path.is_file() {
            return Err(format!("{} does not exist", path.display()));
        }
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        builder
            .with_name("photon")
            .build()
            .map_err(|e| e.to_string())
    });
    result.as_ref().map_err(|message| OrtError::Library {
        path,
        message: message.clone(),
    })
}

/// The ONNX Runtime library inside a `pip install --target DIR onnxruntime` folder
/// (`DIR/onnxruntime/capi/libonnxruntime.so.<version>`; the wheel has no unversioned name).
pub fn find_wheel_library(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("onnxruntime/capi"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so."))
        })
        .collect();
    found.sort();
    found.pop()
}
