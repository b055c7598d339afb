//! The engines: one `match` on [`Backend`], so that a new backend is one arm here.

use crate::error::SetupError;
use photon_backend_common::{Device, Engine, Parallelism};
use photon_core::{Embedder, ModelSpec, TextEncoder, TextSpec};
use std::path::Path;
use std::sync::Arc;

/// The inference engine a model runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Backend {
    /// ONNX Runtime (the shared library from the PyPI wheel).
    #[default]
    Ort,
    /// tract (pure Rust).
    Tract,
}

impl Backend {
    /// The backend named `name` (`ort` or `tract`).
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "ort" => Some(Backend::Ort),
            "tract" => Some(Backend::Tract),
            _ => None,
        }
    }

    /// The engine on `device`, with ONNX Runtime's library found in `models` (the wheel for the
    /// device there, or `ORT_DYLIB_PATH`) when given, else in the environment's models folder.
    /// tract runs on the CPU only: any other device is refused, never ignored.
    pub(crate) fn engine(
        self,
        sessions: u32,
        threads: Option<u32>,
        device: Device,
        models: Option<&Path>,
    ) -> Result<Box<dyn Engine>, SetupError> {
        let parallelism = Parallelism::new(sessions as usize, threads.map(|t| t as usize));
        match self {
            Backend::Ort => ort_engine(parallelism, device, models),
            Backend::Tract => tract_engine(parallelism, device),
        }
    }
}

#[cfg(feature = "ort")]
fn ort_engine(
    parallelism: Parallelism,
    device: Device,
    models: Option<&Path>,
) -> Result<Box<dyn Engine>, SetupError> {
    let mut options = photon_ort::OrtOptions::from(parallelism);
    options.device = device;
    options.library = models.and_then(|m| match device {
        Device::Cpu => photon_ort::runtime_library_in(m).ok(),
        _ => photon_ort::gpu_runtime_library_in(m).ok(),
    });
    Ok(Box::new(options))
}

#[cfg(not(feature = "ort"))]
fn ort_engine(_: Parallelism, _: Device, _: Option<&Path>) -> Result<Box<dyn Engine>, SetupError> {
    Err(SetupError::engine(
        "photon-models was built without its `ort` feature (ONNX Runtime)",
    ))
}

#[cfg(feature = "tract")]
fn tract_engine(parallelism: Parallelism, device: Device) -> Result<Box<dyn Engine>, SetupError> {
    if device != Device::Cpu {
        return Err(SetupError::engine(format!(
            "tract runs on the CPU only, not on {device}: use the ort backend for GPUs"
        )));
    }
    Ok(Box::new(photon_tract::TractOptions::from(parallelism)))
}

#[cfg(not(feature = "tract"))]
fn tract_engine(_: Parallelism, _: Device) -> Result<Box<dyn Engine>, SetupError> {
    Err(SetupError::engine(
        "photon-models was built without its `tract` feature",
    ))
}

/// The image tower of `spec` on `backend`, as `sessions` × `threads` (threads fill the cores
/// unless given), on the CPU.
pub fn image_encoder(
    spec: ModelSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn Embedder>, SetupError> {
    backend
        .engine(sessions, threads, Device::Cpu, None)?
        .image_encoder(spec)
        .map_err(SetupError::engine)
}

/// The text tower of `spec` on `backend`, on the CPU.
pub fn text_encoder(
    spec: TextSpec,
    backend: Backend,
    sessions: u32,
    threads: Option<u32>,
) -> Result<Arc<dyn TextEncoder>, SetupError> {
    backend
        .engine(sessions, threads, Device::Cpu, None)?
        .text_encoder(spec)
        .map_err(SetupError::engine)
}
