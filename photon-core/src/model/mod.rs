//! The model side: what a model expects ([`ModelSpec`]; photon-models reads them from model
//! folders), what it is given ([`ImageBatch`]), what it returns ([`ModelOutput`]), and the
//! [`Embedder`] plugin trait that runs it.

mod spec;

pub use spec::{ModelFamily, ModelSpec};

use crate::error::{Stage, StageError};
use async_trait::async_trait;
use std::sync::Arc;
use thiserror::Error;

/// Several preprocessed images stacked as one contiguous NCHW f32 tensor; build one with
/// [`ImageBatch::stack`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// `data` as a batch of `[3, height, width]` images, image after image. Returns `None` when
    /// its length is not a whole number of such images.
    pub fn new(height: u32, width: u32, data: Vec<f32>) -> Option<Self> {
        let per_image = 3 * height as usize * width as usize;
        if per_image == 0 || !data.len().is_multiple_of(per_image) {
            return None;
        }
        Some(Self {
            len: data.len() / per_image,
            height,
            width,
            data,
        })
    }

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

/// What a model returns for one image: [`ModelOutput::new`], with
/// [`with_logits`](ModelOutput::with_logits) for classifiers.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ModelOutput {
    /// The embedding; the driver L2-normalises it before it reaches a tagger or a record.
    pub embedding: Vec<f32>,
    /// Classifier logits, for models that have a classification head.
    pub logits: Option<Vec<f32>>,
}

impl ModelOutput {
    /// An output with an embedding and no logits.
    pub fn new(embedding: Vec<f32>) -> Self {
        Self {
            embedding,
            logits: None,
        }
    }

    /// The same output with a classifier's logits.
    pub fn with_logits(mut self, logits: Vec<f32>) -> Self {
        self.logits = Some(logits);
        self
    }
}

/// Why a model call failed. Every image of the failed batch gets an error record.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The engine reported an error; it is kept as this error's source. Build it from the
    /// engine's error or from a message: `EmbedError::Backend(e.into())`.
    #[error("inference failed")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
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
/// Implement it to bring your own model or engine; the pipeline handles batching, concurrency,
/// time limits, normalisation and errors.
///
/// # The contract
///
/// - [`spec`](Embedder::spec) describes the model and never changes: the pipeline reads the
///   input size and preprocessing from it once, and every record names its `id`.
/// - [`embed`](Embedder::embed) returns exactly one [`ModelOutput`] per image of the batch, in
///   order, each embedding `spec().embedding_dim` long. Anything else fails the whole batch (each
///   of its images gets an error record). Embeddings need not be normalised: the pipeline
///   L2-normalises them before tags and records see them.
/// - Up to [`concurrency`](Embedder::concurrency) `embed` calls run at once, so an engine
///   holding single-threaded sessions keeps a pool of them rather than one behind a mutex.
/// - `embed` must not block the async threads: run inference on a blocking thread
///   (`tokio::task::spawn_blocking`), as the ONNX Runtime and tract backends do.
/// - A call that errs, panics or outlives the run's `embed_timeout` fails only its batch; the
///   run goes on, so an engine must stay usable after a failed call.
///
/// `Arc<E>`, `Box<E>` and `&E` are embedders when `E` is, so a model shared elsewhere is
/// passed to [`PipelineBuilder::embedder`](crate::PipelineBuilder::embedder) as it is.
///
/// # The pitfall: inference on the async threads
///
/// Wrong: the model runs inside `embed` itself. It compiles and works on a test, but while it
/// runs it holds one of Tokio's few async threads, so the run's intake, batching and writing
/// stall behind every batch.
///
/// ```
/// # use async_trait::async_trait;
/// # use photon_core::*;
/// # fn heavy_model(batch: &ImageBatch) -> Vec<ModelOutput> { Vec::new() }
/// # struct Model(ModelSpec);
/// #[async_trait]
/// impl Embedder for Model {
///     fn spec(&self) -> &ModelSpec { &self.0 }
///     async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
///         Ok(heavy_model(&batch)) // blocks an async thread for the whole batch
///     }
/// }
/// ```
///
/// Right: hand the work to the blocking pool and await it (`photon-backend-common`'s
/// `BatchSlots` does this and bounds the calls at once).
///
/// ```
/// # use async_trait::async_trait;
/// # use photon_core::*;
/// # fn heavy_model(batch: &ImageBatch) -> Vec<ModelOutput> { Vec::new() }
/// # struct Model(ModelSpec);
/// #[async_trait]
/// impl Embedder for Model {
///     fn spec(&self) -> &ModelSpec { &self.0 }
///     async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
///         tokio::task::spawn_blocking(move || heavy_model(&batch))
///             .await
///             .map_err(|e| EmbedError::Backend(e.into()))
///     }
/// }
/// ```
///
/// A complete toy embedder:
///
/// ```
/// use async_trait::async_trait;
/// use photon_core::*;
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
///             ModelOutput::new(embedding)
///         }).collect())
///     }
/// }
///
/// let identity = Normalization::ScaleOffset { scale: [1.0; 3], offset: [0.0; 3] };
/// let spec = ModelSpec::new("mean-colour", Preprocessing::new(8, 8).normalization(identity), 3);
/// let model = MeanColour(spec);
/// let batch = ImageBatch::new(8, 8, vec![2.0; 3 * 64]).unwrap();
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

/// Forwards every method, the defaulted ones included: a wrapper that forwarded only `spec` and
/// `embed` would silently report the default `concurrency` of 1 and backend `custom`.
macro_rules! forward_embedder {
    ($($wrapper:ty),*) => {$(
        #[async_trait]
        impl<E: Embedder + ?Sized> Embedder for $wrapper {
            fn spec(&self) -> &ModelSpec {
                (**self).spec()
            }
            fn backend(&self) -> &str {
                (**self).backend()
            }
            fn concurrency(&self) -> usize {
                (**self).concurrency()
            }
            async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
                (**self).embed(batch).await
            }
        }
    )*};
}

forward_embedder!(Arc<E>, Box<E>, &E);
