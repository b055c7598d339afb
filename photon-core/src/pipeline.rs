//! A configured pipeline: the plugins (decoder, embedder, tagger) and which stages run.

use crate::analyze::StageOptions;
use crate::decode::{DecodeLimits, Decoder};
use crate::driver::{RunOptions, run};
use crate::error::{ItemError, Stage};
use crate::model::Embedder;
use crate::record::Record;
use crate::source::{Source, SourceItem};
use crate::tag::Tagger;
use crate::thumbnail::ThumbnailOptions;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

/// The plugins and stage settings of a pipeline; cheap to clone and share.
#[derive(Clone)]
pub struct Pipeline {
    pub(crate) decoder: Arc<dyn Decoder>,
    pub(crate) embedder: Option<Arc<dyn Embedder>>,
    pub(crate) tagger: Option<Arc<dyn Tagger>>,
    pub(crate) stages: StageOptions,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field(
                "embedder",
                &self.embedder.as_ref().map(|e| e.spec().id.clone()),
            )
            .field("tagger", &self.tagger.is_some())
            .field("stages", &self.stages)
            .finish_non_exhaustive()
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl Pipeline {
    /// Starts from the defaults: [`default_decoder`](crate::decode::default_decoder), every non-model stage on, no model.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder {
            pipeline: Pipeline {
                decoder: crate::decode::default_decoder(),
                embedder: None,
                tagger: None,
                stages: StageOptions::default(),
            },
        }
    }

    /// The stage settings.
    pub fn stages(&self) -> &StageOptions {
        &self.stages
    }

    /// The embedder, if one is set.
    pub fn embedder(&self) -> Option<&Arc<dyn Embedder>> {
        self.embedder.as_ref()
    }

    /// Processes a stream of inputs concurrently, yielding exactly one record per input that
    /// was not skipped by resume. See [`RunOptions`] for parallelism, order, batching,
    /// resume, cancellation and progress. Must be polled inside a Tokio runtime.
    pub fn run<S>(&self, inputs: S, opts: RunOptions) -> impl Stream<Item = Record> + Send + 'static
    where
        S: Stream + Send + 'static,
        S::Item: Into<SourceItem>,
    {
        run(self.clone(), inputs.map(Into::into), opts)
    }

    /// Processes one input (the CPU stages on a blocking thread, then the model).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use photon_core::{Pipeline, Source};
    /// let png = {
    ///     let mut out = std::io::Cursor::new(Vec::new());
    ///     image::RgbImage::new(32, 16).write_to(&mut out, image::ImageFormat::Png).unwrap();
    ///     out.into_inner()
    /// };
    /// let record = Pipeline::default().process(Source::Bytes { name: "x.png".into(), bytes: png }).await;
    /// let serde_json::Value::Object(json) = serde_json::to_value(&record).unwrap() else { panic!() };
    /// assert_eq!(json["width"], 32);
    /// assert_eq!(json["format"], "png");
    /// # }
    /// ```
    pub async fn process(&self, source: impl Into<Source>) -> Record {
        let source = source.into();
        let path = source.display_path();
        let input = futures_util::stream::once(std::future::ready(source));
        let mut records = std::pin::pin!(self.run(input, RunOptions::default()));
        records.next().await.unwrap_or_else(|| {
            Record::failed(
                path,
                ItemError::new(Stage::Read, "internal", "the driver produced no record"),
            )
        })
    }
}

impl From<Vec<u8>> for Source {
    fn from(bytes: Vec<u8>) -> Self {
        Source::Bytes {
            name: String::from("<bytes>"),
            bytes,
        }
    }
}

/// Builds a [`Pipeline`].
#[must_use]
pub struct PipelineBuilder {
    pipeline: Pipeline,
}

impl PipelineBuilder {
    /// Replaces the image-crate decoder.
    pub fn decoder(mut self, decoder: impl Decoder + 'static) -> Self {
        self.pipeline.decoder = Arc::new(decoder);
        self
    }

    /// Adds an embedding model.
    pub fn embedder(mut self, embedder: impl Embedder + 'static) -> Self {
        self.pipeline.embedder = Some(Arc::new(embedder));
        self
    }

    /// Adds an embedding model already shared elsewhere (or `None` to remove it).
    pub fn shared_embedder(mut self, embedder: Option<Arc<dyn Embedder>>) -> Self {
        self.pipeline.embedder = embedder;
        self
    }

    /// Adds a tagger; it runs on the embedder's output, so it needs an embedder.
    pub fn tagger(mut self, tagger: impl Tagger + 'static) -> Self {
        self.pipeline.tagger = Some(Arc::new(tagger));
        self
    }

    /// Adds a tagger already shared elsewhere (or `None` to remove it).
    pub fn shared_tagger(mut self, tagger: Option<Arc<dyn Tagger>>) -> Self {
        self.pipeline.tagger = tagger;
        self
    }

    /// Emit EXIF fields (on by default). Orientation is applied either way.
    pub fn exif(mut self, on: bool) -> Self {
        self.pipeline.stages.exif = on;
        self
    }

    /// Compute perceptual hashes (on by default).
    pub fn perceptual_hash(mut self, on: bool) -> Self {
        self.pipeline.stages.perceptual_hash = on;
        self
    }

    /// Thumbnail settings, or `None` for no thumbnails (256 px inline JPEG by default).
    pub fn thumbnail(mut self, thumbnail: Option<ThumbnailOptions>) -> Self {
        self.pipeline.stages.thumbnail = thumbnail;
        self
    }

    /// Decoder limits.
    pub fn limits(mut self, limits: DecodeLimits) -> Self {
        self.pipeline.stages.limits = limits;
        self
    }

    /// Largest input file accepted, in bytes.
    pub fn max_file_bytes(mut self, max: u64) -> Self {
        self.pipeline.stages.max_file_bytes = max;
        self
    }

    /// All stage settings at once.
    pub fn stages(mut self, stages: StageOptions) -> Self {
        self.pipeline.stages = stages;
        self
    }

    /// Finishes the pipeline.
    pub fn build(self) -> Pipeline {
        self.pipeline
    }
}
