//! [`ServeOptions`]: what the server loads, how it batches and what it bounds.

use photon_models::{Backend, Device};
use std::path::PathBuf;
use std::time::Duration;

/// How a [`Server`](crate::Server) runs. Start from [`ServeOptions::new`] and the setters.
///
/// ```
/// use photon_serve::ServeOptions;
/// use std::time::Duration;
/// let options = ServeOptions::new("models").max_batch(16).batch_wait(Duration::from_millis(5));
/// assert_eq!((options.max_batch, options.max_queue), (16, 256));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// The models folder. A model name is looked up as `<models>/clip/<name>` (immich's layout)
    /// and then `<models>/<name>` (Photon's and Hugging Face's), never outside it.
    pub models: PathBuf,
    /// Model names loaded at start (both towers a folder has), before the first request.
    pub preload: Vec<String>,
    /// A model unused this long is unloaded and its memory returned; `None` keeps models.
    /// The memory comes back fully in a process that called
    /// [`use_one_malloc_arena`](crate::use_one_malloc_arena) before starting its runtime, as
    /// `photon serve --model-ttl` does.
    pub model_ttl: Option<Duration>,
    /// Most images (or texts) gathered into one model call.
    pub max_batch: usize,
    /// Engine sessions per model (model calls in flight at once); `None`: two where there are
    /// two cores or more, as `photon process` runs.
    pub sessions: Option<u32>,
    /// Threads per session; `None` shares the cores out.
    pub threads: Option<u32>,
    /// Longest a request waits for others to share its model call.
    pub batch_wait: Duration,
    /// Largest request body.
    pub max_body_bytes: usize,
    /// Requests waiting for a model at once, across models; past it, 503 with `Retry-After`.
    pub max_queue: usize,
    /// Longest one request may take, from its first body byte to its answer (a slow client
    /// cannot hold a model slot past it; a stuck decode is cut at it).
    pub request_timeout: Duration,
    /// Longest a request waits for its model to load before a 503.
    pub load_timeout: Duration,
    /// Bearer token every route but `/ping` requires; `None`: no authentication.
    pub token: Option<String>,
    /// Records (JSON Lines or Parquet) or an HNSW index folder searched by `/v1/search/*`.
    pub index: Option<PathBuf>,
    /// Model used when a `/v1` request names none.
    pub default_model: Option<String>,
    /// Whether `/v1/records` adds tags (a zero-shot label bank is built on first use).
    pub tags: bool,
    /// The engine.
    pub backend: Backend,
    /// Where models run.
    pub device: Device,
    /// The folder `photon models fetch` installed ONNX Runtime's library into, when it is not
    /// the environment's (`$PHOTON_MODELS`, `./models`, `~/.local/share/photon/models`); the
    /// served models may live elsewhere, such as immich's cache.
    pub runtime_dir: Option<PathBuf>,
}

impl ServeOptions {
    /// The defaults for the models folder `models`: no preload, models kept, batches of up to 8
    /// gathered for 10 ms, 64 MiB bodies, 256 queued requests, 60 s per request, 300 s to load,
    /// no token, no index, tags on, ONNX Runtime on the CPU.
    pub fn new(models: impl Into<PathBuf>) -> Self {
        Self {
            models: models.into(),
            preload: Vec::new(),
            model_ttl: None,
            max_batch: 8,
            sessions: None,
            threads: None,
            batch_wait: Duration::from_millis(10),
            max_body_bytes: 64 << 20,
            max_queue: 256,
            request_timeout: Duration::from_secs(60),
            load_timeout: Duration::from_secs(300),
            token: None,
            index: None,
            default_model: None,
            tags: true,
            backend: Backend::Ort,
            device: Device::Cpu,
            runtime_dir: None,
        }
    }

    /// Sets [`preload`](Self::preload).
    pub fn preload(mut self, names: Vec<String>) -> Self {
        self.preload = names;
        self
    }

    /// Sets [`model_ttl`](Self::model_ttl).
    pub fn model_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.model_ttl = ttl;
        self
    }

    /// Sets [`max_batch`](Self::max_batch) (0 is treated as 1).
    pub fn max_batch(mut self, images: usize) -> Self {
        self.max_batch = images.max(1);
        self
    }

    /// Sets [`sessions`](Self::sessions) and [`threads`](Self::threads).
    pub fn parallelism(mut self, sessions: Option<u32>, threads: Option<u32>) -> Self {
        self.sessions = sessions;
        self.threads = threads;
        self
    }

    /// Sets [`batch_wait`](Self::batch_wait).
    pub fn batch_wait(mut self, wait: Duration) -> Self {
        self.batch_wait = wait;
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`max_queue`](Self::max_queue) (0 is treated as 1).
    pub fn max_queue(mut self, requests: usize) -> Self {
        self.max_queue = requests.max(1);
        self
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    pub fn request_timeout(mut self, limit: Duration) -> Self {
        self.request_timeout = limit;
        self
    }

    /// Sets [`load_timeout`](Self::load_timeout).
    pub fn load_timeout(mut self, limit: Duration) -> Self {
        self.load_timeout = limit;
        self
    }

    /// Sets [`token`](Self::token).
    pub fn token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    /// Sets [`index`](Self::index).
    pub fn index(mut self, records_or_index: Option<PathBuf>) -> Self {
        self.index = records_or_index;
        self
    }

    /// Sets [`default_model`](Self::default_model).
    pub fn default_model(mut self, name: Option<String>) -> Self {
        self.default_model = name;
        self
    }

    /// Sets [`tags`](Self::tags).
    pub fn tags(mut self, on: bool) -> Self {
        self.tags = on;
        self
    }

    /// Sets [`backend`](Self::backend).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets [`runtime_dir`](Self::runtime_dir).
    pub fn runtime_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.runtime_dir = dir;
        self
    }

    /// Sets [`device`](Self::device).
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }
}
