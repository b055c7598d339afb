//! [`HttpDescriber`]: photon-core's describer over one provider's HTTP API, with retries, a
//! time limit per request and the run's request budget.

use crate::budget::RequestBudget;
use crate::error::SetupError;
use crate::key::{ApiKey, redacted};
use crate::options::DescriberOptions;
use crate::prompt::prompt_text;
use crate::retry::{Backoff, retry_after, retryable};
use crate::wire::{self, NoAnswer};
use async_trait::async_trait;
use photon_core::{DescribeError, DescribeImage, Describer, DescriberId, Description};
use std::time::{Duration, SystemTime};

/// Describes photos through one provider's HTTP API. See the crate docs for the providers.
///
/// Each image is one request, tried again on 429, 5xx, a time-out or a broken connection, up to
/// [`DescriberOptions::tries`] requests, waiting as [`DescriberOptions::backoff`] says or as
/// the server's `Retry-After` asks; any other answer ends it. Every request counts against
/// [`DescriberOptions::max_requests`]. Each failure is the image's error of stage `describe`,
/// of one of these kinds: `rate_limited` and `server` (still failing after every try), `timeout`,
/// `network`, `unauthorized` (401, 403), `not_found` (404: an unknown model or a wrong URL),
/// `rejected` (another 4xx), `refused` (the model declined), `empty`, `bad_response` (not the
/// provider's JSON), `budget` (the run's budget is spent).
pub struct HttpDescriber {
    client: reqwest::Client,
    options: DescriberOptions,
    key: Option<ApiKey>,
    endpoint: String,
    budget: RequestBudget,
    id: DescriberId,
}

impl std::fmt::Debug for HttpDescriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpDescriber")
            .field("options", &self.options)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl HttpDescriber {
    /// A describer with `options`, sending `key` when there is one. The provider's own API
    /// needs a key; a local server may not.
    pub fn new(options: DescriberOptions, key: Option<ApiKey>) -> Result<Self, SetupError> {
        if key.is_none() && options.is_provider_api() {
            return Err(SetupError::NoKey(options.provider));
        }
        if options.model.trim().is_empty() {
            return Err(SetupError::NoModel(options.url.clone()));
        }
        if !(options.url.starts_with("http://") || options.url.starts_with("https://")) {
            return Err(SetupError::Url(options.url.clone()));
        }
        let client = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("photon/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SetupError::Client)?;
        let id = DescriberId::new(options.provider.name(), &options.model, &options.prompt);
        Ok(Self {
            client,
            endpoint: options.endpoint_url(),
            budget: RequestBudget::new(options.max_requests),
            options,
            key,
            id,
        })
    }

    /// The settings it was made with.
    pub fn options(&self) -> &DescriberOptions {
        &self.options
    }

    /// Requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.budget.used()
    }

    /// Images left undescribed because the run's budget
    /// ([`DescriberOptions::max_requests`]) was spent; 0 without a budget.
    pub fn refused_by_budget(&self) -> u64 {
        self.budget.refused()
    }

    /// One request and its answer read: done (a description or a final failure), or worth
    /// another try after the server's `Retry-After` if it gave one.
    async fn attempt(&self, body: &[u8]) -> Attempt {
        let mut request = self
            .client
            .post(&self.endpoint)
            .header("content-type", "application/json")
            .body(body.to_vec());
        let key = self.key.as_ref().map(ApiKey::expose);
        for (name, value) in wire::headers(self.options.provider, key) {
            request = request.header(name, value);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return self.transport_error(&error, None),
        };
        let status = response.status();
        let wait = retry_after(response.headers(), SystemTime::now());
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return self.transport_error(&error, wait),
        };
        if status.is_success() {
            return Attempt::Done(self.description(&body));
        }
        let said = self.clean(&wire::error_message(&body));
        let message = format!("{} answered {status}: {said}", self.options.provider.name());
        match status.as_u16() {
            429 => Attempt::Again("rate_limited", message, wait),
            _ if retryable(status) => Attempt::Again("server", message, wait),
            401 | 403 => Attempt::Done(Err(DescribeError::new("unauthorized", message))),
            404 => Attempt::Done(Err(DescribeError::new("not_found", message))),
            _ => Attempt::Done(Err(DescribeError::new("rejected", message))),
        }
    }

    /// The description in a successful body, or why there is none.
    fn description(&self, body: &[u8]) -> Result<Description, DescribeError> {
        match wire::answer(self.options.provider, body) {
            Ok(answer) => Ok(Description::new(answer.text, &self.id)
                .with_usage(answer.input_tokens, answer.output_tokens)),
            Err(NoAnswer::Refused(said)) => Err(DescribeError::new(
                "refused",
                format!("the model declined: {}", self.clean(&said)),
            )),
            Err(NoAnswer::Empty) => Err(DescribeError::new("empty", "the model answered no text")),
            Err(NoAnswer::Malformed(why)) => Err(DescribeError::new("bad_response", why)),
        }
    }

    /// A request that got no complete answer: timed out, or the connection failed or broke.
    fn transport_error(&self, error: &reqwest::Error, wait: Option<Duration>) -> Attempt {
        let message = self.clean(&photon_core::with_causes(error));
        match error.is_timeout() {
            true => {
                let limit = self.options.timeout;
                Attempt::Again(
                    "timeout",
                    format!("no answer within {limit:?}: {message}"),
                    wait,
                )
            }
            false => Attempt::Again("network", message, wait),
        }
    }

    fn clean(&self, text: &str) -> String {
        redacted(self.key.as_ref(), text)
    }

    fn backoff(&self) -> Backoff {
        Backoff {
            first: self.options.backoff,
            longest: self.options.max_wait,
        }
    }

    fn budget_spent(&self) -> DescribeError {
        let max = self.budget.max().unwrap_or_default();
        DescribeError::new(
            "budget",
            format!("not described: the run's budget of {max} requests is spent"),
        )
    }
}

/// One request's outcome: done, or worth another try (the failure's kind and message, and the
/// server's `Retry-After`).
enum Attempt {
    Done(Result<Description, DescribeError>),
    Again(&'static str, String, Option<Duration>),
}

#[async_trait]
impl Describer for HttpDescriber {
    fn id(&self) -> DescriberId {
        self.id.clone()
    }

    fn concurrency(&self) -> usize {
        self.options.parallel.max(1)
    }

    async fn describe(&self, image: DescribeImage) -> Result<Description, DescribeError> {
        let prompt = prompt_text(&self.options.prompt, image.exif.as_ref());
        let body = wire::request_body(&self.options, &prompt, &image);
        let tries = self.options.tries.max(1);
        let mut retry = 0;
        loop {
            if !self.budget.take() {
                return Err(self.budget_spent());
            }
            let (kind, message, wait) = match self.attempt(&body).await {
                Attempt::Done(result) => return result,
                Attempt::Again(kind, message, wait) => (kind, message, wait),
            };
            retry += 1;
            if retry >= tries {
                let message = format!("{message} (tried {tries} times)");
                return Err(DescribeError::new(kind, message));
            }
            tokio::time::sleep(self.backoff().wait(retry - 1, wait)).await;
        }
    }
}
