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

async fn record_answer(router: &axum::Router, query: &str, image: &[u8]) -> crate::support::Answer {
    let request = axum::http::Request::post(format!("/v1/records?{query}"))
        .body(axum::body::Body::from(image.to_vec()))
        .unwrap();
    call(router, request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_record_carries_the_faces_the_face_model_finds() {
    let models = models_folder();
    with_face_models(models.path());
    let router = router(options(models.path())).await;
    for (photo, min_score) in [
        ("exif/hopper_orientation_6.jpg", 0.9),
        ("photos/dog.jpg", 0.7),
    ] {
        let image = std::fs::read(testdata().join(photo)).unwrap();
        let query = format!("faces=buffalo_l&min_score={min_score}&name={photo}");
        let answer = record_answer(&router, &query, &image).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{photo}: {}",
            answer.detail()
        );
        let record = answer.json();
        // The rest of the record stands as without faces.
        assert_eq!(record["file_path"], photo);
        assert_eq!(record["embedding"].as_array().map(Vec::len), Some(1280));
        assert!(record["tags"].as_array().is_some_and(|t| !t.is_empty()));
        let (want, size) = expected(&image, min_score).await;
        assert_eq!(
            (record["width"].as_u64(), record["height"].as_u64()),
            (Some(size.0 as u64), Some(size.1 as u64))
        );
        let faces = record["faces"].as_array().expect("faces");
        let kept = |score: f32| score >= min_score + EDGE;
        let faces: Vec<&Value> = faces
            .iter()
            .filter(|f| kept(f["score"].as_f64().unwrap() as f32))
            .collect();
        let want: Vec<_> = want
            .faces
            .iter()
            .filter(|f| kept(f.detection.score))
            .collect();
        assert!(!want.is_empty(), "{photo}: no face to compare");
        assert_eq!(faces.len(), want.len(), "{photo}");
        for (face, want) in faces.iter().zip(want) {
            let got: Vec<f32> = face["box"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            for (got, want) in got.iter().zip(want.detection.bbox) {
                assert!(
                    (got - want).abs() < 0.05,
                    "{photo}: box {got} against {want}"
                );
            }
            assert_eq!(face["landmarks"].as_array().map(Vec::len), Some(5));
            let embedding: Vec<f32> = serde_json::from_value(face["embedding"].clone()).unwrap();
            assert!(
                cosine(&embedding, &want.embedding) > 0.999,
                "{photo}: embedding"
            );
        }
    }
    // Without `faces` the record has none; a face model that is not there, or a score out of
    // range, is refused before any work.
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let plain = record_answer(&router, "name=dog.jpg", &image).await.json();
    assert!(plain.get("faces").is_none_or(Value::is_null), "{plain}");
    let missing = record_answer(&router, "faces=antelopev2", &image).await;
    assert_eq!(
        missing.status,
        StatusCode::NOT_FOUND,
        "{}",
        missing.detail()
    );
    let out_of_range = record_answer(&router, "faces=buffalo_l&min_score=2", &image).await;
    assert_eq!(out_of_range.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        out_of_range.detail().contains("min_score"),
        "{}",
        out_of_range.detail()
    );
    // An image nothing reads is the decode stage's error record, faces asked or not.
    let broken = record_answer(&router, "faces=buffalo_l", b"not an image").await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        broken.json()["error"]["stage"],
        "decode",
        "{}",
        broken.detail()
    );
}
