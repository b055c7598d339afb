//! What a describer is configured with: the provider's wire format, where it is, what to ask
//! it, and how hard to try.

use std::time::Duration;

/// The wire format a describer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Chat completions (`POST {url}/chat/completions`, the image as a base64 `data:` URL in
    /// an `image_url` part, `Authorization: Bearer`): OpenAI, and the OpenAI-compatible
    /// servers (Ollama's `/v1`, llama.cpp's `llama-server`, vLLM, LM Studio).
    OpenAi,
    /// Anthropic's Messages (`POST {url}/messages`, a base64 `image` block, `x-api-key` and
    /// `anthropic-version`).
    Anthropic,
}

impl Provider {
    /// The name records keep (`openai`, `anthropic`).
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// The provider's own API, where a key is required.
    pub fn default_url(self) -> &'static str {
        match self {
            Provider::OpenAi => "https://api.openai.com/v1",
            Provider::Anthropic => "https://api.anthropic.com/v1",
        }
    }

    /// The environment variable its key is read from.
    pub fn key_variable(self) -> &'static str {
        match self {
            Provider::OpenAi => "OPENAI_API_KEY",
            Provider::Anthropic => "ANTHROPIC_API_KEY",
        }
    }

    /// A small vision model of the provider's own API, the default when none is named.
    pub fn default_model(self) -> &'static str {
        match self {
            Provider::OpenAi => "gpt-4o-mini",
            Provider::Anthropic => "claude-haiku-4-5",
        }
    }

    /// The path appended to the server's URL.
    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            Provider::OpenAi => "/chat/completions",
            Provider::Anthropic => "/messages",
        }
    }
}

/// The prompt when none is given: one or two factual sentences, words a search can find.
pub const DEFAULT_PROMPT: &str = "Describe this photo in one or two factual sentences: who or \
what is in it, what is happening, and where, when that is clear. Do not guess names, and do not \
comment on the photo's quality or style.";

/// A describer's settings. [`DescriberOptions::new`] gives the provider's own API and model;
/// [`DescriberOptions::preset`] knows the local servers' usual addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DescriberOptions {
    /// The wire format.
    pub provider: Provider,
    /// The server's base URL, up to the version (`https://api.openai.com/v1`,
    /// `http://127.0.0.1:11434/v1`); the endpoint's path is appended.
    pub url: String,
    /// The model, as the server names it.
    pub model: String,
    /// What the model is asked.
    pub prompt: String,
    /// The longest answer, in tokens. Default 200.
    pub max_tokens: u32,
    /// Requests in flight at once, at least 1. Default 4.
    pub parallel: usize,
    /// Time limit of one request, connection to last byte. Default 60 s.
    pub timeout: Duration,
    /// Requests per image at most, the first included: 429, 5xx, time-outs and broken
    /// connections are tried again up to this. Default 4.
    pub tries: u32,
    /// The first wait before a retry; each later one doubles, with jitter. Default 500 ms.
    pub backoff: Duration,
    /// The longest wait before a retry, `Retry-After` included. Default 60 s.
    pub max_wait: Duration,
    /// Requests in the whole run at most, retries included; past it images are not described
    /// (their records say so). Default none.
    pub max_requests: Option<u64>,
}

impl DescriberOptions {
    /// The provider's own API, its default model and [`DEFAULT_PROMPT`].
    pub fn new(provider: Provider) -> Self {
        Self {
            provider,
            url: provider.default_url().to_owned(),
            model: provider.default_model().to_owned(),
            prompt: DEFAULT_PROMPT.to_owned(),
            max_tokens: 200,
            parallel: 4,
            timeout: Duration::from_secs(60),
            tries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            max_requests: None,
        }
    }

