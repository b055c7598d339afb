//! Photon's records searched and compared: search by embedding, exact or through an HNSW index,
//! and duplicates found among them. Everything here works on records (JSON Lines or Parquet, read
//! by photon-core or photon-arrow) and their vectors; nothing decodes an image or runs a model.
//!
//! Search: a query vector (a text embedding, or another image's) ranked against records.
//!
//! - [`rank_records`] streams a records file once, keeping only the best hits.
//! - [`Embeddings`] holds one model's embeddings in memory for many queries, searched exactly
//!   on all cores.
//! - `HnswIndex` (feature `index`) is an approximate nearest-neighbour graph over
//!   [`Embeddings`], saved to disk, for collections where an exact scan is too slow.
//!
//! - [`rank_descriptions`] searches in words: the descriptions a vision-language model wrote
//!   (`photon process --describe`), ranked against a plain-text query by BM25.
//!
//! Duplicates: [`dedup::find_duplicates`] groups exact copies (same content hash), near
//! duplicates (perceptual hashes a few bits apart) and, if asked, similar images (embeddings
//! above a cosine), and names the file of each group to keep.
#![deny(missing_docs)]

pub mod dedup;

mod embeddings;
mod error;
#[cfg(feature = "index")]
mod hnsw;
mod query;
mod rank;
mod words;

pub use embeddings::Embeddings;
pub use error::SearchError;
#[cfg(feature = "index")]
pub use hnsw::{HnswIndex, HnswOptions};
pub use query::Query;
pub use rank::{Ranking, SearchHit, rank_records};
pub use words::{TextHit, TextRanking, rank_descriptions};
