//! A configured pipeline: the plugins (decoder, embedder, tagger), which stages run, and the
//! ways to run it over inputs.

mod driver;
mod options;
mod run_into;

pub use options::{OutputOrder, RunOptions, StageOptions};
pub use run_into::{RunError, RunSummary};

use crate::decode::{DecodeLimits, Decoder};
use crate::model::Embedder;
use crate::progress::ProgressTracker;
use crate::record::Record;
use crate::source::{Source, SourceItem};
use crate::tag::Tagger;
use crate::thumbnail::ThumbnailOptions;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;

/// The plugins and stage settings of a pipeline; cheap to clone and share.
#[derive(Clone)]
pub struct Pipeline {
    decoder: Arc<dyn Decoder>,
    embedder: Option<Arc<dyn Embedder>>,
    tagger: Option<Arc<dyn Tagger>>,
    stages: StageOptions,
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
    /// Starts from the defaults: [`default_decoder`](crate::default_decoder), every non-model
    /// stage on, no model.
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
    pub fn embedder(&self) -> Option<&dyn Embedder> {
        self.embedder.as_deref()
    }

    /// Processes a stream of inputs concurrently, yielding exactly one record per input that
    /// was not skipped by resume. See [`RunOptions`] for parallelism, order, batching,
    /// resume, cancellation and progress. Must be polled inside a Tokio runtime.
    pub fn run<S>(&self, inputs: S, opts: RunOptions) -> impl Stream<Item = Record> + Send + 'static
    where
        S: Stream + Send + 'static,
        S::Item: Into<SourceItem>,
    {
        let tracker = ProgressTracker::new(opts.total, opts.progress.clone());
        driver::run(
            Arc::new(self.clone()),
            inputs.map(Into::into),
            &opts,
            tracker,
        )
    }

    /// Processes one input: the CPU stages on a blocking thread, then the model, under the
    /// default time limits of [`RunOptions`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use photon_core::{Pipeline, Record, Source};
    /// let png = std::fs::read("../testdata/photos/chelsea.png").unwrap();
    /// let record = Pipeline::default().process(Source::Bytes { name: "cat.png".into(), bytes: png }).await;
    /// let Record::Image(image) = record else { panic!("{record:?}") };
    /// assert_eq!((image.width, image.height, image.format.as_str()), (451, 300, "png"));
    /// # }
    /// ```
    pub async fn process(&self, source: impl Into<Source>) -> Record {
        let options = RunOptions::default();
        driver::process_one(Arc::new(self.clone()), source.into(), &options).await
    }
}

/// Builds a [`Pipeline`].
///
/// Plugins are taken by value, and an `Arc` of one is a plugin too, so a model already shared
/// elsewhere (an `Arc<dyn Embedder>`) is passed as it is.
#[must_use]
pub struct PipelineBuilder {
    pipeline: Pipeline,
}

impl PipelineBuilder {
    /// Replaces the default decoder.
    pub fn decoder(mut self, decoder: impl Decoder + 'static) -> Self {
        self.pipeline.decoder = Arc::new(decoder);
        self
    }

    /// Adds an embedding model.
    pub fn embedder(mut self, embedder: impl Embedder + 'static) -> Self {
        self.pipeline.embedder = Some(Arc::new(embedder));
        self
    }

    /// Adds a tagger; it runs on the embedder's output, so it needs an embedder.
    pub fn tagger(mut self, tagger: impl Tagger + 'static) -> Self {
        self.pipeline.tagger = Some(Arc::new(tagger));
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