    /// Settings by a name a user types: `openai`, `anthropic`, or a local OpenAI-compatible
    /// server at its usual address: `ollama` (`http://127.0.0.1:11434/v1`), `llama-server`
    /// (`http://127.0.0.1:8080/v1`), `lmstudio` (`http://127.0.0.1:1234/v1`), `vllm`
    /// (`http://127.0.0.1:8000/v1`). A local server has no default model.
    ///
    /// ```
    /// use photon_describe::{DescriberOptions, Provider};
    /// let ollama = DescriberOptions::preset("ollama").unwrap();
    /// assert_eq!((ollama.provider, ollama.url.as_str()), (Provider::OpenAi, "http://127.0.0.1:11434/v1"));
    /// assert!(DescriberOptions::preset("nonsense").is_none());
    /// ```
    pub fn preset(name: &str) -> Option<Self> {
        let local = |url: &str| {
            let mut options = Self::new(Provider::OpenAi).url(url);
            options.model.clear();
            options
        };
        Some(match name {
            "openai" => Self::new(Provider::OpenAi),
            "anthropic" => Self::new(Provider::Anthropic),
            "ollama" => local("http://127.0.0.1:11434/v1"),
            "llama-server" | "llama.cpp" => local("http://127.0.0.1:8080/v1"),
            "lmstudio" => local("http://127.0.0.1:1234/v1"),
            "vllm" => local("http://127.0.0.1:8000/v1"),
            _ => return None,
        })
    }

    /// The names [`preset`](Self::preset) knows.
    pub const PRESETS: [&'static str; 6] = [
        "openai",
        "anthropic",
        "ollama",
        "llama-server",
        "lmstudio",
        "vllm",
    ];

    /// Sets [`url`](Self::url) (a trailing `/` is dropped).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets each of the URL, model and prompt that is given, leaving the others as they are:
    /// a front end's optional flags over a preset.
    ///
    /// ```
    /// use photon_describe::DescriberOptions;
    /// let options = DescriberOptions::preset("ollama").unwrap().overridden(None, Some("m"), None);
    /// assert_eq!((options.url.as_str(), options.model.as_str()), ("http://127.0.0.1:11434/v1", "m"));
    /// ```
    pub fn overridden(
        mut self,
        url: Option<&str>,
        model: Option<&str>,
        prompt: Option<&str>,
    ) -> Self {
        if let Some(url) = url {
            self = self.url(url);
        }
        if let Some(model) = model {
            self = self.model(model);
        }
        if let Some(prompt) = prompt {
            self = self.prompt(prompt);
        }
        self
    }

    /// Sets [`model`](Self::model).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// Sets [`prompt`](Self::prompt).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = prompt.into();
        self
    }

    /// Sets [`max_tokens`](Self::max_tokens) (at least 1).
    pub fn max_tokens(mut self, tokens: u32) -> Self {
        self.max_tokens = tokens.max(1);
        self
    }

    /// Sets [`parallel`](Self::parallel) (at least 1).
    pub fn parallel(mut self, requests: usize) -> Self {
        self.parallel = requests.max(1);
        self
    }

    /// Sets [`timeout`](Self::timeout).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    /// Sets [`tries`](Self::tries) (at least 1).
    pub fn tries(mut self, tries: u32) -> Self {
        self.tries = tries.max(1);
        self
    }

    /// Sets [`backoff`](Self::backoff) and [`max_wait`](Self::max_wait).
    pub fn backoff(mut self, first: Duration, longest: Duration) -> Self {
        self.backoff = first;
        self.max_wait = longest.max(first);
        self
    }

    /// Sets [`max_requests`](Self::max_requests).
    pub fn max_requests(mut self, requests: Option<u64>) -> Self {
        self.max_requests = requests;
        self
    }

    /// Whether the URL is the provider's own API, which needs a key.
    pub(crate) fn is_provider_api(&self) -> bool {
        self.url == self.provider.default_url()
    }

    /// Where requests go: the URL with the endpoint's path, unless it already ends with it.
    pub(crate) fn endpoint_url(&self) -> String {
        let path = self.provider.endpoint();
        match self.url.ends_with(path) {
            true => self.url.clone(),
            false => format!("{}{path}", self.url),
        }
    }
}
