//! What can keep a describer from being made.

use crate::options::Provider;

/// Why an [`HttpDescriber`](crate::HttpDescriber) could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The provider's own API needs a key, and none was given.
    #[error(
        "{} needs an API key: set {} or pass a key file",
        .0.name(),
        .0.key_variable()
    )]
    NoKey(Provider),
    /// No model was named (a local server has no default).
    #[error("no model named: say which model the server at {0} should use")]
    NoModel(String),
    /// The URL is not an http or https URL.
    #[error("not an http(s) URL: {0}")]
    Url(String),
    /// The HTTP client could not be built.
    #[error("the HTTP client could not be built")]
    Client(#[source] reqwest::Error),
}
