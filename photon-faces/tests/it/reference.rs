//! photon-faces against insightface's own code (scripts/faces_reference.py), on the test
//! photos and on copies turned by EXIF orientation 6 and 8, with SCRFD- and ArcFace-shaped
//! models of random weights (testdata/models/faces-tiny, scripts/make_face_models.py).
//!
//! Both sides see the same pixels: each image is decoded and turned upright here and handed to
//! the reference as PNG. The detector's input, the decoding of its raw outputs and the aligned
//! crops are compared step by step, each against what insightface computed.

use photon_core::{DecodeRequest, Decoder, ImageCrateDecoder, RgbImage, apply_orientation};
use photon_faces::{Detection, Letterbox, ScrfdLayout, norm_crop};
use photon_testkit::{python_env, root, testdata};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

#[derive(Deserialize)]
pub(crate) struct Reference {
    pub(crate) faces: Vec<ReferenceFace>,
    outputs: Vec<Vec<usize>>,
}

#[derive(Deserialize)]
pub(crate) struct ReferenceFace {
    pub(crate) bbox: [f32; 4],
    pub(crate) score: f32,
    pub(crate) landmarks: [[f32; 2]; 5],
    pub(crate) embedding: Vec<f32>,
}

/// The images compared: the test photos and two EXIF-rotated JPEGs.
fn sources() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(testdata().join("photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for name in ["hopper_orientation_6.jpg", "hopper_orientation_8.jpg"] {
        paths.push(testdata().join("exif").join(name));
    }
    paths
}

fn upright(path: &Path) -> RgbImage {
    let bytes = std::fs::read(path).unwrap();
    let decoded = ImageCrateDecoder
        .decode(&bytes, &DecodeRequest::default())
        .unwrap();
    let orientation = photon_core::read_orientation(&bytes).unwrap_or(1);
    apply_orientation(decoded.pixels, orientation)
}

/// The upright images (by stem) and the folder insightface's results are in, made once.
pub(crate) fn reference_run() -> &'static (tempfile::TempDir, Vec<(String, RgbImage)>) {
    static RUN: OnceLock<(tempfile::TempDir, Vec<(String, RgbImage)>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut images = Vec::new();
        let mut pngs = Vec::new();
        for path in sources() {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let image = upright(&path);
            let png = dir.path().join(format!("{stem}.png"));
            image.save(&png).unwrap();
            pngs.push(png);
            images.push((stem, image));
        }
        let run = Command::new(python_env("faces"))
            .arg(root().join("scripts/faces_reference.py"))
            .arg(testdata().join("models/faces-tiny"))
            .arg(dir.path().join("reference"))
            .args(&pngs)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "insightface's reference failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        (dir, images)
    })
}

fn reference_file(stem: &str, suffix: &str) -> PathBuf {
    reference_run()
        .0
        .path()
        .join("reference")
        .join(format!("{stem}{suffix}"))
}

fn floats(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

pub(crate) fn reference(stem: &str) -> Reference {
    serde_json::from_slice(&std::fs::read(reference_file(stem, ".json")).unwrap()).unwrap()
}

#[test]
fn the_detector_input_is_insightfaces_within_one_level() {
    let mut overall = 0.0f32;
    for (stem, image) in &reference_run().1 {
        let ours = Letterbox::fit(image.dimensions(), (640, 640)).tensor(image, 127.5, 128.0);
        let theirs = floats(&reference_file(stem, ".input.f32"));
        assert_eq!(ours.len(), theirs.len(), "{stem}");
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // One 8-bit level is 1/128 after normalising.
        assert!(worst <= 1.0 / 128.0 + 1e-6, "{stem}: off by {worst}");
        overall = overall.max(worst);
    }
    eprintln!("detector input: largest difference {overall} (1/128 is one level)");
}

/// |a - b| relative to b's magnitude (at least 1 pixel's worth of scale).
fn relative(a: f32, b: f32) -> f32 {
    (a - b).abs() / b.abs().max(1.0)
}

/// The largest relative difference between a detection's score, box and landmarks and
/// insightface's, failing `context` past 1e-3.
pub(crate) fn checked_difference(face: &Detection, want: &ReferenceFace, context: &str) -> f32 {
    let pairs = [(face.score, want.score)]
        .into_iter()
        .chain(face.bbox.into_iter().zip(want.bbox))
        .chain(
            face.landmarks
                .into_iter()
                .flatten()
                .zip(want.landmarks.into_iter().flatten()),
        );
    let mut largest = 0.0f32;
    for (a, b) in pairs {
        let off = relative(a, b);
        assert!(
            off <= 1e-3,
            "{context}: {a} against {b}: {face:?} against {:?}",
            want.bbox
        );
        largest = largest.max(off);
    }
    largest
}

#[test]
fn decoded_outputs_are_insightfaces_boxes_scores_and_landmarks() {
    let (mut compared, mut largest) = (0, 0.0f32);
    for (stem, image) in &reference_run().1 {
        let reference = reference(stem);
        let raw = floats(&reference_file(stem, ".outputs.f32"));
        let mut outputs: Vec<&[f32]> = Vec::new();
        let mut at = 0;
        for shape in &reference.outputs {
            let len: usize = shape.iter().product();
            outputs.push(&raw[at..at + len]);
            at += len;
        }
        let layout = ScrfdLayout::from_output_count(outputs.len()).unwrap();
        let letterbox = Letterbox::fit(image.dimensions(), (640, 640));
        let ours: Vec<Detection> = layout.decode(&outputs, &letterbox, 0.7, 0.4);
        assert_eq!(ours.len(), reference.faces.len(), "{stem}");
        for (face, want) in ours.iter().zip(&reference.faces) {
            largest = largest.max(checked_difference(face, want, stem));
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} faces compared");
    eprintln!("{compared} faces: largest relative difference {largest}");
}

#[test]
fn aligned_crops_are_insightfaces_within_one_level() {
    let (mut compared, mut overall, mut off_pixels) = (0, 0, 0);
    for (stem, image) in &reference_run().1 {
        let reference = reference(stem);
        let crops = std::fs::read(reference_file(stem, ".crops.rgb")).unwrap();
        for (face, want) in reference
            .faces
            .iter()
            .zip(crops.chunks_exact(112 * 112 * 3))
        {
            let ours = norm_crop(image, &face.landmarks, 112).unwrap();
            let worst = ours
                .as_raw()
                .iter()
                .zip(want)
                .map(|(a, b)| a.abs_diff(*b))
                .max()
                .unwrap();
            assert!(worst <= 1, "{stem}: a crop off by {worst} levels");
            overall = overall.max(worst);
            off_pixels += ours
                .as_raw()
                .iter()
                .zip(want)
                .filter(|(a, b)| a != b)
                .count();
            compared += 1;
        }
    }
    assert!(compared >= 20, "only {compared} crops compared");
    eprintln!(
        "{compared} crops: largest difference {overall} level(s), {off_pixels} values differ"
    );
}
