//! The concurrent batch driver: a stream of inputs in, a stream of records out.
//!
//! ```text
//! inputs ─ intake (cancel, resume) ─ CPU stages on blocking threads, `parallel` in flight
//!        ─ micro-batches (max_batch or max_wait) ─ Embedder, `embed_parallel` calls in flight
//!        ─ Tagger ─ records (completion or input order)
//! ```
//! Memory is bounded by the in-flight limits, not by the number of inputs. With a model, the CPU
//! stages run in their own task and feed the model through a bounded channel, so decoding goes
//! on while a batch is inside the model.

use super::{Pipeline, RunOptions};
use crate::OutputOrder;
use crate::error::{ItemError, Stage, StageError};
use crate::model::{EmbedError, Embedder, ImageBatch, ModelOutput};
use crate::pipeline::analyze::{
    AnalyzeContext, Outcome, StageTracker, analyze, analyze_unless_unchanged,
};
use crate::pipeline::describe::{DescribeStage, Done, describe_stage};
use crate::pipeline::faces::FaceStage;
use crate::pipeline::feed::fed_channel;
use crate::progress::ProgressTracker;
use crate::record::{ImageRecord, ModelProvenance, Record};
use crate::resume::{ResumeDecision, ResumeIndex};
use crate::source::{FileStamp, Source, SourceItem};
use crate::tag::{Tag, Tagger};
use crate::vector::l2_normalize;
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// An input the intake let through: to analyse (with the content hash an earlier run recorded
/// when only its modification time moved), or already failed.
enum Work {
    Analyze(Source, Option<String>),
    Failed(Record),
}

/// An input after the CPU stages, as the intake sees it.
enum Analysis {
    Done(Outcome),
    /// Its bytes hash to what an earlier run recorded: nothing to redo.
    Unchanged(String),
}

/// Runs `inputs` through `pipeline`, telling `tracker` about every input.
pub(super) fn run<S>(
    pipeline: Arc<Pipeline>,
    inputs: S,
    opts: &RunOptions,
    tracker: ProgressTracker,
) -> BoxStream<'static, Record>
where
    S: Stream<Item = SourceItem> + Send + 'static,
{
    let parallel = opts.parallel.max(1);
    let work = intake(inputs, opts, tracker.clone());
    let outcomes = cpu_stages(work, pipeline.clone(), opts, parallel, tracker.clone());
    let outcomes = match pipeline.face_finder.clone() {
        None => outcomes,
        Some(finder) => {
            let faces = Arc::new(FaceStage::new(finder, opts.embed_timeout));
            face_stage(outcomes, faces, opts, parallel)
        }
    };
    let done = match pipeline.embedder.clone() {
        None => outcomes.map(finish_without_model).boxed(),
        Some(embedder) => {
            let model = Arc::new(ModelStage::new(&pipeline, embedder, opts.embed_timeout));
            model_stage(outcomes, model, opts, parallel)
        }
    };
    let records = match &pipeline.describer {
        None => done.map(|done| done.record).boxed(),
        Some((describer, options)) => {
            let stage = Arc::new(DescribeStage::new(describer.clone()));
            describe_stage(done, stage, options.queue, opts.order)
        }
    };
    records
        .inspect(move |record| tracker.finished(record))
        .boxed()
}

/// One input through every stage, for [`Pipeline::process`].
pub(super) async fn process_one(
    pipeline: Arc<Pipeline>,
    source: Source,
    opts: &RunOptions,
) -> Record {
    let path = source.display_path();
    let outcome = {
        let pipeline = pipeline.clone();
        on_blocking_thread(&path, opts.cpu_timeout, move |tracker| {
            analyze(source, &context(&pipeline, tracker))
        })
        .await
    };
    let mut outcome = match outcome {
        Ok(outcome) => outcome,
        Err(record) => return record,
    };
    if let Some(finder) = pipeline.face_finder.clone() {
        let faces = FaceStage::new(finder, opts.embed_timeout);
        let mut finished = faces.finish_batch(vec![outcome]).await;
        outcome = finished.pop().expect("one outcome in, one out");
    }
    let done = match pipeline.embedder.clone() {
        None => finish_without_model(outcome),
        Some(embedder) => {
            let model = ModelStage::new(&pipeline, embedder, opts.embed_timeout);
            model.finish_single(outcome).await
        }
    };
    match &pipeline.describer {
        None => done.record,
        Some((describer, _)) => DescribeStage::new(describer.clone()).finish(done).await,
    }
}

