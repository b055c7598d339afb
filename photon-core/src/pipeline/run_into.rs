//! [`Pipeline::run_into`]: a whole run written into a [`Sink`], the loop every batch job needs.

use super::{Pipeline, RunOptions, driver};
use crate::progress::{ProgressCounts, ProgressTracker};
use crate::record::Record;
use crate::sink::{Sink, SinkError};
use crate::source::SourceItem;
use futures_util::{Stream, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a finished run did.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RunSummary {
    /// Inputs done, failed and skipped, and the bytes processed.
    pub counts: ProgressCounts,
    /// From the start of the run to the sink's finish.
    pub elapsed: Duration,
    /// The run's [`cancel`](RunOptions::cancel) token was cancelled from outside (Ctrl-C, say):
    /// inputs not yet taken have no record.
    pub cancelled: bool,
}

impl RunSummary {
    /// Inputs processed or failed per second of the run.
    pub fn images_per_second(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        let worked = self.counts.done + self.counts.failed;
        if seconds > 0.0 {
            worked as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Why [`Pipeline::run_into`] stopped before its inputs ran out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The sink refused a record or its finish step; the run was cancelled there. What the
    /// sink had already made durable stays, as its contract says.
    #[error("the output failed")]
    Sink {
        /// The sink's error.
        #[source]
        source: SinkError,
        /// The run up to that point.
        summary: RunSummary,
    },
}

impl Pipeline {
    /// Runs `inputs` like [`run`](Self::run) and writes every record into `sink`, then calls its
    /// [`finish`](Sink::finish), also when the run was cancelled.
    ///
    /// A sink error cancels this run only (in-flight inputs are dropped; other runs sharing the
    /// [`cancel`](RunOptions::cancel) token go on) and is returned with the counts so far; the
    /// run's progress callback has seen every record written. The sink's `finish` (a Parquet
    /// merge, say) runs off the async workers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use photon_core::{JsonlSink, Pipeline, RunOptions, walk, WalkOptions};
    /// let inputs = futures_util::stream::iter(walk(["../testdata/photos"], &WalkOptions::default()));
    /// let mut sink = JsonlSink::new(Vec::new());
    /// let summary = Pipeline::default()
    ///     .run_into(inputs, RunOptions::default(), &mut sink)
    ///     .await
    ///     .unwrap();
    /// assert_eq!(summary.counts.done, 7);
    /// assert_eq!(sink.into_inner().iter().filter(|&&b| b == b'\n').count(), 7);
    /// # }
    /// ```
    pub async fn run_into<S, K>(
        &self,
        inputs: S,
        options: RunOptions,
        sink: &mut K,
    ) -> Result<RunSummary, RunError>
    where
        S: Stream + Send + 'static,
        S::Item: Into<SourceItem>,
        K: Sink + ?Sized,
    {
        let started = Instant::now();
        let tracker = ProgressTracker::new(options.total, options.progress.clone());
        // The caller's token stops this run; a failing sink stops this run alone.
        let this_run = options.cancel.child_token();
        let run_options = options.clone().cancel(this_run.clone());
        let records = driver::run(
            Arc::new(self.clone()),
            inputs.map(Into::into),
            &run_options,
            tracker.clone(),
        );
        let written = write_all(records, sink).await;
        if written.is_err() {
            this_run.cancel();
        }
        let finished = off_the_workers(|| sink.finish());
        let cancelled = options.cancel.is_cancelled();
        let summary = RunSummary {
            counts: tracker.counts(),
            elapsed: started.elapsed(),
            cancelled,
        };
        match written.and(finished) {
            Ok(()) => Ok(summary),
            Err(source) => Err(RunError::Sink { source, summary }),
        }
    }
}

/// Writes records until the stream ends or the sink fails.
async fn write_all<K: Sink + ?Sized>(
    records: impl Stream<Item = Record>,
    sink: &mut K,
) -> Result<(), SinkError> {
    let mut records = std::pin::pin!(records);
    while let Some(record) = records.next().await {
        sink.write(&record)?;
    }
    Ok(())
}

/// Runs `work` where it does not hold up an async worker: on a multi-threaded runtime the worker
/// hands its other tasks over first (`block_in_place`; the sink is borrowed, so it cannot move
/// to a blocking thread); on a current-thread runtime there is no other worker to keep free.
fn off_the_workers<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}
