//! The defaults the `photon` command and the Python package share, decided once here.

use photon_backend_common::{Device, models_dir};
use std::path::{Path, PathBuf};

/// The default model's folder name in the models folder.
pub const DEFAULT_MODEL: &str = "efficientnet-lite0";

/// The default model's folder in `models` (the environment's [`models_dir`] when `None`), when it
/// is installed: what a run without a model flag uses.
pub fn installed_default_model(models: Option<&Path>) -> Option<PathBuf> {
    let dir = models
        .map_or_else(models_dir, Path::to_path_buf)
        .join(DEFAULT_MODEL);
    dir.is_dir().then_some(dir)
}

/// The micro-batch cap on a GPU: large enough to keep a data-centre GPU busy with a ViT-B,
/// small enough for the 20 ms gathering window to fill it from a fast decoder.
pub const GPU_MAX_BATCH: usize = 64;

/// How a model runs on an engine: sessions (model calls in flight), threads per session, and
/// the micro-batch cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineLayout {
    /// Engine sessions.
    pub sessions: u32,
    /// Threads per session; `None` shares the cores out.
    pub threads: Option<u32>,
    /// Most images per model call; `None` keeps the model's own.
    pub max_batch: Option<usize>,
}

impl EngineLayout {
    /// The layout for `device` on `cores` cores, from what the caller fixed (`None`: choose):
    /// - sessions: as given; else one when only `threads` is given (a Ray actor's allotment is
    ///   one session's threads); else two where there are two cores or more (one call
    ///   preprocesses while the other computes: 0.98 of the cores on 2), else one;
    /// - the batch cap: as given; else [`GPU_MAX_BATCH`] on a GPU; else one image per call with
    ///   several CPU sessions (they take turns, and a batch would wait to fill); else the
    ///   model's own.
    ///
    /// ```
    /// use photon_models::{Device, EngineLayout};
    /// let cpu = EngineLayout::choose(Device::Cpu, 2, None, None, None);
    /// assert_eq!((cpu.sessions, cpu.threads, cpu.max_batch), (2, None, Some(1)));
    /// let ray_actor = EngineLayout::choose(Device::Cpu, 16, None, Some(4), None);
    /// assert_eq!((ray_actor.sessions, ray_actor.max_batch), (1, None));
    /// ```
    pub fn choose(
        device: Device,
        cores: usize,
        sessions: Option<u32>,
        threads: Option<u32>,
        max_batch: Option<usize>,
    ) -> Self {
        let sessions = match (sessions, threads) {
            (Some(n), _) => n.max(1),
            (None, Some(_)) => 1,
            (None, None) if cores >= 2 => 2,
            (None, None) => 1,
        };
        let max_batch = match max_batch {
            Some(n) => Some(n.max(1)),
            None if device != Device::Cpu => Some(GPU_MAX_BATCH),
            None if sessions > 1 => Some(1),
            None => None,
        };
        Self {
            sessions,
            threads,
            max_batch,
        }
    }

    /// [`choose`](Self::choose) on this machine's cores.
    pub fn for_this_machine(
        device: Device,
        sessions: Option<u32>,
        threads: Option<u32>,
        max_batch: Option<usize>,
    ) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::choose(device, cores, sessions, threads, max_batch)
    }
}
