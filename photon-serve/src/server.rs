//! [`Server`]: the routes, their shared state, and serving them until shutdown.

use crate::error::{ApiError, ServeError};
use crate::index::SearchIndex;
use crate::metrics::Metrics;
use crate::models::Registry;
use crate::options::ServeOptions;
use crate::overload::Queue;
use crate::state::AppState;
use crate::{auth, immich, v1};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// Photon's HTTP service: the models, the metrics, and the routes over them.
#[derive(Clone)]
pub struct Server {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("options", &self.state.options)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server over `options`: checks the models folder, reads the search index, and (with a
    /// `model_ttl`) starts unloading idle models. Must be called inside a Tokio runtime.
    pub async fn new(options: ServeOptions) -> Result<Self, ServeError> {
        std::fs::read_dir(&options.models).map_err(|source| ServeError::ModelsDir {
            path: options.models.clone(),
            source,
        })?;
        let index = match options.index.clone() {
            Some(path) => Some(open_index(path).await?),
            None => None,
        };
        let metrics = Arc::new(Metrics::new());
        let registry = Registry::new(options.clone(), metrics.clone());
        if let Some(ttl) = options.model_ttl {
            registry.start_reaper(ttl);
        }
        let state = AppState {
            queue: Queue::new(options.max_queue, metrics.queue_depth().clone()),
            token: options.token.as_deref().map(auth::token_hash),
            options,
            registry,
            metrics,
            index,
        };
        Ok(Self {
            state: Arc::new(state),
        })
    }

    /// Loads the models of [`ServeOptions::preload`] (each tower its folder has).
    pub async fn preload(&self) -> Result<(), ServeError> {
        for name in &self.state.options.preload {
            self.state
                .registry
                .preload(name)
                .await
                .map_err(|e| ServeError::Preload {
                    name: name.clone(),
                    message: e.detail,
                })?;
        }
        Ok(())
    }

    /// The routes, with the body limit, the token check and the metrics, ready to serve or
    /// to mount in an app's own router.
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        Router::new()
            .route("/ping", get(immich::ping))
            .route("/", get(immich::root))
            .route("/predict", post(immich::predict))
            .route("/v1/records", post(v1::records))
            .route("/v1/embed/text", post(v1::embed_text))
            .route("/v1/search/text", post(v1::search_text))
            .route("/v1/search/image", post(v1::search_image))
            .route("/v1/openapi.json", get(v1::openapi))
            .route("/healthz", get(v1::healthz))
            .route("/metrics", get(v1::metrics))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            .layer(DefaultBodyLimit::max(state.options.max_body_bytes))
            .layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_token,
            ))
            .layer(middleware::from_fn_with_state(state.clone(), observe))
            .with_state(state)
    }

    /// Serves on `listener` until `shutdown` completes; then stops accepting, finishes the
    /// requests in flight, and returns.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}

async fn open_index(path: std::path::PathBuf) -> Result<SearchIndex, ServeError> {
    let opened = tokio::task::spawn_blocking({
        let path = path.clone();
        move || SearchIndex::open(&path)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|opened| opened);
    opened.map_err(|message| ServeError::Index { path, message })
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "this route takes another method",
    )
}

/// The routes metrics are kept by; anything else counts as `other`, so a scan of random paths
/// cannot grow the label set.
const ROUTES: [&str; 10] = [
    "/ping",
    "/",
    "/predict",
    "/v1/records",
    "/v1/embed/text",
    "/v1/search/text",
    "/v1/search/image",
    "/v1/openapi.json",
    "/healthz",
    "/metrics",
];

async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let route = ROUTES
        .iter()
        .find(|r| **r == path)
        .copied()
        .unwrap_or("other");
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .answered(route, response.status().as_u16(), seconds);
    response
}
