//! immich's facial-recognition request: answered with the faces photon-faces finds on the
//! upright image (itself checked against insightface in photon-faces' tests), boxes rounded
//! as immich's service rounds them, `minScore` honoured, and faces with CLIP in one request.

use crate::support::{call, clip_vector, form, models_folder, options, predict, router};
use axum::http::StatusCode;
use photon_core::{DecodeRequest, Decoder, ImageCrateDecoder, apply_orientation};
use photon_faces::{FaceOptions, FaceScan};
use photon_models::{ModelOptions, load_faces};
use photon_testkit::{copy_dir, models as installed_models, testdata};
use serde_json::Value;
use std::path::Path;

/// The test face models in immich's layout, as `facial-recognition/buffalo_l`.
fn with_face_models(models: &Path) {
    let pack = testdata().join("models/faces-tiny");
    let folder = models.join("facial-recognition/buffalo_l");
    for (file, part) in [
        ("det_10g.onnx", "detection"),
        ("w600k_r50.onnx", "recognition"),
    ] {
        std::fs::create_dir_all(folder.join(part)).unwrap();
        std::fs::copy(pack.join(file), folder.join(part).join("model.onnx")).unwrap();
    }
    copy_dir(&pack, &models.join("pack"));
}

fn faces_entries(model: &str, min_score: f32) -> String {
    format!(
        r#"{{"facial-recognition":{{"detection":{{"modelName":"{model}","options":{{"minScore":{min_score}}}}},"recognition":{{"modelName":"{model}"}}}}}}"#
    )
}

/// What photon-faces finds on the image turned upright here.
async fn expected(bytes: &[u8], min_score: f32) -> (FaceScan, (u32, u32)) {
    let options = ModelOptions::default().models_dir(installed_models());
    let faces = FaceOptions::default().min_score(min_score);
    let analysis = load_faces(
        &testdata().join("models/faces-tiny"),
        &options,
        (640, 640),
        faces,
    )
    .await
    .unwrap();
    let decoded = ImageCrateDecoder
        .decode(bytes, &DecodeRequest::default())
        .unwrap();
    let orientation = photon_core::read_orientation(bytes).unwrap_or(1);
    let image = apply_orientation(decoded.pixels, orientation);
    (analysis.scan(&image).unwrap(), image.dimensions())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))
}

fn check(answer: &Value, want: &FaceScan, size: (u32, u32), context: &str) {
    assert_eq!(answer["imageWidth"], size.0, "{context}");
    assert_eq!(answer["imageHeight"], size.1, "{context}");
    let faces = answer["facial-recognition"].as_array().expect("a list");
    assert_eq!(faces.len(), want.faces.len(), "{context}");
    for (face, want) in faces.iter().zip(&want.faces) {
        let b = &face["boundingBox"];
        let got = [&b["x1"], &b["y1"], &b["x2"], &b["y2"]].map(|v| v.as_f64().unwrap() as f32);
        for (got, want) in got.iter().zip(want.detection.bbox) {
            assert_eq!(got.fract(), 0.0, "{context}: boxes are whole pixels");
            assert!((got - want).abs() <= 1.0, "{context}: {got} against {want}");
        }
        let score = face["score"].as_f64().unwrap() as f32;
        assert!((score - want.detection.score).abs() < 1e-3, "{context}");
        let embedding: Vec<f32> =
            serde_json::from_str(face["embedding"].as_str().expect("a JSON string")).unwrap();
        assert!(
            cosine(&embedding, &want.embedding) > 0.999,
            "{context}: embedding"
        );
    }
}

async fn faces_answer(router: &axum::Router, entries: &str, image: &[u8]) -> Value {
    let answer = call(
        router,
        predict(form(&[
            ("entries", None, entries.as_bytes()),
            ("image", Some("blob"), image),
        ])),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.detail());
    answer.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faces_are_photon_faces_on_the_upright_image_at_the_score_asked() {
    let models = models_folder();
    with_face_models(models.path());
    let router = router(options(models.path())).await;
    let photos = [
        "exif/hopper_orientation_6.jpg",
        "photos/astronaut.png",
        "photos/dog.jpg",
    ];
    for photo in photos {
        let image = std::fs::read(testdata().join(photo)).unwrap();
        for min_score in [0.7, 0.9] {
            let (want, size) = expected(&image, min_score).await;
            assert!(!want.faces.is_empty(), "{photo}: no face to compare");
            let answer =
                faces_answer(&router, &faces_entries("buffalo_l", min_score), &image).await;
            check(&answer, &want, size, &format!("{photo} at {min_score}"));
        }
    }
    // insightface's pack layout, named as a folder of the models folder.
    let image = std::fs::read(testdata().join("photos/astronaut.png")).unwrap();
    let (want, size) = expected(&image, 0.7).await;
    let answer = faces_answer(&router, &faces_entries("pack", 0.7), &image).await;
    check(&answer, &want, size, "pack layout");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faces_and_clip_in_one_request_answer_both() {
    let models = models_folder();
    with_face_models(models.path());
    let router = router(options(models.path())).await;
    let image = std::fs::read(testdata().join("photos/astronaut.png")).unwrap();
    let entries = r#"{"clip":{"visual":{"modelName":"tiny"}},"facial-recognition":{"detection":{"modelName":"buffalo_l"},"recognition":{"modelName":"buffalo_l"}}}"#;
    let answer = faces_answer(&router, entries, &image).await;
    assert!(!clip_vector(&answer).is_empty());
    let (want, size) = expected(&image, 0.7).await;
    check(&answer, &want, size, "with clip");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_face_model_or_an_undecodable_image_is_a_clear_error() {
    let models = models_folder();
    with_face_models(models.path());
    let router = router(options(models.path())).await;
    let image = std::fs::read(testdata().join("photos/astronaut.png")).unwrap();
    let missing = call(
        &router,
        predict(form(&[
            ("entries", None, faces_entries("antelopev2", 0.7).as_bytes()),
            ("image", Some("b"), &image),
        ])),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.detail().contains("facial-recognition/antelopev2"),
        "{}",
        missing.detail()
    );
    // A CLIP folder is no face model: refused at load, naming what is missing.
    let clip = call(
        &router,
        predict(form(&[
            ("entries", None, faces_entries("tiny-clip", 0.7).as_bytes()),
            ("image", Some("b"), &image),
        ])),
    )
    .await;
    assert_eq!(clip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        clip.detail().contains("no face detector"),
        "{}",
        clip.detail()
    );
    let broken = call(
        &router,
        predict(form(&[
            ("entries", None, faces_entries("buffalo_l", 0.7).as_bytes()),
            ("image", Some("b"), b"not an image"),
        ])),
    )
    .await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
}
