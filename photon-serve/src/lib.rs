//! Photon as an HTTP service.
//!
//! Two APIs on one server, over the same loaded models:
//!
//! - **immich's machine-learning protocol** (`GET /ping`, `GET /`, `POST /predict`), answered as
//!   immich's own Python container answers it, so an immich server pointed at this one gets the
//!   same CLIP embeddings from the same model folders (`<models>/clip/<name>/visual`, `textual`).
//!   Faces and OCR are refused with a clear 422 naming the task, never a wrong answer.
//! - **Photon's own API**, versioned: `POST /v1/records` (an image in, its full record out, the
//!   schema of `photon process`' JSON Lines), `POST /v1/embed/text`, `POST /v1/search/text` and
//!   `/v1/search/image` over a records file or index loaded at start, `GET /healthz`,
//!   `GET /metrics` (Prometheus text) and `GET /v1/openapi.json` (generated from the handlers;
//!   [`openapi_json`]).
//!
//! The roles:
//!
//! - [`ServeOptions`] says where models live, how long an idle one stays loaded, how requests
//!   are batched and bounded, and the bearer token.
//! - [`Server`] holds the models and the metrics; [`Server::router`] gives the routes as an
//!   [`axum::Router`] an app can mount in its own server, [`Server::serve`] runs them on a
//!   listener until a shutdown signal, then drains in-flight requests.
//! - [`ServeError`] is what can stop the server from starting.
//!
//! The one design decision: **a loaded model is a running pipeline**. Each request's image is
//! fed into a long-lived [`photon_core::Pipeline`] run, whose driver already decodes on blocking
//! threads and gathers images into micro-batches (up to `max_batch`, waiting at most
//! `batch_wait`), so 32 clients sending one image each are embedded as the batch command embeds
//! a folder. Text requests are gathered the same way. A model idle for `model_ttl` is dropped,
//! its pipeline ends, and the freed heap is handed back to the system.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use photon_serve::{ServeOptions, Server};
//! use std::time::Duration;
//!
//! let options = ServeOptions::new("/var/lib/photon/models")
//!     .model_ttl(Some(Duration::from_secs(300)))
//!     .preload(vec!["ViT-B-32__openai".into()]);
//! let server = Server::new(options).await?;
//! server.preload().await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3003").await?;
//! server.serve(listener, async { tokio::signal::ctrl_c().await.ok(); }).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod auth;
mod error;
mod form;
mod immich;
mod index;
mod memory;
mod metrics;
mod models;
mod names;
mod options;
mod overload;
mod server;
mod state;
mod v1;

pub use error::ServeError;
pub use memory::use_one_malloc_arena;
pub use options::ServeOptions;
pub use server::Server;
pub use v1::openapi_json;
