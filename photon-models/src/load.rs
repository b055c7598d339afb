//! [`load_model`]: a folder into an embedder and its tagger.

use crate::error::SetupError;
use crate::folder::{load_model_dir, load_text_dir};
use crate::options::ModelOptions;
use crate::text::{TextError, TextTokenizer, embed_text};
use photon_core::{Embedder, Tagger, TextEncoder};
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

/// Loads the model folder `dir` as `options` say: its image tower on the chosen engine (on a
/// blocking thread: ONNX Runtime and tract take a while), and its tagger.
pub async fn load_model(dir: &Path, options: &ModelOptions) -> Result<LoadedModel, SetupError> {
    let mut spec = load_model_dir(dir).map_err(|e| SetupError::Model(e.into()))?;
    // A graph whose batch dimension is fixed at one (immich's exports) cannot take more.
    if let Some(max) = options.max_batch.filter(|_| spec.max_batch != 1) {
        spec = spec.with_max_batch(max);
    }
    let embedder = {
        let engine = options.engine()?;
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || engine.image_encoder(spec))
            .await
            .map_err(SetupError::engine)?
            .map_err(SetupError::engine)?
    };
    let tagger = if options.tagging {
        crate::tagger::for_model(&spec, dir, options).await?
    } else {
        None
    };
    Ok(LoadedModel { embedder, tagger })
}

/// Loads only the tagger of the model folder `dir` (`None` when the folder allows none), for a
/// caller that already holds the image tower and wants tags later or for some requests only:
/// a zero-shot label bank is built (or read from its cache) here, which can take minutes the
/// first time for a large model.
pub async fn load_tagger(
    dir: &Path,
    options: &ModelOptions,
) -> Result<Option<Arc<dyn Tagger>>, SetupError> {
    let spec = load_model_dir(dir).map_err(|e| SetupError::Model(e.into()))?;
    crate::tagger::for_model(&spec, dir, options).await
}

/// A CLIP/SigLIP text tower with its tokenizer, for embedding queries.
#[derive(Clone)]
#[non_exhaustive]
pub struct TextTower {
    /// Text to token ids, as the model was trained.
    pub tokenizer: Arc<TextTokenizer>,
    /// The text model on its engine.
    pub encoder: Arc<dyn TextEncoder>,
}

impl std::fmt::Debug for TextTower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTower")
            .field("model", &self.encoder.spec().id)
            .finish()
    }
}

impl TextTower {
    /// The L2-normalised embeddings of `texts`, in the image tower's space.
    pub async fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, TextError> {
        embed_text(self.encoder.as_ref(), &self.tokenizer, texts).await
    }
}

/// Loads the text tower of the model folder `dir` (its text model and tokenizer, in any layout).
pub async fn load_text_tower(dir: &Path, options: &ModelOptions) -> Result<TextTower, SetupError> {
    let text = load_text_dir(dir).map_err(|e| SetupError::Model(e.into()))?;
    let tokenizer = TextTokenizer::from_spec(&text).map_err(|e| SetupError::Model(e.into()))?;
    let engine = options.engine()?;
    let encoder = tokio::task::spawn_blocking(move || engine.text_encoder(text))
        .await
        .map_err(SetupError::engine)?
        .map_err(SetupError::engine)?;
    Ok(TextTower {
        tokenizer: Arc::new(tokenizer),
        encoder,
    })
}
