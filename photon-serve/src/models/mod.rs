//! The models a server holds: looked up by name, loaded on first use (or at start), shared by
//! every request while loaded, and unloaded after `model_ttl` idle.

mod faces;
mod feeder;
mod metered;
mod text;
mod visual;

pub(crate) use faces::FaceModel;
pub(crate) use visual::VisualModel;

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::options::ServeOptions;
use photon_core::{RunOptions, with_causes};
use photon_faces::FaceOptions;
use photon_models::{EngineLayout, ModelOptions, load_model, load_text_tower};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use text::TextBatcher;

/// The side of the square the face detector sees, as immich's service runs it.
const FACE_INPUT: u32 = 640;

/// A model folder's two towers, loaded and unloaded on their own (immich asks for one at a
/// time: image search needs only the text tower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tower {
    Visual,
    Textual,
    /// A face model folder: detector and recognition model together.
    Faces,
}

impl Tower {
    /// The folder immich keeps this kind of model under.
    fn task(self) -> &'static str {
        match self {
            Tower::Visual | Tower::Textual => "clip",
            Tower::Faces => "facial-recognition",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Tower::Visual => "visual",
            Tower::Textual => "textual",
            Tower::Faces => "faces",
        }
    }
}

/// A tower in memory.
pub(crate) enum Loaded {
    Visual(Box<VisualModel>),
    Textual {
        model_id: String,
        batcher: TextBatcher,
    },
    Faces(Box<FaceModel>),
}

impl Loaded {
    async fn close(self) {
        match self {
            Loaded::Visual(model) => model.close().await,
            Loaded::Textual { batcher, .. } => batcher.close().await,
            Loaded::Faces(model) => model.close().await,
        }
    }

    pub fn model_id(&self) -> &str {
        match self {
            Loaded::Visual(model) => model.model_id(),
            Loaded::Textual { model_id, .. } => model_id,
            Loaded::Faces(_) => "faces",
        }
    }

    pub async fn embed_text(&self, text: String) -> Result<Vec<f32>, ApiError> {
        match self {
            Loaded::Textual { batcher, .. } => batcher
                .embed(text)
                .await
                .map_err(|e| ApiError::internal(e).with_stage("embed")),
            _ => Err(ApiError::internal("only a text tower embeds text")),
        }
    }

    pub fn visual(&self) -> Result<&VisualModel, ApiError> {
        match self {
            Loaded::Visual(model) => Ok(model),
            _ => Err(ApiError::internal("only an image tower embeds images")),
        }
    }

    pub fn faces(&self) -> Result<&FaceModel, ApiError> {
        match self {
            Loaded::Faces(model) => Ok(model),
            _ => Err(ApiError::internal("only a face model finds faces")),
        }
    }
}

struct Slot {
    dir: PathBuf,
    tower: Tower,
    /// Held while the tower loads, so requests for it wait instead of loading it again.
    state: tokio::sync::Mutex<Option<Arc<Loaded>>>,
    last_used: Mutex<Instant>,
}

