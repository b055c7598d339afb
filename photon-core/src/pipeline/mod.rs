//! A configured pipeline: the plugins (decoder, embedder, tagger), which stages run, and the
//! ways to run it over inputs.

mod analyze;
mod describe;
mod driver;
mod faces;
mod feed;
mod options;
mod run_into;

pub use options::{OutputOrder, RunOptions, StageOptions};

pub use run_into::{RunError, RunSummary};

use crate::decode::{DecodeLimits, Decoder, ImageCrateDecoder};
use crate::describe::{DescribeOptions, Describer};
use crate::face::FaceFinder;
use crate::model::Embedder;
use crate::progress::ProgressTracker;
use crate::record::Record;
use crate::source::{Source, SourceItem};
use crate::tag::Tagger;
use crate::thumbnail::{ImageCrateJpegEncoder, JpegEncoder, ThumbnailOptions};
use futures_util::{Stream, StreamExt};
use std::marker::PhantomData;
use std::sync::Arc;

/// The plugins and stage settings of a pipeline; cheap to clone and share.
#[derive(Clone)]
pub struct Pipeline {
    decoder: Arc<dyn Decoder>,
    jpeg_encoder: Arc<dyn JpegEncoder>,
    embedder: Option<Arc<dyn Embedder>>,
    tagger: Option<Arc<dyn Tagger>>,
    face_finder: Option<Arc<dyn FaceFinder>>,
    describer: Option<(Arc<dyn Describer>, DescribeOptions)>,
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
            .field("faces", &self.face_finder.is_some())
            .field("describer", &self.describer.as_ref().map(|(d, _)| d.id()))
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
    /// Starts from the defaults: [`ImageCrateDecoder`] and [`ImageCrateJpegEncoder`] (pure
    /// Rust; photon-decode has faster and wider ones), every non-model stage on, no model.
    pub fn builder() -> PipelineBuilder<NoModel> {
        PipelineBuilder {
            state: PhantomData,
            pipeline: Pipeline {
                decoder: Arc::new(ImageCrateDecoder),
                jpeg_encoder: Arc::new(ImageCrateJpegEncoder),
                embedder: None,
                tagger: None,
                face_finder: None,
                describer: None,
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
///
/// A tagger works on the embedder's output, so [`tagger`](PipelineBuilder::tagger) exists only
/// once an [`embedder`](PipelineBuilder::embedder) is set: a tagger without a model is a
/// compile error, never a tagger silently ignored.
///
/// ```compile_fail
/// # use photon_core::{ModelOutput, Pipeline, Tag, Tagger};
/// struct Nothing;
/// impl Tagger for Nothing {
///     fn tag(&self, _: &ModelOutput) -> Vec<Tag> { Vec::new() }
/// }
/// let pipeline = Pipeline::builder().tagger(Nothing).build(); // no embedder: no `tagger`
/// ```
#[must_use]
pub struct PipelineBuilder<M = NoModel> {
    state: PhantomData<M>,
    pipeline: Pipeline,
}

/// The state of a [`PipelineBuilder`] with no embedder yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoModel;

/// The state of a [`PipelineBuilder`] with an embedder, which a tagger may follow.
#[derive(Debug, Clone, Copy, Default)]
pub struct WithModel;

impl PipelineBuilder<NoModel> {
    /// Adds an embedding model (and with it, [`tagger`](PipelineBuilder::tagger)).
    pub fn embedder(mut self, embedder: impl Embedder + 'static) -> PipelineBuilder<WithModel> {
        self.pipeline.embedder = Some(Arc::new(embedder));
        PipelineBuilder {
            state: PhantomData,
            pipeline: self.pipeline,
        }
    }
}

impl PipelineBuilder<WithModel> {
    /// Adds a tagger, run on the embedder's output.
    pub fn tagger(mut self, tagger: impl Tagger + 'static) -> Self {
        self.pipeline.tagger = Some(Arc::new(tagger));
        self
    }

    /// Adds `tagger` when there is one: a model folder without labels or a text tower has none.
    pub fn tagger_if_any(mut self, tagger: Option<impl Tagger + 'static>) -> Self {
        self.pipeline.tagger = tagger.map(|t| Arc::new(t) as Arc<dyn Tagger>);
        self
    }
}

impl<M> PipelineBuilder<M> {
    /// Replaces the default decoder.
    pub fn decoder(mut self, decoder: impl Decoder + 'static) -> Self {
        self.pipeline.decoder = Arc::new(decoder);
        self
    }

    /// Replaces the thumbnails' JPEG encoder.
    pub fn jpeg_encoder(mut self, encoder: impl JpegEncoder + 'static) -> Self {
        self.pipeline.jpeg_encoder = Arc::new(encoder);
        self
    }

    /// Finds the faces of each image with `finder` (off by default): each record gets
    /// `faces` (`[]` when there are none), or an error of stage `faces` beside its other fields.
    pub fn faces(mut self, finder: impl FaceFinder + 'static) -> Self {
        self.pipeline.face_finder = Some(Arc::new(finder));
        self
    }

    /// Describes each image with `describer` (off by default), from a JPEG re-encoded as
    /// `options` say, after the image's local stages: each record gets `description`, or an
    /// error of stage `describe` beside its other fields.
    pub fn describer(
        mut self,
        describer: impl Describer + 'static,
        options: DescribeOptions,
    ) -> Self {
        self.pipeline.describer = Some((Arc::new(describer), options));
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
