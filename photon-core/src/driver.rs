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

use crate::analyze::{Analysis, Analyzed, analyze_tracked};
use crate::error::{ItemError, Stage, StageError, StageTracker};
use crate::model::{EmbedError, Embedder, ImageBatch, l2_normalize};
use crate::pipeline::Pipeline;
use crate::progress::{ProgressFn, ProgressTracker};
use crate::record::{ModelProvenance, Record};
use crate::resume::{ResumeDecision, ResumeIndex};
use crate::source::{FileStamp, Source, SourceItem};
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Order of the output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputOrder {
    /// As soon as each input is done (fastest).
    #[default]
    Completion,
    /// The order inputs arrived in (a slow input holds back the ones after it).
    Input,
}

/// How a run is driven.
#[derive(Clone)]
pub struct RunOptions {
    /// Inputs in the CPU stages at once (0 is treated as 1). Default: the number of cores.
    pub parallel: usize,
    /// Output order.
    pub order: OutputOrder,
    /// Largest micro-batch sent to the embedder; `None` uses the model's own `max_batch`.
    pub max_batch: Option<usize>,
    /// Longest a partial micro-batch waits for more images before it is sent anyway.
    pub max_wait: Duration,
    /// Embedder calls in flight at once; 0 (the default) takes the embedder's own
    /// [`concurrency`](crate::Embedder::concurrency), its number of sessions.
    pub embed_parallel: usize,
    /// Longest the CPU stages of one input (read, hash, EXIF, decode, perceptual hash,
    /// thumbnail, preprocessing) may take; past it the input gets a `timeout` error record naming
    /// the stage that was running, and its slot goes to the next input. `None`: no limit. A
    /// thread cannot be stopped from outside, so the stuck stage runs on in the background until
    /// it returns; its result is dropped.
    pub cpu_timeout: Option<Duration>,
    /// Longest one embedder call may take; past it every image of the batch gets a `timeout`
    /// error record in the embed stage and the run goes on. `None`: no limit.
    pub embed_timeout: Option<Duration>,
    /// Inputs an earlier run recorded; they are skipped before entering the CPU stages.
    pub resume: Option<Arc<ResumeIndex>>,
    /// Cancel to stop taking inputs; in-flight ones finish and the stream then ends.
    pub cancel: CancellationToken,
    /// Told about every finished and skipped input.
    pub progress: Option<ProgressFn>,
    /// Number of inputs, if known, for progress totals.
    pub total: Option<u64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            parallel: std::thread::available_parallelism().map_or(2, usize::from),
            order: OutputOrder::Completion,
            max_batch: None,
            max_wait: Duration::from_millis(20),
            embed_parallel: 0,
            cpu_timeout: Some(Duration::from_secs(120)),
            embed_timeout: Some(Duration::from_secs(600)),
            resume: None,
            cancel: CancellationToken::new(),
            progress: None,
            total: None,
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("parallel", &self.parallel)
            .field("order", &self.order)
            .field("max_batch", &self.max_batch)
            .field("max_wait", &self.max_wait)
            .field("embed_parallel", &self.embed_parallel)
            .field("cpu_timeout", &self.cpu_timeout)
            .field("embed_timeout", &self.embed_timeout)
            .field("resume", &self.resume.as_ref().map(|r| r.len()))
            .field("total", &self.total)
            .finish_non_exhaustive()
    }
}

/// One input after intake.
enum Admitted {
    Go(Source, Option<String>),
    Skip(String),
    Failed(Record),
}

pub(crate) fn run<S>(pipeline: Pipeline, inputs: S, opts: RunOptions) -> BoxStream<'static, Record>
where
    S: Stream<Item = SourceItem> + Send + 'static,
{
    let parallel = opts.parallel.max(1);
    let tracker = ProgressTracker::new(opts.total, opts.progress.clone());
    let pipeline = Arc::new(pipeline);

    let admitted = inputs
        .take_until(opts.cancel.clone().cancelled_owned())
        .then({
            let resume = opts.resume.clone();
            move |item| admit(item, resume.clone())
        })
        .filter_map({
            let tracker = tracker.clone();
            move |admitted| {
                let kept = match admitted {
                    Admitted::Skip(path) => {
                        tracker.skipped(&path);
                        None
                    }
                    other => Some(other),
                };
                std::future::ready(kept)
            }
        });

    let analyses = admitted.map({
        let pipeline = pipeline.clone();
        let timeout = opts.cpu_timeout;
        move |admitted| analyze_blocking(pipeline.clone(), admitted, timeout)
    });
    let analyses: BoxStream<'static, Analysis> = match opts.order {
        OutputOrder::Input => analyses.buffered(parallel).boxed(),
        OutputOrder::Completion => analyses.buffer_unordered(parallel).boxed(),
    };
    let analyses = analyses.filter_map({
        let tracker = tracker.clone();
        move |analysis| {
            std::future::ready(match analysis {
                Analysis::Unchanged { file_path } => {
                    tracker.skipped(&file_path);
                    None
                }
                other => Some(other),
            })
        }
    });

    let records: BoxStream<'static, Record> = match pipeline.embedder.clone() {
        None => analyses.map(finish_without_model).boxed(),
        Some(embedder) => {
            let max_batch = opts.max_batch.unwrap_or(embedder.spec().max_batch).max(1);
            let batches =
                micro_batches(analyses, parallel.max(max_batch), max_batch, opts.max_wait);
            let embed_parallel = match opts.embed_parallel {
                0 => embedder.concurrency().max(1),
                n => n,
            };
            let timeout = opts.embed_timeout;
            let embedded = batches
                .map(move |batch| embed_batch(pipeline.clone(), embedder.clone(), batch, timeout));
            match opts.order {
                OutputOrder::Input => embedded.buffered(embed_parallel).boxed(),
                OutputOrder::Completion => embedded.buffer_unordered(embed_parallel).boxed(),
            }
            .flat_map(stream::iter)
            .boxed()
        }
    };
    records
        .inspect(move |record| tracker.finished(record))
        .boxed()
}

