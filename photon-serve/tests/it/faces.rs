//! immich's facial-recognition request: answered with the faces photon-faces finds on the
//! upright image (itself checked against insightface in photon-faces' tests), boxes rounded
//! as immich's service rounds them, `minScore` honoured, and faces with CLIP in one request.

use crate::support::{call, clip_vector, form, models_folder, options, predict, router};
use axum::http::StatusCode;
use photon_core::{DecodeRequest, Decoder, apply_orientation};
use photon_faces::{FaceOptions, FaceScan};
use photon_models::{ModelOptions, load_faces};
use photon_testkit::{copy_dir, immich_face_models, models as installed_models, testdata};
use serde_json::Value;
use std::path::Path;

/// The test face models in immich's layout (`facial-recognition/buffalo_l`) and as a pack.
fn with_face_models(models: &Path) {
    immich_face_models(models);
    copy_dir(&testdata().join("models/faces-tiny"), &models.join("pack"));
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
    // The server's decoder: JPEG decoders differ by a level here and there, which moves a
    // random-weight detector's scores.
    let decoded = photon_decode::default_decoder()
        .decode(bytes, &DecodeRequest::default())
        .unwrap();
    let orientation = match decoded.upright {
        true => 1,
        false => photon_core::read_orientation(bytes).unwrap_or(1),
    };
    let image = apply_orientation(decoded.pixels, orientation);
    (analysis.scan(&image).unwrap(), image.dimensions())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))
}

/// Scores this close to the threshold may fall either side of it between two runs of the
/// models with other thread counts; those faces are left out of the comparison.
const EDGE: f32 = 1e-3;

fn check(answer: &Value, want: &FaceScan, min_score: f32, size: (u32, u32), context: &str) {
    assert_eq!(answer["imageWidth"], size.0, "{context}");
    assert_eq!(answer["imageHeight"], size.1, "{context}");
    let score = |face: &&Value| face["score"].as_f64().unwrap() as f32;
    let faces = answer["facial-recognition"].as_array().expect("a list");
    assert!(faces.iter().all(|f| score(&f) >= min_score), "{context}");
    let faces: Vec<&Value> = faces
        .iter()
        .filter(|f| score(f) >= min_score + EDGE)
        .collect();
    let want: Vec<_> = want
        .faces
        .iter()
        .filter(|f| f.detection.score >= min_score + EDGE)
        .collect();
    assert_eq!(faces.len(), want.len(), "{context}");
    for (face, want) in faces.iter().zip(want) {
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
            check(
                &answer,
                &want,
                min_score,
                size,
                &format!("{photo} at {min_score}"),
            );
        }
    }
    // insightface's pack layout, named as a folder of the models folder.
    let image = std::fs::read(testdata().join("photos/astronaut.png")).unwrap();
    let (want, size) = expected(&image, 0.7).await;
    let answer = faces_answer(&router, &faces_entries("pack", 0.7), &image).await;
    check(&answer, &want, 0.7, size, "pack layout");
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
    check(&answer, &want, 0.7, size, "with clip");
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
