//! Photon's [`Embedder`] on ONNX Runtime, through the `ort` crate.
//!
//! ONNX Runtime is loaded at run time from a shared library (`load-dynamic`), so nothing is
//! downloaded or linked at build time: the library the PyPI wheel `onnxruntime` ships
//! (`onnxruntime/capi/libonnxruntime.so.*`) is found as [`runtime_library`] says: an explicit
//! path, `ORT_DYLIB_PATH`, or the wheel installed in the models folder.
//!
//! The one design decision: inference is never serialised behind one mutex. A pool of sessions
//! (ort's `run` takes `&mut self`) serves concurrent micro-batches, each session with its own
//! intra-op threads, sized so that sessions × threads fits the cores.
//!
//! ```no_run
//! use photon_core::{ModelSpec, Pipeline, Preprocessing};
//! use photon_ort::{OrtEmbedder, OrtOptions};
//!
//! # fn main() -> Result<(), photon_ort::OrtError> {
//! // photon-models reads specs from model folders; a spec can also be written out.
//! let spec = ModelSpec::new("my-model", Preprocessing::new(224, 224), 1280)
//!     .with_model_file("models/my-model/model.onnx");
//! let pipeline = Pipeline::builder().embedder(OrtEmbedder::new(spec, &OrtOptions::default())?).build();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod cuda;
mod graph;
mod io;
mod runtime;
mod session_pool;
mod text;
mod wheel;

pub use cuda::{GPU_RUNTIME_DIR, gpu_runtime_library_in};
use io::GraphIo;
use runtime::init_runtime;
pub use runtime::{OrtError, runtime_library, runtime_library_in};
pub use text::OrtTextEncoder;

use async_trait::async_trait;
use ort::session::Session;
use photon_backend_common::{
    BoxError, Device, Engine, Graph, Parallelism, existing_model_file, image_outputs, output_names,
};
use photon_core::{
    EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec, TextEncoder, TextSpec,
};
use session_pool::SessionPool;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How sessions are set up: [`Default`], or [`Parallelism`] through `From`, then the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrtOptions {
    /// Sessions in the pool: how many micro-batches run at once.
    pub sessions: usize,
    /// Intra-op threads of each session.
    pub threads_per_session: usize,
    /// The ONNX Runtime library; `None` finds it as [`runtime_library`] says.
    pub library: Option<PathBuf>,
    /// Let idle intra-op threads spin waiting for work (ONNX Runtime's own default). It can
    /// help an engine that has the cores to itself; in a pipeline the spinning takes CPU from
    /// decoding, so Photon turns it off unless asked.
    pub spin_wait: bool,
    /// Where the model runs. [`Device::Cuda`] needs the GPU build of ONNX Runtime
    /// ([`gpu_runtime_library_in`]); if its CUDA provider cannot register, loading fails.
    pub device: Device,
}

impl Default for OrtOptions {
    /// One session using every core: on CPU, one batch at a time with all threads measured best
    /// here; raise `sessions` (and lower threads) when decoding needs the cores.
    fn default() -> Self {
        Parallelism::default().into()
    }
}

impl From<Parallelism> for OrtOptions {
    fn from(parallelism: Parallelism) -> Self {
        Self {
            sessions: parallelism.sessions,
            threads_per_session: parallelism.threads_per_session,
            library: None,
            spin_wait: false,
            device: Device::Cpu,
        }
    }
}

impl Engine for OrtOptions {
    fn name(&self) -> &'static str {
        "ort"
    }

    fn image_encoder(&self, spec: ModelSpec) -> Result<Arc<dyn Embedder>, BoxError> {
        Ok(Arc::new(OrtEmbedder::new(spec, self)?))
    }

    fn text_encoder(&self, spec: TextSpec) -> Result<Arc<dyn TextEncoder>, BoxError> {
        Ok(Arc::new(OrtTextEncoder::new(spec, self)?))
    }

    fn graph(&self, file: &Path, _fixed: &[Option<usize>]) -> Result<Arc<dyn Graph>, BoxError> {
        Ok(Arc::new(graph::OrtGraph::load(file, self)?))
    }
}

/// An ONNX model on ONNX Runtime.
pub struct OrtEmbedder {
    spec: ModelSpec,
    io: GraphIo,
    pool: SessionPool,
}

impl std::fmt::Debug for OrtEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrtEmbedder")
            .field("spec", &self.spec.id)
            .field("sessions", &self.pool.len())
            .finish()
    }
}

impl OrtEmbedder {
    /// Loads `spec.model_file` into `options.sessions` sessions. Fails with a clear error when
    /// the runtime library or the model is missing, or the model lacks the spec's input/outputs.
    pub fn new(spec: ModelSpec, options: &OrtOptions) -> Result<Self, OrtError> {
        let file = existing_model_file(spec.model_file.as_deref())?;
        let sessions = session_pool::load_sessions(file, options)?;
        session_pool::check_io(
            &sessions[0],
            &[spec.input_name.as_str()],
            &output_names(&spec),
        )?;
        let io = GraphIo::of(&sessions[0], &spec.input_name, options.device).map_err(|e| {
            OrtError::Device {
                device: options.device.to_string(),
                message: format!("no pinned host memory: {e}"),
            }
        })?;
        Ok(Self {
            spec,
            io,
            pool: SessionPool::new(sessions),
        })
    }
}

/// Runs one batch on one session: the whole of the engine-specific work.
fn run_batch(
    session: &mut Session,
    spec: &ModelSpec,
    io: &GraphIo,
    batch: ImageBatch,
) -> Result<Vec<ModelOutput>, EmbedError> {
    let n = batch.len;
    let input = io.input(session, batch)?;
    let outputs = session
        .run(ort::inputs![spec.input_name.as_str() => input])
        .map_err(backend)?;
    let embeddings = io.output(&outputs, &spec.embedding_output)?;
    let logits = match &spec.logits_output {
        Some(name) => Some(io.output(&outputs, name)?),
        None => None,
    };
    image_outputs(spec, n, &embeddings, logits.as_deref())
}

/// ONNX Runtime's error as the cause of a backend error.
fn backend(e: ort::Error) -> EmbedError {
    EmbedError::Backend(Box::new(e))
}

#[async_trait]
impl Embedder for OrtEmbedder {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    fn backend(&self) -> &str {
        "ort"
    }

    fn concurrency(&self) -> usize {
        self.pool.len()
    }

    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        let (spec, io) = (self.spec.clone(), self.io.clone());
        self.pool
            .with_session(move |session| run_batch(session, &spec, &io, batch))
            .await
    }
}
