//! Search over recorded images by embedding: a query vector (a text embedding, or another
//! image's) ranked against records, exactly or through an index.
//!
//! - [`rank_records`] streams a records file once, keeping only the best hits.
//! - [`Embeddings`] holds one model's embeddings in memory for many queries, searched exactly
//!   on all cores.
//! - `HnswIndex` (feature `index`) is an approximate nearest-neighbour graph over
//!   [`Embeddings`], saved to disk, for collections where an exact scan is too slow.

mod embeddings;
mod error;
#[cfg(feature = "index")]
mod hnsw;
mod rank;

pub use embeddings::Embeddings;
pub use error::SearchError;
#[cfg(feature = "index")]
pub use hnsw::{HnswIndex, HnswOptions};
pub use rank::{Ranking, SearchHit, rank_records};
