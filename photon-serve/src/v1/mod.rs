//! Photon's own API, versioned: records, text embeddings, search, health, and its OpenAPI
//! document (generated from these handlers and types by utoipa).

/// An extractor's rejection into a JSON error with its status and text.
macro_rules! rejected {
    () => {
        |rejection| crate::error::ApiError::new(rejection.status(), rejection.body_text())
    };
}

mod search;

use crate::error::ApiError;
use crate::models::Tower;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use photon_core::{Record, Stage};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi, ToSchema};

pub(crate) use search::{search_image, search_text};

/// The OpenAPI 3.1 document of the `/v1` API (and of the health and metrics routes), as JSON.
/// `GET /v1/openapi.json` serves it; docs/openapi.json is this, checked by a test.
pub fn openapi_json() -> String {
    // Serialising a document built from types cannot fail.
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Photon",
        description = "Photon's own API beside immich's machine-learning protocol (/ping, /, /predict). Errors are `{\"detail\": ...}` with `stage` or `task` where one applies; 503 answers carry Retry-After."
    ),
    paths(
        records,
        embed_text,
        search::search_text,
        search::search_image,
        healthz,
        metrics
    ),
    components(schemas(
        TextRequest,
        TextEmbedding,
        search::SearchTextRequest,
        search::SearchAnswer,
        search::Hit,
        Health,
        ErrorBody
    ))
)]
struct ApiDoc;

/// An error answer.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, causes included.
    detail: String,
    /// The pipeline stage that failed, where one did.
    stage: Option<String>,
    /// The task of immich's protocol refused, where one was.
    task: Option<String>,
}

/// Which model and what to call the upload.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RecordParams {
    /// Model folder name under the models folder; the server's default model when absent.
    model: Option<String>,
    /// Goes into the record's `file_path` (default `upload`).
    name: Option<String>,
}

/// Text to embed.
#[derive(Deserialize, ToSchema)]
pub(crate) struct TextRequest {
    /// Model folder name (it needs a text tower); the server's default model when absent.
    model: Option<String>,
    /// The text.
    text: String,
}

/// A text's embedding.
#[derive(Serialize, ToSchema)]
pub(crate) struct TextEmbedding {
    /// The image model whose space the vector is in (`name@hash`, as in records).
    model_id: String,
    /// L2-normalised.
    embedding: Vec<f32>,
}

/// The server's state.
#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok` while the server answers.
    status: String,
    /// Model towers loaded now.
    models_loaded: Vec<String>,
}

/// The image's full record: the schema of `photon process`' JSON Lines (embedding, tags,
/// hashes, EXIF, thumbnail). An image that fails gets its error record, with status 422 when
/// the image was at fault and 500 when the model was.
#[utoipa::path(
    post, path = "/v1/records", params(RecordParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The image file's bytes, any format Photon decodes"),
    responses(
        (status = 200, description = "The image's record", body = Object),
        (status = 422, description = "The image's error record (stage, kind, message): it could not be read, decoded or prepared", body = Object),
        (status = 500, description = "The image's error record: the model or the tagger failed on it", body = Object),
        (status = 503, description = "Queue full or model loading; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn records(
    State(state): State<Arc<AppState>>,
    params: Result<Query<RecordParams>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (Query(params), body) = (params.map_err(rejected!())?, body.map_err(rejected!())?);
    let model = state.model_name(params.model.as_deref())?;
    let (_place, loaded) = state.model(&model, Tower::Visual).await?;
    let mut record = state
        .within_time(loaded.visual()?.record(body.to_vec()))
        .await?;
    let name = params.name.unwrap_or_else(|| "upload".to_owned());
    let status = match &mut record {
        Record::Image(image) => {
            image.file_name = Path::new(&name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            image.file_path = name;
            StatusCode::OK
        }
        Record::Error(error) => {
            error.file_path = name;
            match error.error.stage {
                Stage::Embed | Stage::Tag => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            }
        }
    };
    Ok((status, Json(record)).into_response())
}

/// A text's embedding in its model's image space.
#[utoipa::path(
    post, path = "/v1/embed/text", request_body = TextRequest,
    responses((status = 200, body = TextEmbedding), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub(crate) async fn embed_text(
    State(state): State<Arc<AppState>>,
    request: Result<Json<TextRequest>, JsonRejection>,
) -> Result<Json<TextEmbedding>, ApiError> {
    let Json(request) = request.map_err(rejected!())?;
    let model = state.model_name(request.model.as_deref())?;
    let (_place, loaded) = state.model(&model, Tower::Textual).await?;
    let embedding = state.within_time(loaded.embed_text(request.text)).await?;
    Ok(Json(TextEmbedding {
        model_id: loaded.model_id().to_owned(),
        embedding,
    }))
}

/// Liveness and the models loaded.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub(crate) async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        models_loaded: state.registry.loaded(),
    })
}

/// Prometheus text: `photon_requests_total`, `photon_request_errors_total`,
/// `photon_request_duration_seconds`, `photon_batch_size`, `photon_queue_depth`,
/// `photon_models_loaded`, `photon_resident_memory_bytes`.
#[utoipa::path(get, path = "/metrics", responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}

pub(crate) async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi_json(),
    )
}
