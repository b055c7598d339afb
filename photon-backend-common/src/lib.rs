//! What every Photon inference backend shares, so that a new engine is one crate that implements
//! [`Engine`] and the [`Embedder`]/[`TextEncoder`] traits, and the `photon` command one match arm
//! more.
//!
//! - [`Engine`]: a backend by name, loading the image and text towers of a model.
//! - [`Parallelism`]: sessions × threads per session, the layout every engine understands.
//! - [`Device`]: the CPU or a CUDA GPU, refused by an engine that cannot use it.
//! - [`existing_model_file`] and [`ModelFileError`]: the model-file checks and their messages.
//! - [`output_names`], [`split_rows`] and [`image_outputs`]: which outputs an image model must
//!   have, and turning `[N, ...]` outputs into one [`ModelOutput`](photon_core::ModelOutput) per image.
//! - [`BatchSlots`]: bounds the batches running at once, each on Tokio's blocking pool.
//! - [`Graph`], [`FloatTensor`], [`GraphPort`]: a graph run as it is (one float input, every
//!   output back), for models that are not image or text towers.
//! - [`models_dir`]: where Photon keeps models (and ONNX Runtime) unless told otherwise.
#![deny(missing_docs)]

mod device;
mod graph;
mod models_dir;
mod outputs;
mod slots;

pub use device::Device;
pub use graph::{FloatTensor, Graph, GraphPort};
pub use models_dir::{MODEL_FOLDER_MARKERS, models_dir};
pub use outputs::{image_outputs, output_names, split_rows};
pub use slots::BatchSlots;

use photon_core::{Embedder, ModelSpec, TextEncoder, TextSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An error from a backend, with its causes.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An inference engine, chosen by name: it loads a model's image tower as an [`Embedder`] and
/// its text tower as a [`TextEncoder`]. Each backend implements it on its options type.
pub trait Engine: Send + Sync {
    /// The engine's name, as records' provenance gives it (`ort`, `tract`).
    fn name(&self) -> &'static str;

    /// Loads the image tower `spec` describes.
    fn image_encoder(&self, spec: ModelSpec) -> Result<Arc<dyn Embedder>, BoxError>;

    /// Loads the text tower `spec` describes.
    fn text_encoder(&self, spec: TextSpec) -> Result<Arc<dyn TextEncoder>, BoxError>;

    /// Loads the graph in `file` to run as it is. `fixed` gives the input's axes the caller
    /// will use (`None` for an axis that varies between calls, such as a batch), which an
    /// engine that plans ahead (tract) fixes at load; the others ignore it.
    fn graph(&self, file: &Path, fixed: &[Option<usize>]) -> Result<Arc<dyn Graph>, BoxError>;
}

/// How an engine spreads over the cores: `sessions` batches at once, each on
/// `threads_per_session` threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parallelism {
    /// Batches that run at once (each with its own session or plan state).
    pub sessions: usize,
    /// Threads each batch uses.
    pub threads_per_session: usize,
}

impl Parallelism {
    /// `sessions` batches at once (at least 1) with `threads` each, or, by default, as many
    /// threads each as fit the machine's cores.
    pub fn new(sessions: usize, threads: Option<usize>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let sessions = sessions.max(1);
        Self {
            sessions,
            threads_per_session: threads.unwrap_or(cores / sessions).max(1),
        }
    }
}

impl Default for Parallelism {
    /// One batch at a time on every core.
    fn default() -> Self {
        Self::new(1, None)
    }
}

/// Why a model file cannot be loaded, before any engine looks at it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The spec names no model file (a model that lives in code).
    #[error("the model spec names no model file")]
    NotNamed,
    /// The file is not there.
    #[error("model file {0} not found")]
    Missing(PathBuf),
}

/// The model file `file` names, if it exists.
pub fn existing_model_file(file: Option<&Path>) -> Result<&Path, ModelFileError> {
    let file = file.ok_or(ModelFileError::NotNamed)?;
    if file.is_file() {
        Ok(file)
    } else {
        Err(ModelFileError::Missing(file.to_path_buf()))
    }
}