impl Slot {
    fn touch(&self) {
        *self
            .last_used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    fn idle(&self) -> Duration {
        self.last_used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
    }
}

pub(crate) struct Registry {
    options: ServeOptions,
    metrics: Arc<Metrics>,
    slots: Mutex<HashMap<(PathBuf, Tower), Arc<Slot>>>,
}

impl Registry {
    pub fn new(options: ServeOptions, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self {
            options,
            metrics,
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// The tower `tower` of the model `name`, loading it if it is not loaded. The load runs in
    /// a task of its own, so a request that gives up waiting does not abandon it half-way.
    pub async fn get(self: &Arc<Self>, name: &str, tower: Tower) -> Result<Arc<Loaded>, ApiError> {
        let dir = crate::names::resolve(&self.options.models, tower.task(), name)?;
        let slot = self.slot(dir, tower);
        let registry = self.clone();
        let task = tokio::spawn(async move { registry.load_into(&slot).await });
        match tokio::time::timeout(self.options.load_timeout, task).await {
            Ok(Ok(loaded)) => loaded,
            Ok(Err(panicked)) => Err(ApiError::internal(format!(
                "loading {name} failed: {panicked}"
            ))),
            Err(_) => Err(ApiError::busy(format!(
                "model {name} is still loading; retry shortly"
            ))),
        }
    }

    /// The folders of every model that has a tower loaded.
    pub fn loaded(&self) -> Vec<String> {
        let slots: Vec<Arc<Slot>> = self.lock_slots().values().cloned().collect();
        let mut names: Vec<String> = slots
            .iter()
            .filter(|slot| slot.state.try_lock().is_ok_and(|state| state.is_some()))
            .map(|slot| {
                let name = slot.dir.file_name().unwrap_or_default().to_string_lossy();
                format!("{name}/{}", slot.tower.as_str())
            })
            .collect();
        names.sort();
        names
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<(PathBuf, Tower), Arc<Slot>>> {
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn slot(&self, dir: PathBuf, tower: Tower) -> Arc<Slot> {
        self.lock_slots()
            .entry((dir.clone(), tower))
            .or_insert_with(|| {
                Arc::new(Slot {
                    dir,
                    tower,
                    state: tokio::sync::Mutex::new(None),
                    last_used: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    async fn load_into(&self, slot: &Slot) -> Result<Arc<Loaded>, ApiError> {
        let mut state = slot.state.lock().await;
        slot.touch();
        if let Some(loaded) = state.as_ref() {
            return Ok(loaded.clone());
        }
        let loaded = Arc::new(self.load(&slot.dir, slot.tower).await?);
        self.metrics.models_loaded().inc();
        *state = Some(loaded.clone());
        slot.touch();
        Ok(loaded)
    }

    async fn load(&self, dir: &Path, tower: Tower) -> Result<Loaded, ApiError> {
        let options = self.model_options();
        let failed = |e: photon_models::SetupError| {
            ApiError::unprocessable(format!(
                "model {} did not load: {}",
                dir.display(),
                with_causes(&e)
            ))
        };
        match tower {
            Tower::Visual => {
                let model = load_model(dir, &options).await.map_err(failed)?;
                Ok(Loaded::Visual(Box::new(VisualModel::start(
                    dir.to_owned(),
                    model.embedder,
                    options,
                    &self.options,
                    self.metrics.clone(),
                ))))
            }
            Tower::Textual => {
                let vision = photon_models::load_model_dir(dir)
                    .map_err(|e| ApiError::unprocessable(with_causes(&e)))?;
                let tower = load_text_tower(dir, &options).await.map_err(failed)?;
                Ok(Loaded::Textual {
                    model_id: vision.id,
                    batcher: TextBatcher::start(
                        tower,
                        self.options.max_batch,
                        self.options.batch_wait,
                        self.metrics.clone(),
                    ),
                })
            }
            Tower::Faces => {
                let side = FACE_INPUT;
                let analysis =
                    photon_models::load_faces(dir, &options, (side, side), FaceOptions::default())
                        .await
                        .map_err(failed)?;
                Ok(Loaded::Faces(Box::new(FaceModel::new(
                    analysis,
                    self.run_options(),
                ))))
            }
        }
    }

    /// Time limits and batching of the pipelines the models feed.
    fn run_options(&self) -> RunOptions {
        RunOptions::default()
            .max_wait(self.options.batch_wait)
            .cpu_timeout(Some(self.options.request_timeout))
            .embed_timeout(Some(self.options.request_timeout))
    }

    fn model_options(&self) -> ModelOptions {
        let o = &self.options;
        let layout =
            EngineLayout::for_this_machine(o.device, o.sessions, o.threads, Some(o.max_batch));
        let options = ModelOptions::default()
            .backend(o.backend)
            .device(o.device)
            .layout(layout)
            .tagging(false);
        match &o.runtime_dir {
            Some(dir) => options.models_dir(dir.clone()),
            None => options,
        }
    }

    /// Loads every tower the folder of `name` has: a face model folder's pair (found under
    /// `facial-recognition/`, or a folder a face model describes), else the image tower and the
    /// text tower when there is one.
    pub async fn preload(self: &Arc<Self>, name: &str) -> Result<(), ApiError> {
        let dir = crate::names::resolve(&self.options.models, "clip", name)?;
        let faces = crate::names::resolve(&self.options.models, Tower::Faces.task(), name);
        if faces.is_ok_and(|d| photon_models::describe_face_dir(&d).is_ok()) {
            self.get(name, Tower::Faces).await?;
            return Ok(());
        }
        self.get(name, Tower::Visual).await?;
        if photon_models::has_text_tower(&dir) {
            self.get(name, Tower::Textual).await?;
        }
        Ok(())
    }

    /// Unloads towers idle for `ttl`, checking every second or so, until the registry is gone.
    pub fn start_reaper(self: &Arc<Self>, ttl: Duration) {
        let registry: Weak<Self> = Arc::downgrade(self);
        let tick = (ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(tick).await;
                let Some(registry) = registry.upgrade() else {
                    break;
                };
                registry.unload_idle(ttl).await;
            }
        });
    }

    async fn unload_idle(&self, ttl: Duration) {
        let slots: Vec<Arc<Slot>> = self.lock_slots().values().cloned().collect();
        let mut unloaded = false;
        for slot in slots {
            // A tower loading, or in use by a request, is not idle.
            let Ok(mut state) = slot.state.try_lock() else {
                continue;
            };
            let idle = state.as_ref().is_some_and(|l| Arc::strong_count(l) == 1);
            if !idle || slot.idle() < ttl {
                continue;
            }
            if let Some(Ok(loaded)) = state.take().map(Arc::try_unwrap) {
                drop(state);
                loaded.close().await;
                self.metrics.models_loaded().dec();
                unloaded = true;
            }
        }
        if unloaded {
            let _ = tokio::task::spawn_blocking(crate::memory::release_free_heap).await;
        }
    }
}
