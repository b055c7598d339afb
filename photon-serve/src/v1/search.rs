//! `/v1/search/*`: the records or index given at start, ranked against a text or an image.

use crate::error::ApiError;
use crate::index::SearchIndex;
use crate::models::Tower;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Most hits one search returns.
const MAX_TOP: usize = 1000;

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
    request: Result<Json<SearchTextRequest>, JsonRejection>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let Json(request) = request.map_err(rejected!())?;
    let index = index_of(&state)?;
    let model = state.model_name(request.model.as_deref())?;
    let (_place, loaded) = state.model(&model, Tower::Textual).await?;
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
    params: Result<Query<SearchImageParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let (Query(params), body) = (params.map_err(rejected!())?, body.map_err(rejected!())?);
    let index = index_of(&state)?;
    let model = state.model_name(params.model.as_deref())?;
    let (_place, loaded) = state.model(&model, Tower::Visual).await?;
    let visual = loaded.visual()?;
    let (_, vector) = state.embed_image(visual, body.to_vec()).await?;
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
