//! Where records go: the [`Sink`] trait and its contract, and the JSON Lines format.

mod jsonl;

pub use jsonl::{JsonlRecords, JsonlSink, read_jsonl};

use crate::record::Record;

/// A destination for records: a file format, a database, a queue.
///
/// [`Pipeline::run_into`](crate::Pipeline::run_into) drives a sink: it calls
/// [`write`](Sink::write) once per record, in the order the run yields them, and then
/// [`finish`](Sink::finish) exactly once, also after a cancelled run or a failed write.
///
/// # The contract
///
/// - **Durability is the sink's to state.** Each implementation documents which records survive
///   a crash (a `SIGKILL`, a power cut) at any moment: a line sink such as [`JsonlSink`] keeps
///   every record whose `write` returned; a columnar sink (`photon-arrow`'s `ParquetSink`)
///   keeps every finished part, a few hundred records at a time. A
///   crash must never leave a file that its readers cannot open, and must never lose what an
///   earlier run wrote to the same destination.
/// - **`write` either takes the record whole or fails.** On error, nothing of that record may be
///   visible, and the records before it keep their durability. The run stops at the first error:
///   an output that refused one record is not trusted with the next.
/// - **`finish` completes the output**: flushes buffers, writes footers, makes everything written
///   durable. After `finish`, `write` is not called again. A sink dropped without `finish`
///   (the process dying) keeps only what its durability promise covers.
/// - **No blocking for long.** `write` is called from the run's async task: buffer, and do slow
///   work (fsync, compression of a part) in batches rather than per record.
///
/// # Implementing it
///
/// A sink that only counts, as a minimal example:
///
/// ```
/// use photon_core::{Record, Sink, SinkError};
///
/// #[derive(Default)]
/// struct CountFailures { failed: usize, finished: bool }
///
/// impl Sink for CountFailures {
///     fn write(&mut self, record: &Record) -> Result<(), SinkError> {
///         self.failed += usize::from(!record.is_ok());
///         Ok(())
///     }
///     fn finish(&mut self) -> Result<(), SinkError> {
///         self.finished = true;
///         Ok(())
///     }
/// }
/// ```
///
/// A pitfall: a sink that wraps another must forward `finish`, or the inner sink's buffered
/// records and footer are never written.
///
/// ```compile_fail
/// # use photon_core::{Record, Sink, SinkError};
/// struct Logged<S>(S);
/// impl<S: Sink> Sink for Logged<S> {
///     fn write(&mut self, record: &Record) -> Result<(), SinkError> {
///         eprintln!("{}", record.file_path());
///         self.0.write(record)
///     }
///     // Wrong: no `finish`, which has no default for exactly this reason.
/// }
/// ```
///
/// Right: forward both.
///
/// ```
/// # use photon_core::{Record, Sink, SinkError};
/// struct Logged<S>(S);
/// impl<S: Sink> Sink for Logged<S> {
///     fn write(&mut self, record: &Record) -> Result<(), SinkError> {
///         eprintln!("{}", record.file_path());
///         self.0.write(record)
///     }
///     fn finish(&mut self) -> Result<(), SinkError> {
///         self.0.finish()
///     }
/// }
/// ```
pub trait Sink {
    /// Takes one record, whole, or fails leaving none of it visible.
    fn write(&mut self, record: &Record) -> Result<(), SinkError>;

    /// Completes the output: buffered records, footers, durability. Called once, last.
    fn finish(&mut self) -> Result<(), SinkError>;
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        (**self).write(record)
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        (**self).finish()
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        (**self).write(record)
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        (**self).finish()
    }
}

/// Why a sink could not take a record or finish. Unlike per-input errors this stops a run:
/// there is nowhere left to put results. The cause is kept as the error's
/// [`source`](std::error::Error::source).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The output refused the write (disk full, closed pipe, permissions).
    #[error("cannot write output")]
    Io(#[from] std::io::Error),
    /// The record could not be serialised (a NaN in an embedding, for example).
    #[error("cannot serialise record")]
    Serialize(#[from] serde_json::Error),
    /// Any other sink's failure (an encoder, a database client), with its cause.
    #[error("{message}")]
    Other {
        /// What the sink was doing.
        message: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl SinkError {
    /// A failure of a sink's own machinery, keeping `source` as its cause.
    pub fn other(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Other {
            message: message.into(),
            source: source.into(),
        }
    }
}
