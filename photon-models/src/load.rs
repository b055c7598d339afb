//! [`load_model`]: a folder into an embedder and its tagger.

use crate::engine::image_encoder;
use crate::options::ModelOptions;
use photon_core::{Embedder, Tagger, load_model_dir};
use std::path::Path;
use std::sync::Arc;

/// A model folder loaded onto its engine.
#[derive(Clone)]
#[non_exhaustive]
pub struct LoadedModel {
    /// The image tower.
    pub embedder: Arc<dyn Embedder>,
    /// The tagger the folder allows, unless tagging was off or the folder has none.
    pub tagger: Option<Arc<dyn Tagger>>,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("model", &self.embedder.spec().id)
            .field("tagger", &self.tagger.is_some())
            .finish()
    }
}

/// Why a model could not be loaded; the message says what to do, the cause is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The folder is not a model Photon reads (no descriptor, a broken config).
    #[error("{0}")]
    Model(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The engine could not load the model (no ONNX Runtime, a broken ONNX file).
    #[error("{0}")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The tagger could not be built (labels, vocabulary, WordNet, the label bank).
    #[error("{0}")]
    Tagging(String),
}

impl SetupError {
    pub(crate) fn engine(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Engine(error.into())
    }
}

/// Loads the model folder `dir` as `options` say: its image tower on the chosen engine (on a
/// blocking thread: ONNX Runtime and tract take a while), and its tagger.
pub async fn load_model(dir: &Path, options: &ModelOptions) -> Result<LoadedModel, SetupError> {
    let mut spec = load_model_dir(dir).map_err(|e| SetupError::Model(e.into()))?;
    if let Some(max) = options.max_batch {
        spec = spec.with_max_batch(max);
    }
    let embedder = {
        let (spec, backend, sessions, threads) = (
            spec.clone(),
            options.backend,
            options.sessions,
            options.threads,
        );
        tokio::task::spawn_blocking(move || image_encoder(spec, backend, sessions, threads))
            .await
            .map_err(SetupError::engine)??
    };
    let tagger = if options.tagging {
        crate::tagger::for_model(&spec, dir, options).await?
    } else {
        None
    };
    Ok(LoadedModel { embedder, tagger })
}