/// Cancellation and resume, before any work is queued: skipped inputs are reported here and
/// go no further.
fn intake<S>(
    inputs: S,
    opts: &RunOptions,
    tracker: ProgressTracker,
) -> impl Stream<Item = Work> + Send + 'static
where
    S: Stream<Item = SourceItem> + Send + 'static,
{
    let resume = opts.resume.clone();
    inputs
        .take_until(opts.cancel.clone().cancelled_owned())
        .filter_map(move |item| admit(item, resume.clone(), tracker.clone()))
}

/// The work for one input, or `None` when resume skips it.
async fn admit(
    item: SourceItem,
    resume: Option<Arc<ResumeIndex>>,
    tracker: ProgressTracker,
) -> Option<Work> {
    let decision = match &resume {
        None => ResumeDecision::Process,
        Some(index) => decide(index, &item).await,
    };
    match decision {
        ResumeDecision::Skip => {
            tracker.skipped(&item_path(&item));
            return None;
        }
        ResumeDecision::Retry => tracker.retried(),
        _ => {}
    }
    Some(match (item, decision) {
        (Err(e), _) => Work::Failed(Record::failed(e.path.to_string_lossy(), e.to_item_error())),
        (Ok(source), ResumeDecision::ProcessUnlessHash(hash)) => Work::Analyze(source, Some(hash)),
        (Ok(source), _) => Work::Analyze(source, None),
    })
}

/// What resume says of an input, from the file's current size and modification time.
async fn decide(index: &ResumeIndex, item: &SourceItem) -> ResumeDecision {
    match item {
        // A walk error stands for a path that could not be read; an earlier run may know it.
        Err(e) => index.decide(&Source::Path(e.path.clone()), None),
        Ok(source) => {
            let stamp = match source {
                Source::Path(path) => tokio::fs::metadata(path)
                    .await
                    .ok()
                    .map(|m| FileStamp::from_metadata(&m)),
                Source::Bytes { .. } => None,
            };
            index.decide(source, stamp)
        }
    }
}

fn item_path(item: &SourceItem) -> String {
    match item {
        Ok(source) => source.display_path(),
        Err(e) => e.path.to_string_lossy().into_owned(),
    }
}

/// The CPU stages on Tokio's blocking pool, `parallel` inputs in flight, in the order asked for.
fn cpu_stages(
    work: impl Stream<Item = Work> + Send + 'static,
    pipeline: Arc<Pipeline>,
    opts: &RunOptions,
    parallel: usize,
    tracker: ProgressTracker,
) -> BoxStream<'static, Outcome> {
    let timeout = opts.cpu_timeout;
    let analyses = work.map(move |work| analyze_work(pipeline.clone(), work, timeout));
    let analyses: BoxStream<'static, Analysis> = match opts.order {
        OutputOrder::Input => analyses.buffered(parallel).boxed(),
        _ => analyses.buffer_unordered(parallel).boxed(),
    };
    analyses
        .filter_map(move |analysis| {
            std::future::ready(match analysis {
                Analysis::Done(outcome) => Some(outcome),
                Analysis::Unchanged(path) => {
                    tracker.skipped(&path);
                    None
                }
            })
        })
        .boxed()
}

fn analyze_work(
    pipeline: Arc<Pipeline>,
    work: Work,
    timeout: Option<Duration>,
) -> BoxFuture<'static, Analysis> {
    async move {
        let (source, recorded_hash) = match work {
            Work::Analyze(source, hash) => (source, hash),
            Work::Failed(record) => return Analysis::Done(Outcome::Failed(record)),
        };
        let path = source.display_path();
        let analysed = on_blocking_thread(&path, timeout, move |tracker| {
            let cx = context(&pipeline, tracker);
            match recorded_hash {
                Some(hash) => analyze_unless_unchanged(source, &cx, &hash),
                None => Some(analyze(source, &cx)),
            }
        })
        .await;
        match analysed {
            Ok(Some(outcome)) => Analysis::Done(outcome),
            Ok(None) => Analysis::Unchanged(path),
            Err(record) => Analysis::Done(Outcome::Failed(record)),
        }
    }
    .boxed()
}

