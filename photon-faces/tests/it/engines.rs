//! Detection, alignment and recognition end to end on both engines, against insightface's
//! results on the same pixels (see reference.rs): boxes, scores and landmarks within 1e-3
//! relative, embeddings within cosine 0.9999.

use crate::reference::{checked_difference, reference, reference_run};
use photon_backend_common::Engine;
use photon_faces::{ArcFaceEmbedder, FaceAnalysis, FaceOptions, ScrfdDetector};
use photon_ort::OrtOptions;
use photon_testkit::{onnxruntime, testdata};
use photon_tract::TractOptions;
use std::sync::Arc;

fn analysis(engine: &dyn Engine) -> FaceAnalysis {
    let dir = testdata().join("models/faces-tiny");
    let input = (640, 640);
    let detector = engine
        .graph(
            &dir.join("det_10g.onnx"),
            &ScrfdDetector::input_shape(input),
        )
        .unwrap();
    let recogniser = engine
        .graph(&dir.join("w600k_r50.onnx"), &ArcFaceEmbedder::input_shape())
        .unwrap();
    FaceAnalysis::new(
        Arc::new(ScrfdDetector::new(detector, input).unwrap()),
        Arc::new(ArcFaceEmbedder::new(recogniser).unwrap()),
        FaceOptions::default(),
    )
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))
}

fn compare(engine: &dyn Engine) {
    let analysis = analysis(engine);
    let (mut faces, mut largest, mut lowest_cosine) = (0, 0.0f32, 1.0f32);
    for (stem, image) in &reference_run().1 {
        let want = reference(stem).faces;
        let scan = analysis.scan(image).unwrap();
        assert_eq!(scan.faces.len(), want.len(), "{}: {stem}", engine.name());
        assert_eq!(scan.found, want.len());
        for (face, want) in scan.faces.iter().zip(&want) {
            let context = format!("{}: {stem}", engine.name());
            largest = largest.max(checked_difference(&face.detection, want, &context));
            let similarity = cosine(&face.embedding, &want.embedding);
            assert!(
                similarity >= 0.9999,
                "{}: {stem}: cosine {similarity}",
                engine.name()
            );
            lowest_cosine = lowest_cosine.min(similarity);
            faces += 1;
        }
    }
    assert!(faces >= 20, "only {faces} faces");
    eprintln!(
        "{}: {faces} faces, largest relative difference {largest}, lowest cosine {lowest_cosine}",
        engine.name()
    );
}

#[test]
fn onnx_runtime_finds_and_recognises_insightfaces_faces() {
    let mut options = OrtOptions::default();
    options.library = Some(onnxruntime());
    compare(&options);
}

#[test]
fn tract_finds_and_recognises_insightfaces_faces() {
    compare(&TractOptions::default());
}

#[test]
fn a_detector_without_scrfds_outputs_is_refused_naming_them() {
    // The recognition model has one output: not a detector.
    let graph = TractOptions::default()
        .graph(
            &testdata().join("models/faces-tiny/w600k_r50.onnx"),
            &ArcFaceEmbedder::input_shape(),
        )
        .unwrap();
    let error = ScrfdDetector::new(graph, (640, 640)).err().unwrap();
    assert!(error.to_string().contains("1 outputs"), "{error}");
}
