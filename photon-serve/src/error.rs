//! [`ServeError`], what stops the server from starting, and the answers a request can fail with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::path::PathBuf;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The models folder is missing or unreadable.
    #[error("models folder {}", path.display())]
    ModelsDir {
        /// The folder.
        path: PathBuf,
        /// Why it cannot be used.
        #[source]
        source: std::io::Error,
    },
    /// A model named in `preload` did not load.
    #[error("preloading {name}: {message}")]
    Preload {
        /// The model name.
        name: String,
        /// Why it did not load, causes included.
        message: String,
    },
    /// The records or index given for search could not be read.
    #[error("search index {}: {message}", path.display())]
    Index {
        /// The records file or index folder.
        path: PathBuf,
        /// Why it could not be read.
        message: String,
    },
    /// Accepting or answering connections failed.
    #[error("serving")]
    Io(#[from] std::io::Error),
}

/// A request's failure: its status and a JSON body `{"detail": ...}` (the key immich's Python
/// service uses), naming the task or the pipeline stage where one applies.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub task: Option<String>,
    pub stage: Option<String>,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            task: None,
            stage: None,
            retry_after_s: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 503 with `Retry-After`: the server is full or the model is still loading.
    pub fn busy(detail: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, detail);
        error.retry_after_s = Some(1);
        error
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }

    pub fn with_task(mut self, task: &str) -> Self {
        self.task = Some(task.to_owned());
        self
    }

    pub fn with_stage(mut self, stage: &str) -> Self {
        self.stage = Some(stage.to_owned());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "detail": self.detail });
        if let Some(task) = self.task {
            body["task"] = task.into();
        }
        if let Some(stage) = self.stage {
            body["stage"] = stage.into();
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
