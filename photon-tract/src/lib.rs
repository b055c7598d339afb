//! Photon's [`Embedder`] on tract, a pure-Rust ONNX engine: no native library to install.
//!
//! The model is optimised once, for batch 1 by default (each image of a micro-batch runs in turn,
//! which measured 8× faster than a symbolic batch on CPU; see [`BatchPlan`]), so any micro-batch
//! size runs on one copy of the weights. A runnable tract plan is immutable and each run keeps its own state,
//! so concurrent batches share the plan without a lock; a semaphore bounds how many run at once.
//! Matrix products can use several threads (`TractOptions::matmul_threads`).
//!
//! ```no_run
//! use photon_core::{ModelSpec, Pipeline, Preprocessing};
//! use photon_tract::{TractEmbedder, TractOptions};
//!
//! # fn main() -> Result<(), photon_tract::TractError> {
//! // photon-models reads specs from model folders; a spec can also be written out.
//! let spec = ModelSpec::new("my-model", Preprocessing::new(224, 224), 1280)
//!     .with_model_file("models/my-model/model.onnx");
//! let pipeline = Pipeline::builder().embedder(TractEmbedder::new(spec, &TractOptions::default())?).build();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod graph;
mod text;

pub use text::TractTextEncoder;

use async_trait::async_trait;
use photon_backend_common::{
    BatchSlots, BoxError, Engine, Graph, ModelFileError, Parallelism, existing_model_file,
    image_outputs, output_names,
};
use photon_core::{
    EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec, TextEncoder, TextSpec,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;
use tract_onnx::prelude::*;

/// How a micro-batch is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum BatchPlan {
    /// The model is optimised for batch 1 and each image of a micro-batch runs in turn: on CPU
    /// this was 8× faster than a symbolic batch for EfficientNet-Lite0 (tract's convolutions
    /// lose their fast paths when the batch is symbolic), and batch 8 brought no gain.
    #[default]
    PerImage,
    /// The model is optimised once with a symbolic batch `N` and a micro-batch runs in one call.
    Symbolic,
}

/// How the engine runs: [`Default`], or [`Parallelism`] through `From`, then the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TractOptions {
    /// How micro-batches run; either way any batch size is accepted.
    pub batch_plan: BatchPlan,
    /// Batches that run at once.
    pub concurrent_batches: usize,
    /// Threads for matrix products, process-wide (tract has one default executor); 1 keeps them
    /// single-threaded.
    pub matmul_threads: usize,
}

impl Default for TractOptions {
    /// One batch at a time, matrix products on every core.
    fn default() -> Self {
        Parallelism::default().into()
    }
}

impl From<Parallelism> for TractOptions {
    fn from(parallelism: Parallelism) -> Self {
        Self {
            batch_plan: BatchPlan::PerImage,
            concurrent_batches: parallelism.sessions,
            matmul_threads: parallelism.threads_per_session,
        }
    }
}

impl Engine for TractOptions {
    fn name(&self) -> &'static str {
        "tract"
    }

    fn image_encoder(&self, spec: ModelSpec) -> Result<Arc<dyn Embedder>, BoxError> {
        Ok(Arc::new(TractEmbedder::new(spec, self)?))
    }

    fn text_encoder(&self, spec: TextSpec) -> Result<Arc<dyn TextEncoder>, BoxError> {
        Ok(Arc::new(TractTextEncoder::new(spec, self)?))
    }

    fn graph(&self, file: &Path, fixed: &[Option<usize>]) -> Result<Arc<dyn Graph>, BoxError> {
        Ok(Arc::new(graph::TractGraph::load(file, fixed, self)?))
    }
}

/// Why a model could not be prepared.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TractError {
    /// The model file is not named or not there.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    /// tract could not load or optimise the model.
    #[error("tract cannot prepare {file}: {message}")]
    Prepare {
        /// The model file.
        file: PathBuf,
        /// tract's message, with its causes.
        message: String,
    },
}

/// The optimised model and the element type of its image input (f32, or f16 for float16
/// exports; the batch is converted at the edge).
#[derive(Clone)]
struct Plan {
    model: Arc<TypedRunnableModel>,
    input: DatumType,
}

/// An ONNX model on tract.
pub struct TractEmbedder {
    spec: ModelSpec,
    plan: Plan,
    per_image: bool,
    slots: BatchSlots,
}

impl std::fmt::Debug for TractEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractEmbedder")
            .field("spec", &self.spec.id)
            .finish_non_exhaustive()
    }
}

impl TractEmbedder {
    /// Loads `spec.model_file` and optimises it for inputs `[1, 3, H, W]` (or a symbolic `N`
    /// with [`BatchPlan::Symbolic`]).
    pub fn new(spec: ModelSpec, options: &TractOptions) -> Result<Self, TractError> {
        let file = existing_model_file(spec.model_file.as_deref())?.to_path_buf();
        set_matmul_threads(options.matmul_threads);
        let plan =
            image_plan(&file, &spec, options.batch_plan).map_err(|e| TractError::Prepare {
                file,
                message: format!("{e:#}"),
            })?;
        Ok(Self {
            spec,
            plan,
            per_image: options.batch_plan == BatchPlan::PerImage,
            slots: BatchSlots::new(options.concurrent_batches),
        })
    }
}

