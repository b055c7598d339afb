//! A graph run as it is on ONNX Runtime ([`Graph`]): sessions taken from a pool on the calling
//! thread, every output read back as 32-bit floats.

use crate::{OrtError, OrtOptions, session_pool};
use ort::session::Session;
use ort::value::{Tensor, TensorElementType, ValueType};
use photon_backend_common::{BoxError, FloatTensor, Graph, GraphPort, existing_model_file};
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// A graph on ONNX Runtime, with `options.sessions` sessions.
pub(crate) struct OrtGraph {
    free: Mutex<Vec<Session>>,
    returned: Condvar,
    concurrency: usize,
    input: GraphPort,
    outputs: Vec<GraphPort>,
}

impl OrtGraph {
    pub(crate) fn load(file: &Path, options: &OrtOptions) -> Result<Self, OrtError> {
        let file = existing_model_file(Some(file))?;
        let sessions = session_pool::load_sessions(file, options)?;
        let session = &sessions[0];
        let [input] = session.inputs() else {
            return Err(OrtError::Interface(format!(
                "{} has {} inputs; a graph run as it is takes one",
                file.display(),
                session.inputs().len()
            )));
        };
        let input = float_port(input.name(), input.dtype())
            .ok_or_else(|| not_float(file, "input", input.name()))?;
        let outputs = session
            .outputs()
            .iter()
            .map(|o| {
                float_port(o.name(), o.dtype()).ok_or_else(|| not_float(file, "output", o.name()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            concurrency: sessions.len(),
            free: Mutex::new(sessions),
            returned: Condvar::new(),
            input,
            outputs,
        })
    }

    /// A free session, waiting for one to come back when all are busy.
    fn take(&self) -> Session {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(session) = free.pop() {
                return session;
            }
            free = self.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give_back(&self, session: Session) {
        self.free
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(session);
        self.returned.notify_one();
    }
}

fn float_port(name: &str, dtype: &ValueType) -> Option<GraphPort> {
    if dtype.tensor_type()? != TensorElementType::Float32 {
        return None;
    }
    Some(GraphPort {
        name: name.to_owned(),
        shape: dtype
            .tensor_shape()?
            .iter()
            .map(|&d| usize::try_from(d).ok())
            .collect(),
    })
}

fn not_float(file: &Path, kind: &str, name: &str) -> OrtError {
    OrtError::Interface(format!(
        "{}: {kind} `{name}` is not a float32 tensor",
        file.display()
    ))
}

fn run_on(
    session: &mut Session,
    input: &GraphPort,
    tensor: FloatTensor,
) -> Result<Vec<FloatTensor>, BoxError> {
    let shape: Vec<i64> = tensor.shape.iter().map(|&d| d as i64).collect();
    let value = Tensor::from_array((shape, tensor.values))?;
    let outputs = session.run(ort::inputs![input.name.as_str() => value])?;
    outputs
        .values()
        .map(|value| {
            let (shape, values) = value.try_extract_tensor::<f32>()?;
            let shape = shape.iter().map(|&d| d as usize).collect();
            Ok(FloatTensor::new(shape, values.to_vec())
                .ok_or("an output's shape and values disagree")?)
        })
        .collect()
}

impl Graph for OrtGraph {
    fn engine(&self) -> &'static str {
        "ort"
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
        let mut session = self.take();
        // The session goes back even if ONNX Runtime's binding panics.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_on(&mut session, &self.input, input)
        }));
        self.give_back(session);
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}
