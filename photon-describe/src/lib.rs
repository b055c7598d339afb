//! Descriptions for Photon: a sentence or two about each photo from a vision-language model,
//! through the HTTP APIs people already run.
//!
//! The roles:
//! - [`HttpDescriber`] is photon-core's [`Describer`](photon_core::Describer) over one
//!   provider: give it to
//!   [`PipelineBuilder::describer`](photon_core::PipelineBuilder::describer).
//! - [`Provider`] says which wire format it speaks: [`Provider::OpenAi`] (chat completions, for
//!   OpenAI and the local OpenAI-compatible servers: Ollama's `/v1`, llama.cpp's
//!   `llama-server`, vLLM, LM Studio) or [`Provider::Anthropic`] (Messages).
//! - [`DescriberOptions`] holds the rest: server URL, model, prompt, answer length, calls at
//!   once, time limit per request, tries, and the run's request budget.
//! - [`ApiKey`] holds the key. It has no `Display`, its `Debug` shows nothing of it, and every
//!   error text a server sends back is cleaned of it before it reaches a record.
//!
//! Ollama's native `/api/chat` is not a provider of its own: its `/v1` route takes the same
//! base64 images, answers with the same usage counts, and honours `max_tokens`; what the native
//! route adds (`keep_alive`, `num_ctx`) is the server's own configuration.
//!
//! ```no_run
//! use photon_core::{DescribeOptions, Pipeline};
//! use photon_describe::{ApiKey, DescriberOptions, HttpDescriber, Provider};
//!
//! let key = ApiKey::from_env(Provider::OpenAi);
//! let options = DescriberOptions::new(Provider::OpenAi).model("gpt-4o-mini").parallel(4);
//! let describer = HttpDescriber::new(options, key).unwrap();
//! let pipeline = Pipeline::builder().describer(describer, DescribeOptions::default()).build();
//! ```
#![deny(missing_docs)]

mod budget;
mod describer;
mod error;
mod key;
mod options;
mod prompt;
mod retry;
mod wire;

pub use describer::HttpDescriber;
pub use error::SetupError;
pub use key::ApiKey;
pub use options::{DEFAULT_PROMPT, DescriberOptions, Provider};