fn context<'a>(pipeline: &'a Pipeline, tracker: &'a StageTracker) -> AnalyzeContext<'a> {
    AnalyzeContext {
        decoder: pipeline.decoder.as_ref(),
        jpeg_encoder: pipeline.jpeg_encoder.as_ref(),
        stages: &pipeline.stages,
        preprocessing: pipeline.embedder.as_ref().map(|e| &e.spec().preprocessing),
        face_side: pipeline.face_finder.as_ref().map(|f| f.working_side()),
        describe: pipeline.describer.as_ref().map(|(_, options)| options),
        tracker,
    }
}

/// Runs `work` on a blocking thread under the CPU time limit. Past the limit, or if the thread
/// itself dies, the input gets its error record, naming the stage that was running.
async fn on_blocking_thread<T: Send + 'static>(
    path: &str,
    timeout: Option<Duration>,
    work: impl FnOnce(&StageTracker) -> T + Send + 'static,
) -> Result<T, Record> {
    let tracker = Arc::new(StageTracker::default());
    let task = tokio::task::spawn_blocking({
        let tracker = tracker.clone();
        move || work(&tracker)
    });
    let joined = match timeout {
        Some(limit) => match tokio::time::timeout(limit, task).await {
            Ok(joined) => joined,
            Err(_) => {
                let stage = tracker.current();
                let message = format!("{} took longer than {limit:?}", stage.as_str());
                return Err(Record::failed(
                    path,
                    ItemError::new(stage, "timeout", message),
                ));
            }
        },
        None => task.await,
    };
    // Stages catch their own panics; this is the last line of defence.
    joined.map_err(|e| {
        let message = format!("worker failed: {e}");
        Record::failed(path, ItemError::new(tracker.current(), "panic", message))
    })
}

fn finish_without_model(outcome: Outcome) -> Done {
    match outcome {
        Outcome::Ready(analyzed) => Done {
            record: Record::Image(Box::new(analyzed.record)),
            describe: analyzed.describe,
        },
        Outcome::Failed(record) => Done::finished(record),
    }
}

/// Images a face batch gathers: enough to fill the recognition model's batches with the faces
/// of several photos, few enough that their decoded images stay small in memory.
const FACE_BATCH_IMAGES: usize = 8;

/// Micro-batches through the face finder, as many batches in flight as it takes.
fn face_stage(
    outcomes: BoxStream<'static, Outcome>,
    faces: Arc<FaceStage>,
    opts: &RunOptions,
    parallel: usize,
) -> BoxStream<'static, Outcome> {
    let batches = micro_batches(
        outcomes,
        parallel.max(FACE_BATCH_IMAGES),
        FACE_BATCH_IMAGES,
        opts.max_wait,
    );
    let in_flight = faces.concurrency();
    let found = batches.map(move |batch| {
        let faces = faces.clone();
        async move { faces.finish_batch(batch).await }
    });
    match opts.order {
        OutputOrder::Input => found.buffered(in_flight).boxed(),
        _ => found.buffer_unordered(in_flight).boxed(),
    }
    .flat_map(stream::iter)
    .boxed()
}

/// Micro-batches into the embedder, `embed_parallel` calls in flight, then the tagger.
fn model_stage(
    outcomes: BoxStream<'static, Outcome>,
    model: Arc<ModelStage>,
    opts: &RunOptions,
    parallel: usize,
) -> BoxStream<'static, Done> {
    let max_batch = opts
        .max_batch
        .unwrap_or(model.embedder.spec().max_batch)
        .max(1);
    let batches = micro_batches(outcomes, parallel.max(max_batch), max_batch, opts.max_wait);
    let embed_parallel = match opts.embed_parallel {
        0 => model.embedder.concurrency().max(1),
        n => n,
    };
    let embedded = batches.map(move |batch| {
        let model = model.clone();
        async move { model.finish_batch(batch).await }
    });
    match opts.order {
        OutputOrder::Input => embedded.buffered(embed_parallel).boxed(),
        _ => embedded.buffer_unordered(embed_parallel).boxed(),
    }
    .flat_map(stream::iter)
    .boxed()
}

