//! What can go wrong building, saving, opening or querying a search structure.

use std::path::PathBuf;

/// A search failure, with its cause kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The records or the query come from different models: their embeddings live in different
    /// spaces and are never compared.
    #[error("model mismatch: the embeddings are from {expected}, the query from {found}")]
    ModelMismatch {
        /// The model of the indexed embeddings.
        expected: String,
        /// The model of the query.
        found: String,
    },
    /// A vector is not as long as the others.
    #[error("a vector of {found} dimensions among vectors of {expected}")]
    Dimensions {
        /// The others' length.
        expected: usize,
        /// This one's.
        found: usize,
    },
    /// There is nothing to search: no record carries an embedding.
    #[error("no embeddings to search")]
    Empty,
    /// Reading or writing an index file.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An index file that is not one, or of another version.
    #[error("{path}: not a Photon index ({reason})")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The index library failed.
    #[error("index: {0}")]
    Index(String),
}
