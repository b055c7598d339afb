//! `/v1/search/*`: the records or index given at start, ranked against a text or an image.

use crate::error::ApiError;
use crate::models::Tower;
use crate::server::{AppState, answer_of};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use photon_core::with_causes;
use photon_index::{Embeddings, HnswIndex, SearchHit};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Most hits one search returns.
const MAX_TOP: usize = 1000;

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

    fn search(
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

/// A text query.
#[derive(Deserialize, ToSchema)]
pub(crate) struct SearchTextRequest {
    /// Model folder name with a text tower, the one the index was embedded with; the
    /// server's default model when absent.
    model: Option<String>,
    /// The query.
    text: String,
    /// Hits to return (default 10, at most 1000).
    top: Option<usize>,
}

/// Parameters of an image query.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchImageParams {
    /// Model folder name, the one the index was embedded with; the default model when absent.
    model: Option<String>,
    /// Hits to return (default 10, at most 1000).
    top: Option<usize>,
}

/// The best matches, best first.
#[derive(Serialize, ToSchema)]
pub(crate) struct SearchAnswer {
    /// The model whose space the query was embedded in.
    model_id: String,
    /// Best first.
    hits: Vec<Hit>,
}

/// One match.
#[derive(Serialize, ToSchema)]
pub(crate) struct Hit {
    /// The record's `file_path`.
    file_path: String,
    /// Cosine similarity.
    score: f32,
}

/// Ranks the index against a text.
#[utoipa::path(
    post, path = "/v1/search/text", request_body = SearchTextRequest,
    responses((status = 200, body = SearchAnswer), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody))
)]
pub(crate) async fn search_text(
    State(state): State<Arc<AppState>>,
    Json(request): Json<SearchTextRequest>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let index = index_of(&state)?;
    let model = state.model_name(request.model.as_deref())?;
    let _place = state.queue.enter()?;
    let loaded = state.registry.get(&model, Tower::Textual).await?;
    let vector = state.within_time(loaded.embed_text(request.text)).await?;
    answer(index, loaded.model_id(), &vector, request.top)
}

/// Ranks the index against an example image.
#[utoipa::path(
    post, path = "/v1/search/image", params(SearchImageParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = SearchAnswer), (status = 404, body = super::ErrorBody), (status = 422, body = super::ErrorBody))
)]
pub(crate) async fn search_image(
    State(state): State<Arc<AppState>>,
    Query(params): Query<SearchImageParams>,
    body: Bytes,
) -> Result<Json<SearchAnswer>, ApiError> {
    let index = index_of(&state)?;
    let model = state.model_name(params.model.as_deref())?;
    let _place = state.queue.enter()?;
    let loaded = state.registry.get(&model, Tower::Visual).await?;
    let visual = loaded.visual()?;
    let record = answer_of(state.within_time(visual.embed(body.to_vec())).await?)?;
    let vector = record
        .embedding
        .ok_or_else(|| ApiError::internal("the model gave no embedding"))?;
    answer(index, visual.model_id(), &vector, params.top)
}

fn index_of(state: &AppState) -> Result<&SearchIndex, ApiError> {
    state
        .index
        .as_ref()
        .ok_or_else(|| ApiError::not_found("this server was started without --index"))
}

fn answer(
    index: &SearchIndex,
    model_id: &str,
    vector: &[f32],
    top: Option<usize>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let top = top.unwrap_or(10).clamp(1, MAX_TOP);
    let hits = index.search(model_id, vector, top)?;
    Ok(Json(SearchAnswer {
        model_id: model_id.to_owned(),
        hits: hits
            .into_iter()
            .map(|hit| Hit {
                file_path: hit.file_path,
                score: hit.score,
            })
            .collect(),
    }))
}
