//! [`ModelOptions`]: how a model folder is loaded.

use crate::engine::Backend;
use crate::error::SetupError;
use crate::folder::models_dir;
use crate::tag::{DEBIAN_DATA_NOUN, DEFAULT_TEMPLATE};
use photon_backend_common::{Device, Engine};
use photon_core::TagOptions;
use std::path::PathBuf;
use std::sync::Arc;

/// Called with a one-line notice for people (a missing WordNet, a label bank built).
pub type NoticeFn = Arc<dyn Fn(&str) + Send + Sync>;
/// Called as a zero-shot label bank is built: labels embedded so far, and the total.
pub type LabelProgressFn = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// How [`load_model`](crate::load_model) loads a folder.
#[derive(Clone)]
#[non_exhaustive]
pub struct ModelOptions {
    /// The engine.
    pub backend: Backend,
    /// Engine sessions (model calls in flight at once).
    pub sessions: u32,
    /// Threads per session; `None` fills the cores.
    pub threads: Option<u32>,
    /// Where the model runs; a device the engine cannot use fails the load.
    pub device: Device,
    /// Most images per model call; `None` keeps the model's own.
    pub max_batch: Option<usize>,
    /// Whether to build a tagger at all.
    pub tagging: bool,
    /// How many tags, how confident, how deep their paths, which related ones to drop.
    pub tags: TagOptions,
    /// Zero-shot vocabulary file; `None`: WordNet's nouns for things a camera sees.
    pub vocabulary: Option<PathBuf>,
    /// The prompt each zero-shot term is put in (`{}` stands for the term).
    pub prompt_template: String,
    /// Zero-shot logit scale (natural log) overriding the model's config.
    pub logit_scale: Option<f32>,
    /// SigLIP's zero-shot logit bias overriding the model's config.
    pub logit_bias: Option<f32>,
    /// WordNet's noun database (Debian `wordnet-base`).
    pub wordnet: PathBuf,
    /// The models folder when it is not the environment's (`$PHOTON_MODELS`): ONNX Runtime's
    /// library is found there. Set it with [`models_dir`](Self::models_dir), which also moves
    /// the label cache.
    pub models: Option<PathBuf>,
    /// Where zero-shot label banks are cached.
    pub label_cache: PathBuf,
    /// Notices for people; `None` drops them.
    pub notice: Option<NoticeFn>,
    /// Progress of a label bank being built.
    pub label_progress: Option<LabelProgressFn>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            backend: Backend::Ort,
            sessions: 1,
            threads: None,
            device: Device::Cpu,
            max_batch: None,
            tagging: true,
            tags: TagOptions::default(),
            vocabulary: None,
            prompt_template: DEFAULT_TEMPLATE.to_owned(),
            logit_scale: None,
            logit_bias: None,
            wordnet: PathBuf::from(DEBIAN_DATA_NOUN),
            models: None,
            label_cache: models_dir().join(".label-banks"),
            notice: None,
            label_progress: None,
        }
    }
}

impl std::fmt::Debug for ModelOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelOptions")
            .field("backend", &self.backend)
            .field("sessions", &self.sessions)
            .field("threads", &self.threads)
            .field("device", &self.device)
            .field("max_batch", &self.max_batch)
            .field("tagging", &self.tagging)
            .field("tags", &self.tags)
            .field("vocabulary", &self.vocabulary)
            .field("prompt_template", &self.prompt_template)
            .finish_non_exhaustive()
    }
}

impl ModelOptions {
    /// Sets the engine.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Sets sessions, threads and the batch cap from an [`EngineLayout`](crate::EngineLayout).
    pub fn layout(self, layout: crate::EngineLayout) -> Self {
        self.parallelism(layout.sessions, layout.threads)
            .max_batch(layout.max_batch)
    }

    /// Sets sessions and threads per session (`None`: fill the cores).
    pub fn parallelism(mut self, sessions: u32, threads: Option<u32>) -> Self {
        self.sessions = sessions.max(1);
        self.threads = threads;
        self
    }

    /// Sets the device.
    pub fn device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Sets or clears the batch cap.
    pub fn max_batch(mut self, max: Option<usize>) -> Self {
        self.max_batch = max;
        self
    }

    /// Takes ONNX Runtime and caches label banks in `dir` rather than the environment's
    /// models folder.
    pub fn models_dir(mut self, dir: PathBuf) -> Self {
        self.label_cache = dir.join(".label-banks");
        self.models = Some(dir);
        self
    }

    /// Builds a tagger, or not.
    pub fn tagging(mut self, on: bool) -> Self {
        self.tagging = on;
        self
    }

    /// Sets the tag options.
    pub fn tags(mut self, tags: TagOptions) -> Self {
        self.tags = tags;
        self
    }

    /// The engine these options ask for, on their device, with ONNX Runtime from their models
    /// folder.
    pub(crate) fn engine(&self) -> Result<Box<dyn Engine>, SetupError> {
        self.backend.engine(
            self.sessions,
            self.threads,
            self.device,
            self.models.as_deref(),
        )
    }

    pub(crate) fn note(&self, message: &str) {
        if let Some(notice) = &self.notice {
            notice(message);
        }
    }

    /// WordNet is read for tag paths or de-duplication (or the default vocabulary).
    pub(crate) fn wants_wordnet(&self) -> bool {
        self.tags.path_depth > 0 || self.tags.dedup != photon_core::AncestorDedup::Keep
    }
}
