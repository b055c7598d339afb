//! immich's machine-learning protocol, as its server calls it: `GET /ping`, `GET /`,
//! `POST /predict` (multipart `entries` with `image` or `text`).

mod entries;

use crate::error::ApiError;
use crate::form::{not_multipart, read_predict_form};
use crate::models::Tower;
use crate::state::AppState;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use entries::{ClipRequest, FaceRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Health check immich's server polls (and the one route a token never guards).
pub(crate) async fn ping() -> &'static str {
    "pong"
}

pub(crate) async fn root() -> Json<Value> {
    Json(json!({ "message": "Immich ML" }))
}

pub(crate) async fn predict(
    State(state): State<Arc<AppState>>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Json<Value>, ApiError> {
    let form = form.map_err(not_multipart)?;
    let form = tokio::time::timeout(state.options.request_timeout, read_predict_form(form))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body took too long",
            )
        })??;
    let entries = form
        .entries
        .ok_or_else(|| ApiError::unprocessable("the form field `entries` is missing"))?;
    let tasks = entries::parse(&entries)?;
    if form.image.is_none() && form.text.is_none() {
        return Err(ApiError::bad_request(
            "Either image or text must be provided",
        ));
    }
    let mut answer = Map::new();
    match tasks.clip {
        Some(ClipRequest::Visual { model }) => {
            let image = form.image.clone().ok_or_else(|| {
                ApiError::bad_request("clip visual needs an `image`").with_task("clip")
            })?;
            answer.extend(visual(&state, &model, image).await?);
        }
        Some(ClipRequest::Textual { model }) => {
            let text = form.text.ok_or_else(|| {
                ApiError::bad_request("clip textual needs a `text`").with_task("clip")
            })?;
            answer.extend(textual(&state, &model, text).await?);
        }
        None => {}
    }
    if let Some(request) = tasks.faces {
        let image = form.image.ok_or_else(|| {
            ApiError::bad_request("facial-recognition needs an `image`").with_task(FACES)
        })?;
        answer.extend(faces(&state, &request, image).await?);
    }
    Ok(Json(Value::Object(answer)))
}

const FACES: &str = "facial-recognition";

/// `{"facial-recognition":[{"boundingBox":{"x1","y1","x2","y2"},"embedding":"[...]","score"}],
/// "imageHeight":H,"imageWidth":W}`, boxes rounded to whole pixels as immich's service gives
/// them (its server stores them as integers).
async fn faces(
    state: &Arc<AppState>,
    request: &FaceRequest,
    image: Vec<u8>,
) -> Result<Map<String, Value>, ApiError> {
    let (_place, loaded) = state.model(&request.model, Tower::Faces).await?;
    let model = loaded.faces()?;
    let record = state.find_faces(model, image, request.min_score).await?;
    let faces: Vec<Value> = record
        .faces
        .iter()
        .flatten()
        .map(|face| {
            let [x1, y1, x2, y2] = face.bbox.map(f32::round);
            json!({
                "boundingBox": {"x1": x1, "y1": y1, "x2": x2, "y2": y2},
                "embedding": vector_string(&face.embedding),
                "score": face.score,
            })
        })
        .collect();
    Ok(object(json!({
        FACES: faces,
        "imageHeight": record.height,
        "imageWidth": record.width,
    })))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"clip":"[...]","imageHeight":H,"imageWidth":W}`: the vector as a JSON string, which
/// immich's server stores into pgvector as it is.
async fn visual(
    state: &Arc<AppState>,
    model: &str,
    image: Vec<u8>,
) -> Result<Map<String, Value>, ApiError> {
    let (_place, loaded) = state.model(model, Tower::Visual).await?;
    let (record, embedding) = state.embed_image(loaded.visual()?, image).await?;
    Ok(object(json!({
        "clip": vector_string(&embedding),
        "imageHeight": record.height,
        "imageWidth": record.width,
    })))
}

async fn textual(
    state: &Arc<AppState>,
    model: &str,
    text: String,
) -> Result<Map<String, Value>, ApiError> {
    let (_place, loaded) = state.model(model, Tower::Textual).await?;
    let embedding = state.within_time(loaded.embed_text(text)).await?;
    Ok(object(json!({ "clip": vector_string(&embedding) })))
}

fn vector_string(vector: &[f32]) -> String {
    // A Vec<f32> always serialises (non-finite values become null, which L2-normalised
    // embeddings never hold).
    serde_json::to_string(vector).unwrap_or_default()
}