/// Groups outcomes into micro-batches of up to `max_batch` images that need the model, waiting
/// at most `max_wait` to fill one. The CPU stages run in a task of their own, so they keep
/// going while the consumer is busy with a batch. Failed inputs ride along with the next batch,
/// or go out at once when nothing is waiting.
fn micro_batches(
    outcomes: impl Stream<Item = Outcome> + Send + 'static,
    channel: usize,
    max_batch: usize,
    max_wait: Duration,
) -> impl Stream<Item = Vec<Outcome>> + Send + 'static {
    fed_channel(outcomes, channel).flat_map(move |rx| {
        stream::unfold(rx, move |mut rx| async move {
            let first = rx.recv().await?;
            let batch = fill_batch(&mut rx, first, max_batch, max_wait).await;
            Some((batch, rx))
        })
    })
}

/// `first` and whatever else arrives for the same batch: up to `max_batch` images that need
/// the model, within `max_wait`; never waiting when no image is in it yet.
async fn fill_batch(
    rx: &mut mpsc::Receiver<Outcome>,
    first: Outcome,
    max_batch: usize,
    max_wait: Duration,
) -> Vec<Outcome> {
    let needs_model = |o: &Outcome| matches!(o, Outcome::Ready(_));
    let mut images = usize::from(needs_model(&first));
    let mut batch = vec![first];
    let deadline = tokio::time::Instant::now() + max_wait;
    while images < max_batch {
        let next = match rx.try_recv() {
            Ok(next) => Some(next),
            Err(mpsc::error::TryRecvError::Disconnected) => None,
            Err(mpsc::error::TryRecvError::Empty) if images == 0 => None,
            Err(mpsc::error::TryRecvError::Empty) => tokio::time::timeout_at(deadline, rx.recv())
                .await
                .ok()
                .flatten(),
        };
        let Some(next) = next else { break };
        images += usize::from(needs_model(&next));
        batch.push(next);
    }
    batch
}

/// The model tensors of the inputs in `batch` that are ready for the model.
fn tensors(batch: &[Outcome]) -> impl Iterator<Item = &[f32]> {
    batch.iter().filter_map(|outcome| match outcome {
        Outcome::Ready(analyzed) => Some(analyzed.tensor.as_deref().unwrap_or(&[])),
        Outcome::Failed(_) => None,
    })
}

/// The model half: the embedder under its time limit, normalisation, the tagger, provenance.
struct ModelStage {
    embedder: Arc<dyn Embedder>,
    tagger: Option<Arc<dyn Tagger>>,
    timeout: Option<Duration>,
    provenance: ModelProvenance,
}

impl ModelStage {
    fn new(pipeline: &Pipeline, embedder: Arc<dyn Embedder>, timeout: Option<Duration>) -> Self {
        let provenance = ModelProvenance {
            id: embedder.spec().id.clone(),
            backend: embedder.backend().to_owned(),
        };
        Self {
            embedder,
            tagger: pipeline.tagger.clone(),
            timeout,
            provenance,
        }
    }

    /// One record per outcome, in order: the images embedded in one call and tagged, failures
    /// as they are.
    async fn finish_batch(&self, batch: Vec<Outcome>) -> Vec<Done> {
        let mut tagged = self.embed_and_tag(tensors(&batch)).await;
        batch
            .into_iter()
            .map(|outcome| self.finish_outcome(outcome, &mut tagged))
            .collect()
    }

    /// The record of one outcome, embedded alone.
    async fn finish_single(&self, outcome: Outcome) -> Done {
        let batch = std::slice::from_ref(&outcome);
        let mut tagged = self.embed_and_tag(tensors(batch)).await;
        self.finish_outcome(outcome, &mut tagged)
    }

