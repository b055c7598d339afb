//! Ranking recorded images against a query vector (a text embedding, or another image's), on
//! typed records.

use crate::error::SearchError;
use crate::query::Query;
use photon_core::Record;
use photon_core::vector::{TopK, dot};

/// One image in a ranking.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SearchHit {
    /// The record's `file_path`.
    pub file_path: String,
    /// Cosine similarity to the query (both sides are unit length).
    pub score: f32,
}

impl SearchHit {
    pub(crate) fn new(file_path: String, score: f32) -> Self {
        Self { file_path, score }
    }
}

/// The best matches for a query, and what could not be ranked.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Ranking {
    /// The best matches, best first.
    pub hits: Vec<SearchHit>,
    /// Records whose embedding came from the query's model, all ranked.
    pub ranked: usize,
    /// Records embedded by another model: another embedding space, not comparable.
    pub other_model: usize,
    /// Records without an embedding (failed inputs, runs without a model), or whose embedding
    /// is not as long as the query.
    pub without_embedding: usize,
}

/// Ranks `records` by cosine similarity to `query` (the `model.id` records carry names the model
/// of each), keeping the `top` best. Records from other models are counted, never mixed in; when
/// every embedding is another model's, that is [`SearchError::ModelMismatch`]. One pass, memory
/// for `top` hits only, so it streams a records file of any size.
///
/// ```
/// use photon_core::Record;
/// use photon_index::{Query, SearchError, rank_records};
/// let line = r#"{"schema_version":1,"file_path":"cat.jpg","file_size":1,"content_hash":"h",
///     "width":1,"height":1,"format":"jpeg","embedding":[0.6,0.8],"model":{"id":"m","backend":"ort"}}"#;
/// let record: Record = serde_json::from_str(line).unwrap();
/// let ranking = rank_records([record.clone()], Query::new("m", &[0.0, 1.0]), 5).unwrap();
/// assert_eq!(ranking.hits[0].file_path, "cat.jpg");
/// assert!((ranking.hits[0].score - 0.8).abs() < 1e-6);
/// let elsewhere = rank_records([record], Query::new("other", &[0.0, 1.0]), 5);
/// assert!(matches!(elsewhere, Err(SearchError::ModelMismatch { .. })));
/// ```
pub fn rank_records(
    records: impl IntoIterator<Item = Record>,
    query: Query<'_>,
    top: usize,
) -> Result<Ranking, SearchError> {
    let (model_id, query_vector) = (query.model_id, query.vector);
    let mut best = TopK::new(top);
    let mut ranking = Ranking::default();
    let mut other_model = None;
    for record in records {
        let Record::Image(image) = record else {
            ranking.without_embedding += 1;
            continue;
        };
        let (Some(embedding), Some(model)) = (&image.embedding, &image.model) else {
            ranking.without_embedding += 1;
            continue;
        };
        if model.id != model_id {
            ranking.other_model += 1;
            other_model.get_or_insert_with(|| model.id.clone());
            continue;
        }
        if embedding.len() != query_vector.len() {
            ranking.without_embedding += 1;
            continue;
        }
        let score = dot(embedding, query_vector);
        ranking.ranked += 1;
        best.offer(image.file_path, score);
    }
    ranking.hits = best
        .into_sorted()
        .into_iter()
        .map(|(file_path, score)| SearchHit { file_path, score })
        .collect();
    match other_model {
        Some(theirs) if ranking.ranked == 0 => query.check_model(&theirs).map(|()| ranking),
        _ => Ok(ranking),
    }
}
