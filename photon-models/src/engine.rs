//! The engines: one `match` on [`Backend`], so that a new backend is one arm here.

use crate::load::SetupError;
use photon_backend_common::{Engine, Parallelism};
use photon_core::{Embedder, ModelSpec, TextEncoder, TextSpec};
use std::path::Path;
use std::sync::Arc;

/// The inference engine a model runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// ONNX Runtime (the shared library from the PyPI wheel).
    #[default]
    Ort,
    /// tract (pure Rust).
    Tract,
}

impl Backend {
    /// The backend named `name` (`ort` or `tract`).
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "ort" => Some(Backend::Ort),
            "tract" => Some(Backend::Tract),
            _ => None,
        }
    }

    /// The engine, with ONNX Runtime's library found in `models` (its wheel there, or
    /// `ORT_DYLIB_PATH`) when given, else where the models folder of the environment says.
    pub(crate) fn engine(
        self,
        sessions: u32,
        threads: Option<u32>,
        models: Option<&Path>,
    ) -> Box<dyn Engine> {
        let parallelism = Parallelism::new(sessions as usize, threads.map(|t| t as usize));
        match self {
            Backend::Ort => {
                let mut options = photon_ort::OrtOptions::from(parallelism);
                options.library = models.and_then(|m| photon_ort::runtime_library_in(m).ok());
                Box::new(options)
            }
            Backend::Tract => Box::new(photon_tract::TractOptions::from(parallelism)),
        }
    }
}

/// The image tower of `spec` on `backend`, as `sessions` × `threads` (threads fill the cores
/// unless given).
pub fn image_encoder(
    spec: ModelSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn Embedder>, SetupError> {
    backend
        .engine(sessions, threads, None)
        .image_encoder(spec)
        .map_err(SetupError::engine)
}

/// The text tower of `spec` on `backend`.
pub fn text_encoder(
    spec: TextSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn TextEncoder>, SetupError> {
    backend
        .engine(sessions, threads, None)
        .text_encoder(spec)
        .map_err(SetupError::engine)
}
