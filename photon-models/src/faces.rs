//! Face model folders: which file is the detector and which the recognition model, in the two
//! layouts they are published in, and the pair loaded onto an engine as photon-faces'
//! [`FaceAnalysis`].
//!
//! - immich's: `<name>/detection/model.onnx` and `<name>/recognition/model.onnx` (under
//!   immich's `facial-recognition/` cache folder).
//! - insightface's packs (`buffalo_l`, `buffalo_s`, `antelopev2`, ...): the `.onnx` files side by
//!   side, told apart by what their graphs declare, as insightface's own model zoo does: the
//!   detector has SCRFD's 9 (or 6 without landmarks) outputs, the recognition model takes
//!   `[n, 3, 112, 112]` and gives one `[n, d]`. The packs' other models (landmarks, gender and
//!   age) match neither and are left alone.

use crate::error::SetupError;
use crate::folder::GraphInterface;
use crate::options::ModelOptions;
use photon_faces::{ArcFaceEmbedder, FaceAnalysis, FaceOptions, ScrfdDetector};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a face model folder is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaceLayout {
    /// immich's `detection/model.onnx` and `recognition/model.onnx`.
    Immich,
    /// insightface's pack: the `.onnx` files side by side.
    InsightfacePack,
}

impl FaceLayout {
    /// The layout's name as `photon models show` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            FaceLayout::Immich => "immich facial-recognition",
            FaceLayout::InsightfacePack => "insightface pack",
        }
    }
}

/// A face model folder: its two graphs and what they declare.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FaceFolder {
    /// The folder's layout.
    pub layout: FaceLayout,
    /// The detector's file (SCRFD).
    pub detector: PathBuf,
    /// Whether the detector gives five landmarks (9 outputs, not 6): alignment needs them.
    pub landmarks: bool,
    /// The recognition model's file (ArcFace).
    pub recognizer: PathBuf,
    /// The recognition model's vector length, when its graph fixes it.
    pub dim: Option<u64>,
}

/// Why a folder is not a face model folder Photon reads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceFolderError {
    /// A file could not be read or is not an ONNX graph.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// No detector or no recognition model among the folder's graphs.
    #[error(
        "{} holds no face {missing}: a face model folder is immich's (detection/model.onnx and \
         recognition/model.onnx) or an insightface pack (an SCRFD detector such as det_10g.onnx \
         and an ArcFace model such as w600k_r50.onnx)",
        dir.display()
    )]
    Missing {
        /// The folder.
        dir: PathBuf,
        /// `detector` or `recognition model`.
        missing: &'static str,
    },
}

/// Reads the face model folder `dir`: which layout, which file is which.
pub fn describe_face_dir(dir: &Path) -> Result<FaceFolder, FaceFolderError> {
    let immich = (
        dir.join("detection/model.onnx"),
        dir.join("recognition/model.onnx"),
    );
    let (layout, candidates) = if immich.0.is_file() || immich.1.is_file() {
        (FaceLayout::Immich, vec![immich.0, immich.1])
    } else {
        (FaceLayout::InsightfacePack, onnx_files(dir)?)
    };
    let mut detector = None;
    let mut recognizer = None;
    for path in candidates.into_iter().filter(|p| p.is_file()) {
        let interface = interface(&path)?;
        if detector.is_none()
            && let Some(landmarks) = scrfd_landmarks(&interface)
        {
            detector = Some((path, landmarks));
        } else if recognizer.is_none()
            && let Some(dim) = arcface_dim(&interface)
        {
            recognizer = Some((path, dim));
        }
    }
    let missing = |missing| FaceFolderError::Missing {
        dir: dir.to_owned(),
        missing,
    };
    let (detector, landmarks) = detector.ok_or_else(|| missing("detector"))?;
    let (recognizer, dim) = recognizer.ok_or_else(|| missing("recognition model"))?;
    Ok(FaceFolder {
        layout,
        detector,
        landmarks,
        recognizer,
        dim,
    })
}

/// The `.onnx` files of a pack, in name order so that a pack with two detectors picks the same
/// one every time.
fn onnx_files(dir: &Path) -> Result<Vec<PathBuf>, FaceFolderError> {
    let unreadable = |e: std::io::Error| FaceFolderError::Unreadable {
        path: dir.to_owned(),
        reason: e.to_string(),
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "onnx"))
        .collect();
    files.sort();
    Ok(files)
}

fn interface(path: &Path) -> Result<GraphInterface, FaceFolderError> {
    let unreadable = |reason: String| FaceFolderError::Unreadable {
        path: path.to_owned(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    GraphInterface::parse(&bytes).map_err(unreadable)
}

/// `Some(with_landmarks)` for an SCRFD export: one image input, 6 or 9 outputs (scores and
/// boxes, and landmarks, for each of three strides); 10 or 15 outputs for five strides.
fn scrfd_landmarks(graph: &GraphInterface) -> Option<bool> {
    if graph.inputs.len() != 1 || graph.inputs[0].dims.len() != 4 {
        return None;
    }
    match graph.outputs.len() {
        9 | 15 => Some(true),
        6 | 10 => Some(false),
        _ => None,
    }
}

/// `Some(dim)` for an ArcFace-shaped model: `[n, 3, 112, 112]` in, one `[n, dim]` out.
fn arcface_dim(graph: &GraphInterface) -> Option<Option<u64>> {
    let [input] = graph.inputs.as_slice() else {
        return None;
    };
    let [output] = graph.outputs.as_slice() else {
        return None;
    };
    let open_or = |d: Option<u64>, want: u64| d.is_none_or(|d| d == want);
    let takes_crops = input.dims.len() == 4
        && open_or(input.dims[1], 3)
        && open_or(input.dims[2], 112)
        && open_or(input.dims[3], 112);
    (takes_crops && output.dims.len() == 2).then(|| output.last_dim())
}

/// Loads the face model folder `dir` onto the engine `options` choose (sessions, threads,
/// device, ONNX Runtime's library) as a [`FaceAnalysis`], the detector fed `input` (width,
/// height; multiples of 32, 640x640 as insightface and immich use it). On a blocking thread:
/// engines take a while to load.
pub async fn load_faces(
    dir: &Path,
    options: &ModelOptions,
    input: (u32, u32),
    faces: FaceOptions,
) -> Result<FaceAnalysis, SetupError> {
    let folder = describe_face_dir(dir).map_err(|e| SetupError::Model(e.into()))?;
    if !folder.landmarks {
        return Err(SetupError::Model(
            format!(
                "{} has no landmark outputs: faces cannot be aligned without them",
                folder.detector.display()
            )
            .into(),
        ));
    }
    let engine = options.engine()?;
    let load = move || -> Result<FaceAnalysis, SetupError> {
        let detector = engine
            .graph(&folder.detector, &ScrfdDetector::input_shape(input))
            .map_err(SetupError::engine)?;
        let detector = ScrfdDetector::new(detector, input).map_err(SetupError::engine)?;
        let recognizer = engine
            .graph(&folder.recognizer, &ArcFaceEmbedder::input_shape())
            .map_err(SetupError::engine)?;
        let recognizer = ArcFaceEmbedder::new(recognizer).map_err(SetupError::engine)?;
        Ok(FaceAnalysis::new(
            Arc::new(detector),
            Arc::new(recognizer),
            faces,
        ))
    };
    tokio::task::spawn_blocking(load)
        .await
        .map_err(SetupError::engine)?
}
