//! A query: a vector and the model whose embedding space it lives in.

use crate::error::SearchError;

/// A query vector (a text embedding, or another image's, unit length) and the id of the model
/// that embedded it. Every search takes one and refuses embeddings of another model: vectors of
/// two models live in different spaces, and a cosine between them means nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query<'a> {
    /// The id records give the model (`model.id`).
    pub model_id: &'a str,
    /// The vector.
    pub vector: &'a [f32],
}

impl<'a> Query<'a> {
    /// `vector`, embedded by the model `model_id`.
    pub fn new(model_id: &'a str, vector: &'a [f32]) -> Self {
        Self { model_id, vector }
    }

    /// `Ok` when embeddings of `model_id` can answer this query.
    pub(crate) fn check_model(&self, model_id: &str) -> Result<(), SearchError> {
        if model_id == self.model_id {
            Ok(())
        } else {
            Err(SearchError::ModelMismatch {
                expected: model_id.to_owned(),
                found: self.model_id.to_owned(),
            })
        }
    }
}