    async fn embed_and_tag<'a>(
        &self,
        tensors: impl Iterator<Item = &'a [f32]>,
    ) -> Result<std::vec::IntoIter<Tagged>, ItemError> {
        let outputs = self.embed(tensors).await?;
        Ok(self.tag(outputs).await?.into_iter())
    }

    /// A failed input as it is; a ready one with the next output of its batch, or the batch's
    /// error.
    fn finish_outcome(
        &self,
        outcome: Outcome,
        tagged: &mut Result<std::vec::IntoIter<Tagged>, ItemError>,
    ) -> Done {
        let analyzed = match outcome {
            Outcome::Failed(record) => return Done::finished(record),
            Outcome::Ready(analyzed) => *analyzed,
        };
        let record = match tagged {
            Ok(tagged) => self.finish(analyzed.record, tagged.next()),
            Err(e) => analyzed.record.into_error(e.clone()),
        };
        Done {
            record,
            describe: analyzed.describe,
        }
    }

    /// Normalises each output of the right length and tags it. Tagging runs on a blocking
    /// thread, as the [`Tagger`] contract promises: scoring 80 000 zero-shot labels takes
    /// milliseconds an image, which an async worker must not spend.
    async fn tag(&self, mut outputs: Vec<ModelOutput>) -> Result<Vec<Tagged>, ItemError> {
        let dim = self.embedder.spec().embedding_dim;
        for output in outputs.iter_mut().filter(|o| o.embedding.len() == dim) {
            l2_normalize(&mut output.embedding);
        }
        let untagged = |output| Tagged { output, tags: None };
        let Some(tagger) = self.tagger.clone() else {
            return Ok(outputs.into_iter().map(untagged).collect());
        };
        let tag_all = move || {
            let tag_one = |output: &ModelOutput| {
                std::panic::catch_unwind(AssertUnwindSafe(|| tagger.tag(output)))
                    .map_err(|panic| ItemError::panic(Stage::Tag, panic.as_ref()))
            };
            outputs
                .into_iter()
                .map(|output| Tagged {
                    tags: (output.embedding.len() == dim).then(|| tag_one(&output)),
                    output,
                })
                .collect()
        };
        tokio::task::spawn_blocking(tag_all).await.map_err(|e| {
            ItemError::new(
                Stage::Tag,
                "interrupted",
                format!("tagging did not finish: {e}"),
            )
        })
    }

    /// Stacks the tensors and runs the embedder once, under its time limit; a panic, an error,
    /// a timeout or a wrong number of outputs fails every image of the batch.
    async fn embed<'a>(
        &self,
        tensors: impl Iterator<Item = &'a [f32]>,
    ) -> Result<Vec<ModelOutput>, ItemError> {
        let input = &self.embedder.spec().preprocessing;
        let images = ImageBatch::stack(input.height, input.width, tensors).ok_or_else(|| {
            ItemError::new(
                Stage::Preprocess,
                "shape",
                "tensor does not match the model input",
            )
        })?;
        let n = images.len;
        if n == 0 {
            return Ok(Vec::new());
        }
        let call = AssertUnwindSafe(self.embedder.embed(images)).catch_unwind();
        let finished = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, call).await.map_err(|_| {
                let message = format!("the embedder took longer than {limit:?}");
                ItemError::new(Stage::Embed, "timeout", message)
            })?,
            None => call.await,
        };
        match finished {
            Ok(Ok(outputs)) if outputs.len() == n => Ok(outputs),
            Ok(Ok(outputs)) => Err(EmbedError::OutputCount {
                expected: n,
                got: outputs.len(),
            }
            .to_item_error()),
            Ok(Err(e)) => Err(e.to_item_error()),
            Err(panic) => Err(ItemError::panic(Stage::Embed, panic.as_ref())),
        }
    }

    /// The record with its embedding (checked and normalised), tags and provenance.
    fn finish(&self, mut record: ImageRecord, tagged: Option<Tagged>) -> Record {
        let Some(Tagged { output, tags }) = tagged else {
            let error = ItemError::new(Stage::Embed, "output_count", "missing output");
            return record.into_error(error);
        };
        let dim = self.embedder.spec().embedding_dim;
        if output.embedding.len() != dim {
            let message = format!(
                "embedding has {} values, the spec says {dim}",
                output.embedding.len()
            );
            return record.into_error(ItemError::new(Stage::Embed, "embedding_dim", message));
        }
        match tags {
            Some(Ok(tags)) => record.tags = Some(tags),
            Some(Err(error)) => return record.into_error(error),
            None => {}
        }
        record.embedding = Some(output.embedding);
        record.model = Some(self.provenance.clone());
        Record::Image(Box::new(record))
    }
}

/// One embedder output, normalised, with its tags when a tagger ran (or why it failed).
struct Tagged {
    output: ModelOutput,
    tags: Option<Result<Vec<Tag>, ItemError>>,
}
