//! `Authorization: Bearer` on every route but `/ping` (immich's health check), when a token is
//! set.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The token as stored: its BLAKE3 hash, whose equality is constant-time, so neither the
/// comparison nor the token's length tells a caller how close a guess was.
pub(crate) fn token_hash(token: &str) -> blake3::Hash {
    blake3::hash(token.as_bytes())
}

pub(crate) async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = state.token.as_ref() else {
        return next.run(request).await;
    };
    if request.uri().path() == "/ping" {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match given {
        Some(token) if token_hash(token) == *expected => next.run(request).await,
        _ => {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this server requires `Authorization: Bearer <token>`",
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}
