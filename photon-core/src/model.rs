//! The model side: what a model expects ([`ModelSpec`]), what it is given ([`ImageBatch`]), what
//! it returns ([`ModelOutput`]), and the [`Embedder`] plugin trait that runs it.

use crate::error::{Stage, StageError};
use crate::preprocess::Preprocessing;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use thiserror::Error;

/// Everything the pipeline and the engines need to know about an image model. Both ONNX
/// backends read the same spec, so swapping engines changes nothing else. Presets for known
/// models live in [`crate::model_spec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelSpec {
    /// Identifies the model in every record it contributes to (name and version or file hash).
    pub id: String,
    /// How an upright image becomes the model's input.
    pub preprocessing: Preprocessing,
    /// Length of each embedding vector.
    pub embedding_dim: usize,
    /// Most images the engine takes in one call; the driver's micro-batches never exceed it.
    pub max_batch: usize,
    /// The model file, for engines that load one (`None` for models that live in code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_file: Option<PathBuf>,
    /// Name of the image input (NCHW f32).
    pub input_name: String,
    /// Name of the output that holds the embedding (`[N, embedding_dim]`).
    pub embedding_output: String,
    /// Name of the classifier-logits output, for models that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logits_output: Option<String>,
    /// Class names, one per logit: a TSV `id<TAB>name` or one name per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_file: Option<PathBuf>,
}

impl ModelSpec {
    /// A spec with `max_batch` 8, input `input`, embedding output `embedding`, no file, no
    /// logits and no labels; set the other fields as needed.
    pub fn new(id: impl Into<String>, preprocessing: Preprocessing, embedding_dim: usize) -> Self {
        Self {
            id: id.into(),
            preprocessing,
            embedding_dim,
            max_batch: 8,
            model_file: None,
            input_name: "input".into(),
            embedding_output: "embedding".into(),
            logits_output: None,
            labels_file: None,
        }
    }

    /// The same spec reading `file`.
    pub fn with_model_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.model_file = Some(file.into());
        self
    }

    /// The same spec with other input and output names.
    pub fn with_io_names(
        mut self,
        input: &str,
        embedding_output: &str,
        logits_output: Option<&str>,
    ) -> Self {
        self.input_name = input.into();
        self.embedding_output = embedding_output.into();
        self.logits_output = logits_output.map(String::from);
        self
    }

    /// The same spec with a label file.
    pub fn with_labels_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.labels_file = Some(file.into());
        self
    }

    /// The same spec with another `max_batch` (at least 1).
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }
}

/// Several preprocessed images stacked as one contiguous NCHW f32 tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBatch {
    /// Number of images (N).
    pub len: usize,
    /// Height of each image (H).
    pub height: u32,
    /// Width of each image (W).
    pub width: u32,
    /// `len × 3 × height × width` values, image after image.
    pub data: Vec<f32>,
}

impl ImageBatch {
    /// Stacks per-image `[3, height, width]` tensors. Returns `None` if any has the wrong length.
    pub fn stack<'a>(
        height: u32,
        width: u32,
        images: impl IntoIterator<Item = &'a [f32]>,
    ) -> Option<Self> {
        let per_image = 3 * height as usize * width as usize;
        let mut data = Vec::new();
        let mut len = 0;
        for image in images {
            if image.len() != per_image {
                return None;
            }
            data.extend_from_slice(image);
            len += 1;
        }
        Some(Self {
            len,
            height,
            width,
            data,
        })
    }

    /// The tensor of image `i`, `[3, height, width]`.
    pub fn image(&self, i: usize) -> &[f32] {
        let per_image = 3 * self.height as usize * self.width as usize;
        &self.data[i * per_image..(i + 1) * per_image]
    }

    /// The NCHW shape.
    pub fn shape(&self) -> [usize; 4] {
        [self.len, 3, self.height as usize, self.width as usize]
    }
}

/// What a model returns for one image.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelOutput {
    /// The embedding; the driver L2-normalises it before it reaches a tagger or a record.
    pub embedding: Vec<f32>,
    /// Classifier logits, for models that have a classification head.
    pub logits: Option<Vec<f32>>,
}

