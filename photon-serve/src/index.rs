//! What `/v1/search/*` ranks: the embeddings of a records file, or an HNSW index.

use crate::error::ApiError;
use photon_core::with_causes;
use photon_index::{Embeddings, HnswIndex, SearchHit};
use std::path::Path;

/// What search runs over: the embeddings of a records file, or an HNSW index.
pub(crate) enum SearchIndex {
    Exact(Embeddings),
    Hnsw(HnswIndex),
}

impl SearchIndex {
    /// An index folder (from `photon index build`), or a records file (JSON Lines or Parquet).
    pub fn open(path: &Path) -> Result<Self, String> {
        if path.is_dir() {
            return HnswIndex::open(path)
                .map(SearchIndex::Hnsw)
                .map_err(|e| with_causes(&e));
        }
        let records = photon_arrow::read_records(path).map_err(|e| with_causes(&e))?;
        let (embeddings, _other_model) =
            Embeddings::from_records(records.filter_map(Result::ok), None)
                .map_err(|e| with_causes(&e))?;
        Ok(SearchIndex::Exact(embeddings))
    }

    pub fn search(
        &self,
        model_id: &str,
        vector: &[f32],
        top: usize,
    ) -> Result<Vec<SearchHit>, ApiError> {
        let query = photon_index::Query::new(model_id, vector);
        match self {
            SearchIndex::Exact(embeddings) => embeddings.search(query, top),
            SearchIndex::Hnsw(index) => index.search(query, top),
        }
        .map_err(|e| ApiError::unprocessable(with_causes(&e)))
    }
}
