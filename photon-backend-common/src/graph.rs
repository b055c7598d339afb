//! A graph run as it is, for models that are neither an image nor a text tower (a face
//! detector, a recognition model): one float input, every output back in declared order.

use crate::BoxError;

/// A tensor of 32-bit floats, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct FloatTensor {
    /// The size of each axis.
    pub shape: Vec<usize>,
    /// The values, `shape`'s product of them.
    pub values: Vec<f32>,
}

impl FloatTensor {
    /// A tensor of `shape` holding `values`; `None` when the counts differ.
    pub fn new(shape: Vec<usize>, values: Vec<f32>) -> Option<Self> {
        (shape.iter().product::<usize>() == values.len()).then_some(Self { shape, values })
    }
}

/// A graph's input or output as its file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphPort {
    /// Its name in the graph.
    pub name: String,
    /// Each axis's size, `None` where the graph leaves it open.
    pub shape: Vec<Option<usize>>,
}

impl GraphPort {
    /// The shape with -1 for open axes, as error messages and ONNX tools print it.
    pub fn declared(&self) -> Vec<i64> {
        self.shape
            .iter()
            .map(|d| d.map_or(-1, |d| d as i64))
            .collect()
    }
}

/// An ONNX graph with one float input, loaded on an engine by [`Engine::graph`](crate::Engine::graph).
///
/// `run` blocks the calling thread (call it from a blocking thread, never an async one); up to
/// `concurrency()` calls run at once, more wait. Each call gets every output, in the order of
/// `outputs()`, as 32-bit floats.
pub trait Graph: Send + Sync {
    /// The engine's name (`ort`, `tract`).
    fn engine(&self) -> &'static str;

    /// The graph's input.
    fn input(&self) -> &GraphPort;

    /// The graph's outputs, in order.
    fn outputs(&self) -> &[GraphPort];

    /// Calls that run at once.
    fn concurrency(&self) -> usize;

    /// Runs the graph on `input`.
    fn run(&self, input: FloatTensor) -> Result<Vec<FloatTensor>, BoxError>;
}
