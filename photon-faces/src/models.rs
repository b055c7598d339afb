//! The face models as plugins: a [`FaceDetector`] finds faces, a [`FaceEmbedder`] turns aligned
//! crops into vectors; [`ScrfdDetector`] and [`ArcFaceEmbedder`] are the ONNX ones, on any
//! engine's [`Graph`].

use crate::align::{ARCFACE_SIZE, crops_tensor};
use crate::detection::Detection;
use crate::letterbox::Letterbox;
use crate::scrfd::{LayoutError, ScrfdLayout};
use photon_backend_common::{BoxError, FloatTensor, Graph};
use photon_core::RgbImage;
use std::sync::Arc;

/// Why a face model failed on an image or a batch.
pub type FaceError = BoxError;

/// Finds faces in an upright image: boxes, scores and five landmarks in its pixels, best
/// first. Called from blocking threads, several at once.
pub trait FaceDetector: Send + Sync {
    /// The longer side of the input it scales images to (640 for SCRFD's usual input).
    fn input_side(&self) -> u32 {
        640
    }

    /// The faces in `image` that score at least `min_score`.
    fn detect(&self, image: &RgbImage, min_score: f32) -> Result<Vec<Detection>, FaceError>;
}

/// Turns aligned face crops (`crop_size()` square, landmarks on ArcFace's template) into
/// vectors of `dim()` values, one per crop, in order. Called from blocking threads.
pub trait FaceEmbedder: Send + Sync {
    /// The side of the crops it takes.
    fn crop_size(&self) -> u32 {
        ARCFACE_SIZE
    }

    /// Values per vector.
    fn dim(&self) -> usize;

    /// One vector per crop (not necessarily normalised).
    fn embed(&self, crops: &[RgbImage]) -> Result<Vec<Vec<f32>>, FaceError>;
}

/// Why a graph cannot serve as a face model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceModelError {
    /// The detector's outputs are not SCRFD's.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The recognition model's input or output is not ArcFace's.
    #[error("the recognition model's {what} is {shape:?}; ArcFace's is {want}")]
    Recognition {
        /// `input` or `output`.
        what: &'static str,
        /// The shape the graph declares (-1 where open).
        shape: Vec<i64>,
        /// The shape expected.
        want: &'static str,
    },
}

/// SCRFD (insightface's `det_10g.onnx` and the other packs' detectors) on an engine: the image
/// letterboxed into `input` (640x640 by default), scores, boxes and landmarks decoded,
/// overlaps above 0.4 IoU suppressed, as insightface's `SCRFD.detect`.
pub struct ScrfdDetector {
    graph: Arc<dyn Graph>,
    layout: ScrfdLayout,
    input: (u32, u32),
}

/// insightface's SCRFD normalisation: `(v - 127.5) / 128`.
const SCRFD_MEAN: f32 = 127.5;
const SCRFD_STD: f32 = 128.0;
/// The IoU above which a weaker overlapping face is dropped (insightface's `nms_thresh`).
const NMS_IOU: f32 = 0.4;

impl ScrfdDetector {
    /// The detector in `graph` for inputs of `input` (width, height; multiples of 32). Fails,
    /// naming the output, when the graph's outputs are not an SCRFD export's with landmarks.
    pub fn new(graph: Arc<dyn Graph>, input: (u32, u32)) -> Result<Self, FaceModelError> {
        let layout = ScrfdLayout::from_output_count(graph.outputs().len())?;
        let declared: Vec<(String, Vec<i64>)> = graph
            .outputs()
            .iter()
            .map(|o| (o.name.clone(), o.declared()))
            .collect();
        layout.check_outputs(&declared, input)?;
        Ok(Self {
            graph,
            layout,
            input,
        })
    }

    /// The input shape an engine should plan the detector for.
    pub fn input_shape(input: (u32, u32)) -> [Option<usize>; 4] {
        [
            Some(1),
            Some(3),
            Some(input.1 as usize),
            Some(input.0 as usize),
        ]
    }
}

impl FaceDetector for ScrfdDetector {
    fn input_side(&self) -> u32 {
        self.input.0.max(self.input.1)
    }

    fn detect(&self, image: &RgbImage, min_score: f32) -> Result<Vec<Detection>, FaceError> {
        let letterbox = Letterbox::fit(image.dimensions(), self.input);
        let values = letterbox.tensor(image, SCRFD_MEAN, SCRFD_STD);
        let shape = vec![1, 3, self.input.1 as usize, self.input.0 as usize];
        let input = FloatTensor::new(shape, values).ok_or("the detector's input tensor")?;
        let outputs = self.graph.run(input)?;
        let views: Vec<&[f32]> = outputs.iter().map(|o| o.values.as_slice()).collect();
        Ok(self.layout.decode(&views, &letterbox, min_score, NMS_IOU))
    }
}

/// ArcFace (insightface's `w600k_r50.onnx` and the other packs' recognition models) on an
/// engine: crops as `(v - 127.5) / 127.5` in RGB, `[n, 3, 112, 112]` in, `[n, dim]` out.
pub struct ArcFaceEmbedder {
    graph: Arc<dyn Graph>,
    dim: usize,
}

const ARCFACE_MEAN: f32 = 127.5;
const ARCFACE_STD: f32 = 127.5;

impl ArcFaceEmbedder {
    /// The recognition model in `graph`; fails unless it takes `[n, 3, 112, 112]` and gives
    /// one `[n, dim]` output.
    pub fn new(graph: Arc<dyn Graph>) -> Result<Self, FaceModelError> {
        let input = graph.input().declared();
        let side = i64::from(ARCFACE_SIZE);
        let open_or = |d: i64, want: i64| d == -1 || d == want;
        if !(input.len() == 4
            && open_or(input[1], 3)
            && open_or(input[2], side)
            && open_or(input[3], side))
        {
            return Err(FaceModelError::Recognition {
                what: "input",
                shape: input,
                want: "[n, 3, 112, 112]",
            });
        }
        let dim = match graph.outputs() {
            [output] => match output.shape.as_slice() {
                [_, Some(dim)] => Some(*dim),
                _ => None,
            },
            _ => None,
        };
        let dim = dim.ok_or_else(|| FaceModelError::Recognition {
            what: "output",
            shape: graph.outputs().iter().flat_map(|o| o.declared()).collect(),
            want: "one [n, dim]",
        })?;
        Ok(Self { graph, dim })
    }

    /// The input shape an engine should plan the recognition model for (batch open).
    pub fn input_shape() -> [Option<usize>; 4] {
        let side = ARCFACE_SIZE as usize;
        [None, Some(3), Some(side), Some(side)]
    }
}

impl FaceEmbedder for ArcFaceEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, crops: &[RgbImage]) -> Result<Vec<Vec<f32>>, FaceError> {
        if crops.is_empty() {
            return Ok(Vec::new());
        }
        let side = ARCFACE_SIZE as usize;
        let values = crops_tensor(crops, ARCFACE_MEAN, ARCFACE_STD);
        let input = FloatTensor::new(vec![crops.len(), 3, side, side], values)
            .ok_or("crops of another size than 112x112")?;
        let output = self
            .graph
            .run(input)?
            .into_iter()
            .next()
            .ok_or("no output")?;
        if output.values.len() != crops.len() * self.dim {
            return Err(format!(
                "the recognition model gave {} values for {} crops of {}",
                output.values.len(),
                crops.len(),
                self.dim
            )
            .into());
        }
        Ok(output
            .values
            .chunks(self.dim)
            .map(<[f32]>::to_vec)
            .collect())
    }
}
