//! What can go wrong turning records into columns and back, with the cause kept.

use photon_core::SinkError;

/// Why records could not become Arrow columns or Parquet, or be read back from them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArrowRecordError {
    /// A record does not fit the table's schema: an embedding of another length, a value out
    /// of its column's range, a thumbnail that is not base64.
    #[error("{path}: {message}")]
    Record {
        /// The record's `file_path`.
        path: String,
        /// What does not fit.
        message: String,
    },
    /// A file's schema is not a records table this version reads, or is another model's.
    #[error("not a Photon records table: {0}")]
    Schema(String),
    /// Rows of a table that cannot be records (a null where a record needs a value).
    #[error("row {row}: {message}")]
    Row {
        /// The row's index in its batch.
        row: usize,
        /// What is missing or wrong.
        message: String,
    },
    /// Arrow refused the arrays.
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet reader or writer failed.
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The file system refused a read, write, rename or sync.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A JSON Lines record could not be read or written.
    #[error(transparent)]
    Jsonl(#[from] SinkError),
}

impl ArrowRecordError {
    pub(crate) fn record(path: &str, message: impl Into<String>) -> Self {
        Self::Record {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn schema(message: impl Into<String>) -> Self {
        Self::Schema(message.into())
    }

    pub(crate) fn row(row: usize, message: impl Into<String>) -> Self {
        Self::Row {
            row,
            message: message.into(),
        }
    }
}

impl From<ArrowRecordError> for SinkError {
    fn from(error: ArrowRecordError) -> Self {
        match error {
            ArrowRecordError::Io(e) => SinkError::Io(e),
            ArrowRecordError::Jsonl(e) => e,
            other => SinkError::other("cannot write Parquet", other),
        }
    }
}