/// Why a model call failed. Every image of the failed batch gets an error record.
#[derive(Debug, Error)]
pub enum EmbedError {
    /// The engine reported an error.
    #[error("inference failed: {0}")]
    Backend(String),
    /// The engine returned something other than one output per image.
    #[error("model returned {got} outputs for {expected} images")]
    OutputCount {
        /// Images sent.
        expected: usize,
        /// Outputs received.
        got: usize,
    },
}

impl StageError for EmbedError {
    fn stage(&self) -> Stage {
        Stage::Embed
    }
    fn kind(&self) -> &'static str {
        match self {
            EmbedError::Backend(_) => "backend",
            EmbedError::OutputCount { .. } => "output_count",
        }
    }
}

/// Runs an image model on micro-batches of preprocessed images.
///
/// Implement it to bring your own model or engine; the driver handles batching, concurrency,
/// normalisation and errors. Several `embed` calls may run at once, so an implementation that
/// holds a single-threaded engine should keep a pool of them rather than one behind a mutex.
///
/// ```
/// use async_trait::async_trait;
/// use photon_core::model::*;
/// use photon_core::preprocess::*;
///
/// /// Embeds each image as its mean colour: a toy, but a complete Embedder.
/// struct MeanColour(ModelSpec);
///
/// #[async_trait]
/// impl Embedder for MeanColour {
///     fn spec(&self) -> &ModelSpec { &self.0 }
///     async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
///         Ok((0..batch.len).map(|i| {
///             let plane = batch.image(i).len() / 3;
///             let embedding = batch.image(i).chunks(plane)
///                 .map(|c| c.iter().sum::<f32>() / plane as f32).collect();
///             ModelOutput { embedding, logits: None }
///         }).collect())
///     }
/// }
///
/// let spec = ModelSpec::new("mean-colour", Preprocessing {
///     width: 8, height: 8, resize: ResizeMode::Squash, filter: ResizeFilter::Bilinear,
///     normalization: Normalization::ScaleOffset { scale: [1.0; 3], offset: [0.0; 3] },
///     channel_order: ChannelOrder::Rgb,
/// }, 3);
/// let model = MeanColour(spec);
/// let batch = ImageBatch { len: 1, height: 8, width: 8, data: vec![2.0; 3 * 64] };
/// let out = futures_util::FutureExt::now_or_never(model.embed(batch)).unwrap().unwrap();
/// assert_eq!(out[0].embedding, vec![2.0, 2.0, 2.0]);
/// ```
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's description; read once when a run starts.
    fn spec(&self) -> &ModelSpec;

    /// The engine's name for records' provenance (`ort`, `tract`, ...).
    fn backend(&self) -> &str {
        "custom"
    }

    /// How many batches the engine runs at once to best effect (its pool of sessions); the
    /// driver keeps that many in flight unless told otherwise.
    fn concurrency(&self) -> usize {
        1
    }

    /// Embeds every image of `batch`, returning one output per image, in order.
    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError>;
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Pairs per-image embeddings with per-image logits (when the model has them), for engines.
pub fn zip_outputs(embeddings: Vec<Vec<f32>>, logits: Option<Vec<Vec<f32>>>) -> Vec<ModelOutput> {
    match logits {
        Some(logits) => embeddings
            .into_iter()
            .zip(logits)
            .map(|(embedding, logits)| ModelOutput {
                embedding,
                logits: Some(logits),
            })
            .collect(),
        None => embeddings
            .into_iter()
            .map(|embedding| ModelOutput {
                embedding,
                logits: None,
            })
            .collect(),
    }
}

/// Splits an engine's `[N, ...]` output into one row per image.
pub fn split_rows(data: &[f32], n: usize, output: &str) -> Result<Vec<Vec<f32>>, EmbedError> {
    if n == 0 || !data.len().is_multiple_of(n) {
        return Err(EmbedError::Backend(format!(
            "output {output} has {} values for {n} images",
            data.len()
        )));
    }
    Ok(data
        .chunks_exact(data.len() / n)
        .map(<[f32]>::to_vec)
        .collect())
}

/// Runs an engine's CPU-bound work on Tokio's blocking pool, so inference never stalls the async
/// threads. A panic inside `work` is resumed in the caller, where the driver turns it into error
/// records for the batch.
pub async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EmbedError> + Send + 'static,
) -> Result<T, EmbedError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(EmbedError::Backend(e.to_string())),
        },
    }
}