async fn admit(item: SourceItem, resume: Option<Arc<ResumeIndex>>) -> Admitted {
    let source = match item {
        Ok(source) => source,
        Err(e) => {
            let path = e.path.to_string_lossy().into_owned();
            return match resume {
                Some(index)
                    if index.decide(&Source::Path(e.path.clone()), None)
                        == ResumeDecision::Skip =>
                {
                    Admitted::Skip(path)
                }
                _ => Admitted::Failed(Record::failed(path, e.to_item_error())),
            };
        }
    };
    let Some(index) = resume else {
        return Admitted::Go(source, None);
    };
    let stamp = match &source {
        Source::Path(path) => tokio::fs::metadata(path)
            .await
            .ok()
            .map(|m| FileStamp::from_metadata(&m)),
        Source::Bytes { .. } => None,
    };
    match index.decide(&source, stamp) {
        ResumeDecision::Process => Admitted::Go(source, None),
        ResumeDecision::ProcessUnlessHash(hash) => Admitted::Go(source, Some(hash)),
        ResumeDecision::Skip => Admitted::Skip(source.display_path()),
    }
}

fn analyze_blocking(
    pipeline: Arc<Pipeline>,
    admitted: Admitted,
    timeout: Option<Duration>,
) -> BoxFuture<'static, Analysis> {
    async move {
        let (source, unchanged_if_hash) = match admitted {
            Admitted::Go(source, hash) => (source, hash),
            Admitted::Failed(record) => return Analysis::Failed(record),
            Admitted::Skip(file_path) => return Analysis::Unchanged { file_path },
        };
        let path = source.display_path();
        let tracker = Arc::new(StageTracker::default());
        let task = tokio::task::spawn_blocking({
            let tracker = tracker.clone();
            move || {
                let preprocessing = pipeline.embedder.as_ref().map(|e| e.spec().preprocessing);
                analyze_tracked(
                    source,
                    pipeline.decoder.as_ref(),
                    &pipeline.stages,
                    preprocessing.as_ref(),
                    unchanged_if_hash.as_deref(),
                    &tracker,
                )
            }
        });
        let joined = match timeout {
            Some(limit) => match tokio::time::timeout(limit, task).await {
                Ok(joined) => joined,
                Err(_) => {
                    let stage = tracker.current();
                    return Analysis::Failed(Record::failed(
                        path,
                        ItemError::new(
                            stage,
                            "timeout",
                            format!("{} took longer than {limit:?}", stage.as_str()),
                        ),
                    ));
                }
            },
            None => task.await,
        };
        match joined {
            Ok(analysis) => analysis,
            // Stages catch their own panics; this is the last line of defence.
            Err(e) => Analysis::Failed(Record::failed(
                path,
                ItemError::new(Stage::Decode, "panic", format!("worker failed: {e}")),
            )),
        }
    }
    .boxed()
}

fn finish_without_model(analysis: Analysis) -> Record {
    match analysis {
        Analysis::Ready(analyzed) => Record::Image(Box::new(analyzed.record)),
        Analysis::Failed(record) => record,
        Analysis::Unchanged { file_path } => Record::failed(
            file_path,
            ItemError::new(
                Stage::Read,
                "internal",
                "unchanged input reached the output",
            ),
        ),
    }
}

