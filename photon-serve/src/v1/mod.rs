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
use photon_core::{ItemError, Record, Stage};
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
    /// A face model folder name (under `facial-recognition`, as immich's): the record then has
    /// its `faces`, found by that model.
    faces: Option<String>,
    /// The face detector's threshold, 0 to 1 (default 0.7, immich's).
    min_score: Option<f32>,
}

/// immich's default detector score, the one `/v1/records` finds faces at unless asked.
const DEFAULT_MIN_SCORE: f32 = 0.7;

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
/// hashes, EXIF, thumbnail, and faces when `faces` names a face model). An image that fails
/// gets its error record, with status 422 when the image was at fault and 500 when the model
/// was; a face stage that fails leaves the rest of the record (200, the failure in `errors`).
#[utoipa::path(
    post, path = "/v1/records", params(RecordParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The image file's bytes, any format Photon decodes"),
    responses(
        (status = 200, description = "The image's record", body = Object),
        (status = 404, description = "No such model or face model", body = ErrorBody),
        (status = 422, description = "The image's error record (stage, kind, message): it could not be read, decoded or prepared; or `min_score` is not from 0 to 1", body = Object),
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
    let min_score = params.min_score.unwrap_or(DEFAULT_MIN_SCORE);
    if !(0.0..=1.0).contains(&min_score) {
        return Err(ApiError::unprocessable(format!(
            "min_score must be a number from 0 to 1, not {min_score}"
        )));
    }
    let model = state.model_name(params.model.as_deref())?;
    let (_place, loaded) = state.model(&model, Tower::Visual).await?;
    let record = loaded.visual()?.record(body.to_vec());
    let mut record = match params.faces.as_deref() {
        None => state.within_time(record).await?,
        Some(faces) => {
            // The request's one place in the queue covers both models.
            let faces = state.registry.get(faces, Tower::Faces).await?;
            let found = faces.faces()?.find(body.to_vec(), min_score);
            let (record, found) = tokio::join!(state.within_time(record), state.within_time(found));
            with_faces(record?, found?)
        }
    };
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

/// The record with the faces the face model's own pipeline `found` in the same bytes (two
/// pipelines, as immich's CLIP and faces in one request: each keeps its batching and decode
/// size). Where that pipeline could not read the image, the failure is the face stage's.
fn with_faces(mut record: Record, found: Record) -> Record {
    let Record::Image(image) = &mut record else {
        return record;
    };
    match found {
        Record::Image(found) => {
            image.faces = found.faces;
            image.faces_found = found.faces_found;
            image.errors.extend(found.errors);
        }
        Record::Error(failed) => image.errors.push(ItemError::new(
            Stage::Faces,
            failed.error.kind,
            failed.error.message,
        )),
    }
    record
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
