//! Why a model folder could not be read, and the two helpers every reader of its JSON files uses.

use crate::folder::layout::DESCRIPTOR_FILE;
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a model directory could not be understood.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelSpecError {
    /// No layout Photon reads was found.
    #[error(
        "no model in {0}: expected {DESCRIPTOR_FILE}, onnx/vision_model.onnx (Hugging Face) or visual/model.onnx (immich)"
    )]
    NotAModel(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is malformed or lacks what the model needs.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A JSON file of the folder, parsed.
pub(crate) fn read_json(path: &Path) -> Result<Value, ModelSpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelSpecError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e))
}

/// The error for a file whose contents are not what the model needs.
pub(crate) fn invalid(path: &Path, message: impl ToString) -> ModelSpecError {
    ModelSpecError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}