/// Groups analyses into micro-batches of up to `max_batch` images that need the model, waiting
/// at most `max_wait` to fill one. The CPU stages run in a task of their own, so they keep
/// going while the consumer is busy with a batch. Failed inputs ride along with the next batch,
/// or go out at once when nothing is waiting.
fn micro_batches(
    analyses: impl Stream<Item = Analysis> + Send + 'static,
    channel: usize,
    max_batch: usize,
    max_wait: Duration,
) -> impl Stream<Item = Vec<Analysis>> + Send + 'static {
    let start = stream::once(async move {
        let (tx, rx) = mpsc::channel(channel);
        tokio::spawn(async move {
            let mut analyses = std::pin::pin!(analyses);
            while let Some(analysis) = analyses.next().await {
                if tx.send(analysis).await.is_err() {
                    break; // the consumer is gone
                }
            }
        });
        rx
    });
    start.flat_map(move |rx| {
        stream::unfold(rx, move |mut rx| async move {
            let first = rx.recv().await?;
            let needs_model = |a: &Analysis| matches!(a, Analysis::Ready(_));
            let mut images = usize::from(needs_model(&first));
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + max_wait;
            while images < max_batch {
                let next = match rx.try_recv() {
                    Ok(next) => Some(next),
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                    Err(mpsc::error::TryRecvError::Empty) if images == 0 => None,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        tokio::time::timeout_at(deadline, rx.recv())
                            .await
                            .ok()
                            .flatten()
                    }
                };
                let Some(next) = next else { break };
                images += usize::from(needs_model(&next));
                batch.push(next);
            }
            Some((batch, rx))
        })
    })
}

async fn embed_batch(
    pipeline: Arc<Pipeline>,
    embedder: Arc<dyn Embedder>,
    batch: Vec<Analysis>,
    timeout: Option<Duration>,
) -> Vec<Record> {
    let spec = embedder.spec();
    let (width, height) = (spec.preprocessing.width, spec.preprocessing.height);
    let ready: Vec<&Analyzed> = batch
        .iter()
        .filter_map(|a| match a {
            Analysis::Ready(a) => Some(a.as_ref()),
            _ => None,
        })
        .collect();
    let stacked = ImageBatch::stack(
        height,
        width,
        ready.iter().map(|a| a.tensor.as_deref().unwrap_or(&[])),
    );
    let outcome = match stacked {
        None => Err(ItemError::new(
            Stage::Preprocess,
            "shape",
            "tensor does not match the model input",
        )),
        Some(images) if images.len == 0 => Ok(Vec::new()),
        Some(images) => {
            let n = images.len;
            let call = AssertUnwindSafe(embedder.embed(images)).catch_unwind();
            let result = match timeout {
                Some(limit) => tokio::time::timeout(limit, call).await.map_err(|_| limit),
                None => Ok(call.await),
            };
            match result {
                Err(limit) => Err(ItemError::new(
                    Stage::Embed,
                    "timeout",
                    format!("the embedder took longer than {limit:?}"),
                )),
                Ok(result) => match result {
                    Ok(Ok(outputs)) if outputs.len() == n => Ok(outputs),
                    Ok(Ok(outputs)) => Err(EmbedError::OutputCount {
                        expected: n,
                        got: outputs.len(),
                    }
                    .to_item_error()),
                    Ok(Err(e)) => Err(e.to_item_error()),
                    Err(panic) => Err(ItemError::panic(Stage::Embed, panic.as_ref())),
                },
            }
        }
    };
    let mut outputs = match outcome {
        Ok(outputs) => Ok(outputs.into_iter()),
        Err(e) => Err(e),
    };
    let provenance = ModelProvenance {
        id: spec.id.clone(),
        backend: embedder.backend().to_owned(),
    };
    batch
        .into_iter()
        .map(|analysis| match analysis {
            Analysis::Ready(analyzed) => {
                let record = analyzed.record;
                let output = match &mut outputs {
                    Ok(outputs) => outputs.next(),
                    Err(e) => return record.into_error(e.clone()),
                };
                let Some(mut output) = output else {
                    return record.into_error(ItemError::new(
                        Stage::Embed,
                        "output_count",
                        "missing output",
                    ));
                };
                if output.embedding.len() != spec.embedding_dim {
                    return record.into_error(ItemError::new(
                        Stage::Embed,
                        "embedding_dim",
                        format!(
                            "embedding has {} values, the spec says {}",
                            output.embedding.len(),
                            spec.embedding_dim
                        ),
                    ));
                }
                l2_normalize(&mut output.embedding);
                let tags = match &pipeline.tagger {
                    None => None,
                    Some(tagger) => match std::panic::catch_unwind(AssertUnwindSafe(|| {
                        tagger.tag(&output)
                    })) {
                        Ok(tags) => Some(tags),
                        Err(panic) => {
                            return record.into_error(ItemError::panic(Stage::Tag, panic.as_ref()));
                        }
                    },
                };
                let mut record = record;
                record.embedding = Some(output.embedding);
                record.tags = tags;
                record.model = Some(provenance.clone());
                Record::Image(Box::new(record))
            }
            other => finish_without_model(other),
        })
        .collect()
}
