//! Progress reporting: a callback told about every finished or skipped input, with running counts.

use crate::record::Record;
use std::sync::{Arc, Mutex};

/// Running totals of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgressCounts {
    /// All inputs of the run, skipped ones included, when the caller said how many.
    pub total: Option<u64>,
    /// Inputs processed successfully.
    pub done: u64,
    /// Inputs that produced an error record.
    pub failed: u64,
    /// Inputs skipped because an earlier run already recorded them.
    pub skipped: u64,
    /// Inputs processed again because their latest earlier record was an error; each is also
    /// counted in `done` or `failed` once it finishes.
    pub retried: u64,
    /// Bytes of successfully processed inputs.
    pub bytes: u64,
}

impl ProgressCounts {
    /// Inputs finished one way or another.
    pub fn completed(&self) -> u64 {
        self.done + self.failed + self.skipped
    }
}

/// What just happened to one input.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ProgressEvent<'a> {
    /// The input was already recorded by an earlier run; no record is emitted for it.
    Skipped {
        /// Its path.
        file_path: &'a str,
    },
    /// The input's record is about to be emitted.
    Finished {
        /// The record, successful or not.
        record: &'a Record,
    },
}

/// The progress callback. It runs on the driver's threads, so keep it quick.
pub type ProgressFn = Arc<dyn Fn(&ProgressEvent<'_>, &ProgressCounts) + Send + Sync>;

/// Keeps the counts and calls the callback; shared by the driver's stages.
#[derive(Clone)]
pub(crate) struct ProgressTracker {
    counts: Arc<Mutex<ProgressCounts>>,
    callback: Option<ProgressFn>,
}

impl ProgressTracker {
    pub(crate) fn new(total: Option<u64>, callback: Option<ProgressFn>) -> Self {
        Self {
            counts: Arc::new(Mutex::new(ProgressCounts {
                total,
                ..ProgressCounts::default()
            })),
            callback,
        }
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> ProgressCounts {
        *self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn skipped(&self, file_path: &str) {
        self.update(ProgressEvent::Skipped { file_path }, |c| c.skipped += 1);
    }

    /// Counts an input resume retries; it is reported again when it finishes.
    pub(crate) fn retried(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retried += 1;
    }

    pub(crate) fn finished(&self, record: &Record) {
        self.update(ProgressEvent::Finished { record }, |c| match record {
            Record::Image(r) => {
                c.done += 1;
                c.bytes += r.file_size;
            }
            Record::Error(_) => c.failed += 1,
        });
    }

    fn update(&self, event: ProgressEvent<'_>, change: impl FnOnce(&mut ProgressCounts)) {
        let snapshot = {
            let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut counts);
            *counts
        };
        if let Some(callback) = &self.callback {
            callback(&event, &snapshot);
        }
    }
}
