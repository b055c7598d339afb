//! Faces as a pipeline stage: the [`FaceFinder`] plugin, and what a record keeps of each face.
//!
//! photon-faces implements the finder with a detector and a recognition model (SCRFD and
//! ArcFace, on either engine); an app may bring its own.

use crate::error::{Stage, StageError};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// One face as records keep it: where it is in the upright image, how sure the detector was,
/// its five landmarks and its vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FaceRecord {
    /// `[x1, y1, x2, y2]` in the upright image's pixels (as `width`/`height` count them).
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The detector's score, 0 to 1.
    pub score: f32,
    /// Left eye, right eye, nose, left and right mouth corners, `[x, y]` each, as the person
    /// sees them (the left eye is on the image's left).
    pub landmarks: [[f32; 2]; 5],
    /// The recognition model's vector, L2-normalised.
    pub embedding: Vec<f32>,
}

impl FaceRecord {
    /// A face from its parts.
    pub fn new(bbox: [f32; 4], score: f32, landmarks: [[f32; 2]; 5], embedding: Vec<f32>) -> Self {
        Self {
            bbox,
            score,
            landmarks,
            embedding,
        }
    }

    /// `[x1, y1, x2, y2]` mapped from an image of `from` (width, height) to one of `to`: the
    /// finder may see a reduced decode, records count the upright image's full pixels.
    pub fn rescale(&mut self, from: (u32, u32), to: (u32, u32)) {
        if from == to || from.0 == 0 || from.1 == 0 {
            return;
        }
        let sx = to.0 as f32 / from.0 as f32;
        let sy = to.1 as f32 / from.1 as f32;
        for (i, v) in self.bbox.iter_mut().enumerate() {
            *v *= if i % 2 == 0 { sx } else { sy };
        }
        for point in &mut self.landmarks {
            point[0] *= sx;
            point[1] *= sy;
        }
    }
}

/// The faces of one image, best first, and how many were found before a cap cut them.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct FoundFaces {
    /// The faces kept.
    pub faces: Vec<FaceRecord>,
    /// Faces found above the finder's score, counting those not kept.
    pub found: usize,
}

impl FoundFaces {
    /// `faces` kept of `found`.
    pub fn new(faces: Vec<FaceRecord>, found: usize) -> Self {
        Self { faces, found }
    }
}

/// Why the face stage failed on an image: the record keeps its other fields and carries this
/// as an error of stage `faces`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FaceError {
    kind: &'static str,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl FaceError {
    /// A failure of a face model (`kind` `model`), keeping its error as the cause.
    pub fn model(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind: "model",
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A failure with a `kind` of the caller's (snake_case) and no underlying error.
    pub fn other(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }
}

impl StageError for FaceError {
    fn stage(&self) -> Stage {
        Stage::Faces
    }
    fn kind(&self) -> &'static str {
        self.kind
    }
}

/// Finds and recognises the faces of upright images: the face stage's plugin.
///
/// # Contract
/// - [`find_faces`](FaceFinder::find_faces) gets the images of a micro-batch, decoded once
///   for all stages and turned upright, each at least [`working_side`](FaceFinder::working_side)
///   on its long side where the decoder could keep it (a smaller original stays as it is). It
///   returns one result per image, in order; boxes and landmarks are in the pixels of the image
///   it was given (the driver scales them to the full upright size).
/// - It blocks (model calls): the driver calls it from a blocking thread, up to
///   [`concurrency`](FaceFinder::concurrency) batches at once.
/// - A failure is one image's or several images' error; a panic is caught and fails the
///   images of its batch. Either way the records keep every other field.
pub trait FaceFinder: Send + Sync {
    /// The long side, in pixels, an image should keep for this finder.
    fn working_side(&self) -> u32;

    /// The length of every face embedding it gives (columnar outputs fix it up front).
    fn embedding_dim(&self) -> usize;

    /// Batches of images it can take at once, the most useful first (default 2).
    fn concurrency(&self) -> usize {
        2
    }

    /// The faces of each image, in order.
    fn find_faces(&self, images: &[&RgbImage]) -> Vec<Result<FoundFaces, FaceError>>;
}

impl<T: FaceFinder + ?Sized> FaceFinder for std::sync::Arc<T> {
    fn working_side(&self) -> u32 {
        (**self).working_side()
    }
    fn embedding_dim(&self) -> usize {
        (**self).embedding_dim()
    }
    fn concurrency(&self) -> usize {
        (**self).concurrency()
    }
    fn find_faces(&self, images: &[&RgbImage]) -> Vec<Result<FoundFaces, FaceError>> {
        (**self).find_faces(images)
    }
}

impl<T: FaceFinder + ?Sized> FaceFinder for Box<T> {
    fn working_side(&self) -> u32 {
        (**self).working_side()
    }
    fn embedding_dim(&self) -> usize {
        (**self).embedding_dim()
    }
    fn concurrency(&self) -> usize {
        (**self).concurrency()
    }
    fn find_faces(&self, images: &[&RgbImage]) -> Vec<Result<FoundFaces, FaceError>> {
        (**self).find_faces(images)
    }
}
