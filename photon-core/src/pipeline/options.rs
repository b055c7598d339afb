//! What a pipeline computes ([`StageOptions`]) and how one run of it is driven ([`RunOptions`]).

use crate::decode::DecodeLimits;
use crate::progress::{ProgressCounts, ProgressEvent, ProgressFn};
use crate::resume::ResumeIndex;
use crate::thumbnail::ThumbnailOptions;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Which non-model stages run, and their settings. Set them through
/// [`PipelineBuilder`](crate::PipelineBuilder), or start from [`Default`] and assign fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StageOptions {
    /// Emit EXIF fields. (Orientation is always applied to the pixels.)
    pub exif: bool,
    /// Compute the perceptual hash.
    pub perceptual_hash: bool,
    /// Make a thumbnail, and how.
    pub thumbnail: Option<ThumbnailOptions>,
    /// Decoder limits against decompression bombs.
    pub limits: DecodeLimits,
    /// Inputs larger than this are refused before reading.
    pub max_file_bytes: u64,
}

impl Default for StageOptions {
    /// Every stage on, 256 px inline thumbnails, default limits, 1 GiB input cap.
    fn default() -> Self {
        Self {
            exif: true,
            perceptual_hash: true,
            thumbnail: Some(ThumbnailOptions::default()),
            limits: DecodeLimits::default(),
            max_file_bytes: 1 << 30,
        }
    }
}

/// Order of the output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OutputOrder {
    /// As soon as each input is done (fastest).
    #[default]
    Completion,
    /// The order inputs arrived in (a slow input holds back the ones after it).
    Input,
}

/// How one run is driven: parallelism, order, batching, time limits, resume, cancellation and
/// progress. Start from [`Default`] and chain the setters:
///
/// ```
/// use photon_core::{OutputOrder, RunOptions};
/// let options = RunOptions::default().parallel(4).order(OutputOrder::Input);
/// assert_eq!((options.parallel, options.order), (4, OutputOrder::Input));
/// ```
#[derive(Clone)]
#[non_exhaustive]
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

impl RunOptions {
    /// Sets [`parallel`](Self::parallel).
    pub fn parallel(mut self, inputs_at_once: usize) -> Self {
        self.parallel = inputs_at_once;
        self
    }

    /// Sets [`order`](Self::order).
    pub fn order(mut self, order: OutputOrder) -> Self {
        self.order = order;
        self
    }

    /// Sets [`max_batch`](Self::max_batch).
    pub fn max_batch(mut self, images: Option<usize>) -> Self {
        self.max_batch = images;
        self
    }

    /// Sets [`max_wait`](Self::max_wait).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Sets [`embed_parallel`](Self::embed_parallel).
    pub fn embed_parallel(mut self, calls_at_once: usize) -> Self {
        self.embed_parallel = calls_at_once;
        self
    }

    /// Sets [`cpu_timeout`](Self::cpu_timeout).
    pub fn cpu_timeout(mut self, limit: Option<Duration>) -> Self {
        self.cpu_timeout = limit;
        self
    }

    /// Sets [`embed_timeout`](Self::embed_timeout).
    pub fn embed_timeout(mut self, limit: Option<Duration>) -> Self {
        self.embed_timeout = limit;
        self
    }

    /// Sets [`resume`](Self::resume).
    pub fn resume(mut self, earlier: Option<Arc<ResumeIndex>>) -> Self {
        self.resume = earlier;
        self
    }

    /// Sets [`cancel`](Self::cancel).
    pub fn cancel(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// Sets [`progress`](Self::progress) from a closure.
    pub fn progress(
        mut self,
        callback: impl Fn(&ProgressEvent<'_>, &ProgressCounts) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Arc::new(callback));
        self
    }

    /// Sets [`total`](Self::total).
    pub fn total(mut self, inputs: Option<u64>) -> Self {
        self.total = inputs;
        self
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
