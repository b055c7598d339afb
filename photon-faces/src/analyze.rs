//! Detection, alignment and recognition together: the faces of one image, each with its
//! normalised embedding, batched across faces.

use crate::align::norm_crop;
use crate::detection::Detection;
use crate::models::{FaceDetector, FaceEmbedder, FaceError};
use photon_core::vector::l2_normalize;
use photon_core::{FaceError as CoreFaceError, FaceFinder, FaceRecord, FoundFaces, RgbImage};
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

    /// What it keeps.
    pub fn options(&self) -> FaceOptions {
        self.options
    }

    /// The same models keeping what `options` say (a cheap copy: the models are shared).
    pub fn with_options(mut self, options: FaceOptions) -> Self {
        self.options = options;
        self
    }

    /// The faces of an upright `image`. Blocks: call it from a blocking thread.
    pub fn scan(&self, image: &RgbImage) -> Result<FaceScan, FaceError> {
        self.scan_batch(&[image])
            .pop()
            .expect("one result per image")
    }

    /// The faces of each image, in order: each image detected on its own, the crops of all of
    /// them recognised together in batches of `options.batch`. A recognition batch that fails
    /// fails the images whose faces it held.
    pub fn scan_batch(&self, images: &[&RgbImage]) -> Vec<Result<FaceScan, FaceError>> {
        let mut scans: Vec<Result<Pending, FaceError>> =
            images.iter().map(|image| self.detect(image)).collect();
        let crops: Vec<(usize, usize)> = scans
            .iter()
            .enumerate()
            .filter_map(|(i, scan)| scan.as_ref().ok().map(|p| (i, p.crops.len())))
            .flat_map(|(i, n)| (0..n).map(move |face| (i, face)))
            .collect();
        for chunk in crops.chunks(self.options.batch) {
            self.recognise(chunk, &mut scans);
        }
        scans
            .into_iter()
            .map(|scan| scan.and_then(Pending::finish))
            .collect()
    }

    /// One image's detections (best `max_faces`) and their aligned crops.
    fn detect(&self, image: &RgbImage) -> Result<Pending, FaceError> {
        let mut detections = self.detector.detect(image, self.options.min_score)?;
        let found = detections.len();
        detections.truncate(self.options.max_faces);
        let size = self.embedder.crop_size();
        // Landmarks that all coincide cannot be aligned, and are no face.
        let (detections, crops) = detections
            .into_iter()
            .filter_map(|d| Some((d, norm_crop(image, &d.landmarks, size)?)))
            .unzip();
        Ok(Pending {
            found,
            detections,
            crops,
            embeddings: Vec::new(),
        })
    }

    /// Recognises the crops `chunk` names (image, face), handing each vector to its image, or
    /// the failure to every image in the chunk.
    fn recognise(&self, chunk: &[(usize, usize)], scans: &mut [Result<Pending, FaceError>]) {
        let crops: Vec<RgbImage> = chunk
            .iter()
            .filter_map(|&(i, face)| Some(scans[i].as_ref().ok()?.crops[face].clone()))
            .collect();
        if crops.len() != chunk.len() {
            return; // an image of this chunk failed already
        }
        let vectors = match self.embedder.embed(&crops) {
            Ok(v) if v.len() == crops.len() => Ok(v),
            Ok(v) => Err(format!("{} vectors for {} faces", v.len(), crops.len())),
            Err(e) => Err(photon_core::with_causes(e.as_ref())),
        };
        match vectors {
            Ok(vectors) => {
                for (&(i, _), vector) in chunk.iter().zip(vectors) {
                    if let Ok(pending) = &mut scans[i] {
                        pending.embeddings.push(vector);
                    }
                }
            }
            Err(message) => {
                for &(i, _) in chunk {
                    if scans[i].is_ok() {
                        scans[i] = Err(message.clone().into());
                    }
                }
            }
        }
    }
}

/// An image's faces on their way through recognition.
struct Pending {
    found: usize,
    detections: Vec<Detection>,
    crops: Vec<RgbImage>,
    embeddings: Vec<Vec<f32>>,
}

impl Pending {
    fn finish(self) -> Result<FaceScan, FaceError> {
        if self.embeddings.len() != self.detections.len() {
            return Err("a face without its vector".into());
        }
        let faces = self
            .detections
            .into_iter()
            .zip(self.embeddings)
            .map(|(detection, mut embedding)| {
                l2_normalize(&mut embedding);
                Face {
                    detection,
                    embedding,
                }
            })
            .collect();
        Ok(FaceScan {
            faces,
            found: self.found,
        })
    }
}

/// The pipeline's face stage: [`FaceAnalysis`] as photon-core's plugin.
impl FaceFinder for FaceAnalysis {
    fn working_side(&self) -> u32 {
        self.detector
            .input_side()
            .saturating_mul(WORKING_SIDE_OVER_INPUT)
    }

    fn embedding_dim(&self) -> usize {
        self.embedder.dim()
    }

    fn find_faces(&self, images: &[&RgbImage]) -> Vec<Result<FoundFaces, CoreFaceError>> {
        self.scan_batch(images)
            .into_iter()
            .map(|scan| match scan {
                Ok(scan) => Ok(FoundFaces::new(
                    scan.faces.into_iter().map(FaceRecord::from).collect(),
                    scan.found,
                )),
                Err(e) => Err(CoreFaceError::model("a face model failed", e)),
            })
            .collect()
    }
}

/// How much larger than the detector's input the pipeline decodes for faces: the detector
/// sees the image shrunk to its input anyway, but the aligned 112 px crops are cut from the
/// decoded image, and a face 5% of a photo's width is still 112 px wide at twice 640.
const WORKING_SIDE_OVER_INPUT: u32 = 2;

impl From<Face> for FaceRecord {
    fn from(face: Face) -> Self {
        let d = face.detection;
        FaceRecord::new(d.bbox, d.score, d.landmarks, face.embedding)
    }
}
