//! Detection, alignment and recognition together: the faces of one image, each with its
//! normalised embedding, batched across faces.

use crate::align::norm_crop;
use crate::detection::Detection;
use crate::models::{FaceDetector, FaceEmbedder, FaceError};
use photon_core::RgbImage;
use photon_core::vector::l2_normalize;
use std::sync::Arc;

/// A face found and recognised: where it is, how sure the detector was, its landmarks and its
/// L2-normalised embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// Where the detector found it, in the upright image's pixels.
    pub detection: Detection,
    /// The recognition model's vector, L2-normalised.
    pub embedding: Vec<f32>,
}

/// The faces of one image, and how many the detector found before `max_faces` cut them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaceScan {
    /// The best `max_faces` faces, best first.
    pub faces: Vec<Face>,
    /// Faces the detector found above the score, counting those cut.
    pub found: usize,
}

/// What [`FaceAnalysis`] keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FaceOptions {
    /// Lowest detector score kept (immich's default, 0.7).
    pub min_score: f32,
    /// Most faces kept per image, the best scores (100).
    pub max_faces: usize,
    /// Crops per call of the recognition model (32).
    pub batch: usize,
}

impl Default for FaceOptions {
    fn default() -> Self {
        Self {
            min_score: 0.7,
            max_faces: 100,
            batch: 32,
        }
    }
}

impl FaceOptions {
    /// Keeps faces scoring at least `min_score`.
    pub fn min_score(mut self, min_score: f32) -> Self {
        self.min_score = min_score;
        self
    }

    /// Keeps at most `max_faces` per image.
    pub fn max_faces(mut self, max_faces: usize) -> Self {
        self.max_faces = max_faces;
        self
    }

    /// Sends at most `batch` crops (at least 1) to the recognition model at once.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }
}

/// A detector and a recognition model used together.
#[derive(Clone)]
pub struct FaceAnalysis {
    detector: Arc<dyn FaceDetector>,
    embedder: Arc<dyn FaceEmbedder>,
    options: FaceOptions,
}

impl FaceAnalysis {
    /// Faces found by `detector` and recognised by `embedder`, as `options` say.
    pub fn new(
        detector: Arc<dyn FaceDetector>,
        embedder: Arc<dyn FaceEmbedder>,
        options: FaceOptions,
    ) -> Self {
        Self {
            detector,
            embedder,
            options,
        }
    }

    /// The faces of an upright `image`. Blocks: call it from a blocking thread.
    pub fn scan(&self, image: &RgbImage) -> Result<FaceScan, FaceError> {
        let mut detections = self.detector.detect(image, self.options.min_score)?;
        let found = detections.len();
        detections.truncate(self.options.max_faces);
        let size = self.embedder.crop_size();
        // Landmarks that all coincide cannot be aligned, and are no face.
        let aligned: Vec<(Detection, RgbImage)> = detections
            .into_iter()
            .filter_map(|d| Some((d, norm_crop(image, &d.landmarks, size)?)))
            .collect();
        let mut faces = Vec::with_capacity(aligned.len());
        for chunk in aligned.chunks(self.options.batch) {
            let crops: Vec<RgbImage> = chunk.iter().map(|(_, crop)| crop.clone()).collect();
            let vectors = self.embedder.embed(&crops)?;
            if vectors.len() != chunk.len() {
                return Err(format!("{} vectors for {} faces", vectors.len(), chunk.len()).into());
            }
            for ((detection, _), mut embedding) in chunk.iter().zip(vectors) {
                l2_normalize(&mut embedding);
                faces.push(Face {
                    detection: *detection,
                    embedding,
                });
            }
        }
        Ok(FaceScan { faces, found })
    }
}