/// The optimised plan of an image model: input `[batch, 3, H, W]` of the float type the graph
/// declares (f32 unless it says f16), the spec's outputs.
fn image_plan(
    file: &std::path::Path,
    spec: &ModelSpec,
    batch_plan: BatchPlan,
) -> TractResult<Plan> {
    let mut model = crate::onnx_reader().model_for_path(file)?;
    let input = match declared_datum(&model, &spec.input_name)? {
        Some(dt) if dt == f16::datum_type() => dt,
        _ => f32::datum_type(),
    };
    let batch: TDim = match batch_plan {
        BatchPlan::PerImage => 1.into(),
        BatchPlan::Symbolic => model.sym("N").into(),
    };
    let (h, w) = (
        spec.preprocessing.height as usize,
        spec.preprocessing.width as usize,
    );
    let shape: TVec<TDim> = tvec![batch, 3.into(), h.into(), w.into()];
    set_input_fact(
        &mut model,
        &spec.input_name,
        InferenceFact::dt_shape(input, shape),
    )?;
    model.select_outputs_by_name(output_names(spec))?;
    let model = model.into_optimized()?.into_runnable()?;
    Ok(Plan { model, input })
}

fn run_batch(
    plan: &Plan,
    spec: &ModelSpec,
    per_image: bool,
    batch: ImageBatch,
) -> Result<Vec<ModelOutput>, EmbedError> {
    let [n, c, h, w] = batch.shape();
    if !per_image {
        return run_once(plan, spec, [n, c, h, w], &batch.data);
    }
    let mut outputs = Vec::with_capacity(n);
    for i in 0..n {
        outputs.extend(run_once(plan, spec, [1, c, h, w], batch.image(i))?);
    }
    Ok(outputs)
}

fn run_once(
    plan: &Plan,
    spec: &ModelSpec,
    shape: [usize; 4],
    data: &[f32],
) -> Result<Vec<ModelOutput>, EmbedError> {
    let input = Tensor::from_shape(&shape, data)
        .and_then(|t| t.cast_to_dt(plan.input).map(|t| t.into_owned()))
        .map_err(backend)?;
    let outputs = plan.model.run(tvec!(input.into())).map_err(backend)?;
    let flat = |i: usize| -> Result<Vec<f32>, EmbedError> {
        let values = outputs[i].cast_to::<f32>().map_err(backend)?;
        let view = values.to_plain_array_view::<f32>().map_err(backend)?;
        Ok(view.iter().copied().collect())
    };
    let logits = match spec.logits_output {
        Some(_) => Some(flat(1)?),
        None => None,
    };
    image_outputs(spec, shape[0], &flat(0)?, logits.as_deref())
}

/// The element type the graph declares for the input called `name`, if it declares one.
fn declared_datum(model: &InferenceModel, name: &str) -> TractResult<Option<DatumType>> {
    let outlets = model.input_outlets()?;
    let Some(outlet) = outlets.iter().find(|o| model.node(o.node).name == name) else {
        return Ok(None);
    };
    use tract_onnx::tract_hir::infer::Factoid;
    Ok(model.outlet_fact(*outlet)?.datum_type.concretize())
}

/// Fixes the type and shape of the input called `name`.
fn set_input_fact(model: &mut InferenceModel, name: &str, fact: InferenceFact) -> TractResult<()> {
    let position = model
        .input_outlets()?
        .iter()
        .position(|o| model.node(o.node).name == name)
        .ok_or_else(|| {
            tract_onnx::prelude::TractError::msg(format!("the model has no input named {name}"))
        })?;
    model.set_input_fact(position, fact)
}

/// Makes tract's matrix products use `threads` threads (process-wide).
fn set_matmul_threads(threads: usize) {
    use tract_linalg::multithread::{Executor, set_default_executor};
    // Set it either way: the executor is process-wide, so an earlier engine's setting would
    // otherwise stay.
    set_default_executor(if threads > 1 {
        Executor::multithread(threads)
    } else {
        Executor::SingleThread
    });
}

/// tract's error with its causes, as one message.
fn backend(e: tract_onnx::prelude::TractError) -> EmbedError {
    EmbedError::Backend(format!("{e:#}").into())
}

#[async_trait]
impl Embedder for TractEmbedder {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    fn backend(&self) -> &str {
        "tract"
    }

    fn concurrency(&self) -> usize {
        self.slots.len()
    }

    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        let (plan, spec, per_image) = (self.plan.clone(), self.spec.clone(), self.per_image);
        self.slots
            .run(move || run_batch(&plan, &spec, per_image, batch))
            .await
    }
}

/// tract's ONNX reader, ignoring the graph's `value_info`: those intermediate shapes are hints
/// that some exporters (float16 converters among them) write with a symbolic batch, which then
/// contradicts the batch Photon fixes; tract infers every shape from the inputs anyway.
fn onnx_reader() -> tract_onnx::model::Onnx {
    tract_onnx::onnx().with_ignore_value_info(true)
}
