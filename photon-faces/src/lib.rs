//! Faces for Photon: the geometry between a face detector, a recognition model and the image.
//!
//! - [`Letterbox`]: the detector's input, the image fitted with its aspect kept and padded, as
//!   insightface's SCRFD code builds it (OpenCV's bilinear resize, in its fixed point).
//! - [`ScrfdLayout`]: an SCRFD export's outputs (scores, box and landmark distances per stride)
//!   decoded into [`Detection`]s above a score, mapped back to the image, overlaps suppressed
//!   ([`non_maximum_suppression`]); [`ScrfdLayout::check_outputs`] refuses a graph whose outputs
//!   are not SCRFD's, naming the output.
//! - [`norm_crop`]: a face aligned onto ArcFace's 112x112 template by the least-squares
//!   [`Similarity`], sampled as OpenCV's `warpAffine`; [`crops_tensor`] turns crops into the
//!   recognition model's input.
//! - [`FaceAnalysis`]: a [`FaceDetector`] and a [`FaceEmbedder`] (ONNX: [`ScrfdDetector`],
//!   [`ArcFaceEmbedder`]) together, photon-core's `FaceFinder` for the pipeline's face stage.
//! - [`People`]: faces grouped into people by embedding distance as immich groups them, and
//!   new faces placed among them without moving the rest; the faces searched through
//!   [`FaceNeighbours`]: [`ExactNeighbours`] for thousands, `FaceGraph` (feature `graph`, an
//!   HNSW graph kept on disk) for millions.
//!
//! Each follows insightface's `model_zoo/scrfd.py` and `utils/face_align.py`, which immich's
//! machine-learning service runs, so that boxes, landmarks and crops agree with theirs.
//!
//! ```
//! use photon_faces::{ARCFACE_TEMPLATE, Letterbox, norm_crop};
//! use photon_core::RgbImage;
//!
//! let photo = RgbImage::new(1280, 720);
//! let letterbox = Letterbox::fit(photo.dimensions(), (640, 640));
//! assert_eq!(letterbox.resized, (640, 360));
//! let input = letterbox.tensor(&photo, 127.5, 128.0);
//! assert_eq!(input.len(), 3 * 640 * 640);
//!
//! // Landmarks already on the template give the crop that starts at the image's corner.
//! let crop = norm_crop(&photo, &ARCFACE_TEMPLATE, 112).unwrap();
//! assert_eq!(crop.dimensions(), (112, 112));
//! ```
//!
//! Photon ships no face weights: insightface's pretrained packs (`buffalo_l`, `antelopev2`,
//! ...) are licensed for non-commercial research only.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod align;
mod analyze;
mod detection;
#[cfg(feature = "graph")]
mod graph;
mod letterbox;
mod models;
mod neighbours;
mod people;
#[cfg(feature = "graph")]
mod recall;
mod resize;
mod scrfd;

pub use align::{ARCFACE_SIZE, ARCFACE_TEMPLATE, Similarity, crops_tensor, norm_crop, warp_affine};
pub use analyze::{Face, FaceAnalysis, FaceOptions, FaceScan};
pub use detection::{Detection, non_maximum_suppression};
#[cfg(feature = "graph")]
pub use graph::{DEFAULT_WIDEST_SEARCH, FaceGraph, FaceGraphError, GraphNeighbours, SearchBreadth};
pub use letterbox::Letterbox;
pub use models::{
    ArcFaceEmbedder, FaceDetector, FaceEmbedder, FaceError, FaceModelError, ScrfdDetector,
};
pub use neighbours::{ExactNeighbours, FaceNeighbours};
pub use people::{People, PeopleOptions, SHORTLIST};
#[cfg(feature = "graph")]
pub use recall::RecallCount;
pub use scrfd::{LayoutError, ScrfdLayout};
