//! A graph run as it is on tract ([`Graph`]): planned once for the input axes the caller fixes,
//! the rest (a batch) left symbolic; every output read back as 32-bit floats.

use crate::{TractError, TractOptions, onnx_reader, set_matmul_threads};
use photon_backend_common::{BoxError, FloatTensor, Graph, GraphPort, existing_model_file};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::DimLike;

/// A graph on tract, with up to `concurrent_batches` runs at once.
pub(crate) struct TractGraph {
    plan: Arc<TypedRunnableModel>,
    input: GraphPort,
    outputs: Vec<GraphPort>,
    concurrency: usize,
    running: Mutex<usize>,
    finished: Condvar,
}

impl TractGraph {
    pub(crate) fn load(
        file: &Path,
        fixed: &[Option<usize>],
        options: &TractOptions,
    ) -> Result<Self, TractError> {
        let file = existing_model_file(Some(file))?;
        set_matmul_threads(options.matmul_threads);
        let prepare = |e: TractError2| TractError::Prepare {
            file: file.to_path_buf(),
            message: format!("{e:#}"),
        };
        let (plan, input) = plan(file, fixed).map_err(prepare)?;
        let outputs = (0..plan.model().outputs.len())
            .map(|i| {
                let outlet = plan.model().outputs[i];
                let fact = plan.model().outlet_fact(outlet)?;
                Ok(GraphPort {
                    name: plan.model().node(outlet.node).name.clone(),
                    shape: fact.shape.iter().map(|d| d.to_usize().ok()).collect(),
                })
            })
            .collect::<TractResult<_>>()
            .map_err(prepare)?;
        Ok(Self {
            plan,
            input,
            outputs,
            concurrency: options.concurrent_batches.max(1),
            running: Mutex::new(0),
            finished: Condvar::new(),
        })
    }
}

type TractError2 = tract_onnx::prelude::TractError;

/// The plan for inputs shaped as `fixed` (a symbol where `None`), and the input's port.
fn plan(file: &Path, fixed: &[Option<usize>]) -> TractResult<(Arc<TypedRunnableModel>, GraphPort)> {
    let mut model = onnx_reader().model_for_path(file)?;
    let inputs = model.input_outlets()?.to_vec();
    let [outlet] = inputs.as_slice() else {
        return Err(TractError2::msg(format!(
            "the graph has {} inputs; a graph run as it is takes one",
            inputs.len()
        )));
    };
    let name = model.node(outlet.node).name.clone();
    let batch = model.sym("N");
    let shape: TVec<TDim> = fixed
        .iter()
        .map(|d| d.map_or_else(|| batch.clone().into(), TDim::from))
        .collect();
    model.set_input_fact(0, InferenceFact::dt_shape(f32::datum_type(), shape))?;
    let plan = model.into_optimized()?.into_runnable()?;
    let port = GraphPort {
        name,
        shape: fixed.to_vec(),
    };
    Ok((plan, port))
}

impl Graph for TractGraph {
    fn engine(&self) -> &'static str {
        "tract"
    }

    fn input(&self) -> &GraphPort {
        &self.input
    }

    fn outputs(&self) -> &[GraphPort] {
        &self.outputs
    }

    fn concurrency(&self) -> usize {
        self.concurrency
    }

    fn run(&self, input: FloatTensor) -> Result<Vec<FloatTensor>, BoxError> {
        {
            let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
            while *running >= self.concurrency {
                running = self
                    .finished
                    .wait(running)
                    .unwrap_or_else(|p| p.into_inner());
            }
            *running += 1;
        }
        let result = run_plan(&self.plan, input);
        *self.running.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        self.finished.notify_one();
        result.map_err(|e| format!("{e:#}").into())
    }
}

fn run_plan(plan: &Arc<TypedRunnableModel>, input: FloatTensor) -> TractResult<Vec<FloatTensor>> {
    let tensor = Tensor::from_shape(&input.shape, &input.values)?;
    let outputs = plan.run(tvec!(tensor.into()))?;
    outputs
        .iter()
        .map(|output| {
            let values = output.cast_to::<f32>()?;
            let view = values.to_plain_array_view::<f32>()?;
            Ok(FloatTensor {
                shape: view.shape().to_vec(),
                values: view.iter().copied().collect(),
            })
        })
        .collect()
}
