//! immich's protocol answered as immich's server expects: the same vectors as the library's
//! pipeline gives for the same image and model, in each folder layout, batched when requests
//! come together; faces and OCR refused by name; names kept inside the models folder; the token.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use photon_core::{Pipeline, Record, Source};
use photon_models::{ModelOptions, load_model, load_text_tower};
use photon_testkit::testdata;
use std::path::Path;

async fn reference_image(dir: &Path, photo: &Path, runtime: &Path) -> Vec<f32> {
    let options = ModelOptions::default()
        .models_dir(runtime.to_owned())
        .tagging(false);
    let model = load_model(dir, &options).await.unwrap();
    let pipeline = Pipeline::builder()
        .decoder(photon_decode::default_decoder())
        .embedder(model.embedder)
        .build();
    match pipeline.process(Source::Path(photo.to_owned())).await {
        Record::Image(image) => image.embedding.unwrap(),
        Record::Error(e) => panic!("{e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_routes_answer_as_immichs() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let ping = call(&router, Request::get("/ping").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (ping.status, ping.body.as_slice()),
        (StatusCode::OK, b"pong".as_slice())
    );
    assert!(
        ping.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let root = call(&router, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(root.json(), serde_json::json!({ "message": "Immich ML" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_equal_the_pipelines_in_every_layout() {
    let models = models_folder();
    let options = options(models.path());
    let runtime = options.runtime_dir.clone().unwrap();
    let router = router(options).await;
    let photo = testdata().join("photos/chelsea.png");
    let bytes = std::fs::read(&photo).unwrap();
    for (name, dir) in [
        ("tiny", "clip/tiny"),
        ("tiny-clip", "tiny-clip"),
        ("efficientnet-lite0", "efficientnet-lite0"),
    ] {
        let answer = call(&router, visual(name, &bytes)).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.detail());
        let json = answer.json();
        assert_eq!(
            (json["imageWidth"].as_u64(), json["imageHeight"].as_u64()),
            (Some(451), Some(300))
        );
        let expected = reference_image(&models.path().join(dir), &photo, &runtime).await;
        let got = clip_vector(&json);
        assert!(
            cosine(&got, &expected) >= 0.9999,
            "{name}: {}",
            cosine(&got, &expected)
        );
    }
    for (name, dir) in [("tiny", "clip/tiny"), ("tiny-clip", "tiny-clip")] {
        let answer = call(&router, textual(name, "a photo of a cat")).await;
        assert_eq!(answer.status, StatusCode::OK, "{name}: {}", answer.detail());
        let options = ModelOptions::default().models_dir(runtime.clone());
        let tower = load_text_tower(&models.path().join(dir), &options)
            .await
            .unwrap();
        let expected = tower.embed(&["a photo of a cat"]).await.unwrap();
        assert!(
            cosine(&clip_vector(&answer.json()), &expected[0]) >= 0.9999,
            "{name}"
        );
        assert_eq!(
            answer.json().as_object().unwrap().len(),
            1,
            "textual answers hold `clip` only"
        );
    }
    let no_text_tower = call(&router, textual("efficientnet-lite0", "cat")).await;
    assert_eq!(
        no_text_tower.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_text_tower.detail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_come_together_share_model_calls_once_it_has_loaded() {
    let models = models_folder();
    // The model is not loaded: every request waits for the one load, none fails.
    // A batch waits up to a second to fill, longer than the decodes of the next images take
    // even on a loaded machine (the tiny model itself is instant).
    let options = options(models.path()).batch_wait(std::time::Duration::from_secs(1));
    let router = router(options).await;
    let photos = photon_testkit::files_in("photos");
    let requests = (0..24).map(|i| {
        let bytes = std::fs::read(&photos[i % photos.len()]).unwrap();
        let router = router.clone();
        tokio::spawn(async move { call(&router, visual("tiny-clip", &bytes)).await.status })
    });
    let texts = (0..24).map(|i| {
        let router = router.clone();
        tokio::spawn(async move {
            call(&router, textual("tiny-clip", &format!("photo number {i}")))
                .await
                .status
        })
    });
    for status in futures_util::future::join_all(requests.chain(texts)).await {
        assert_eq!(status.unwrap(), StatusCode::OK);
    }
    let metrics = call(
        &router,
        Request::get("/metrics").body(Body::empty()).unwrap(),
    )
    .await;
    let text = String::from_utf8(metrics.body).unwrap();
    let value = |name: &str| -> f64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let (images, calls) = (
        value("photon_batch_size_sum{tower=\"visual\"}"),
        value("photon_batch_size_count{tower=\"visual\"}"),
    );
    assert_eq!(images, 24.0);
    assert!(
        calls < 24.0,
        "24 requests in {calls} model calls: none batched"
    );
    let (texts, text_calls) = (
        value("photon_batch_size_sum{tower=\"textual\"}"),
        value("photon_batch_size_count{tower=\"textual\"}"),
    );
    assert_eq!(texts, 24.0);
    assert!(
        text_calls < 24.0,
        "24 texts in {text_calls} model calls: none batched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocr_is_refused_naming_the_task() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let image = std::fs::read(testdata().join("photos/chelsea.png")).unwrap();
    let ocr = r#"{"ocr":{"detection":{"modelName":"PP-OCRv5_mobile","options":{"minScore":0.5,"maxResolution":736}},"recognition":{"modelName":"PP-OCRv5_mobile","options":{"minScore":0.8}}}}"#;
    let answer = call(
        &router,
        predict(form(&[
            ("entries", None, ocr.as_bytes()),
            ("image", Some("b"), &image),
        ])),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.json()["task"], "ocr");
    assert!(
        answer.detail().contains("not supported by this server"),
        "{}",
        answer.detail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_names_never_leave_the_models_folder() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let image = std::fs::read(testdata().join("photos/chelsea.png")).unwrap();
    for name in [
        "../tiny-clip",
        "clip/../tiny-clip",
        "/etc",
        "..",
        ".",
        "tiny%2F..",
        "a\\\\b",
        ".hidden",
    ] {
        let answer = call(&router, visual(name, &image)).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{name}: {}",
            answer.detail()
        );
    }
    for name in ["escape", "ESCAPE", "immich-app/escape"] {
        let answer = call(&router, visual(name, &image)).await;
        assert!(answer.status.is_client_error(), "{name}");
        assert!(!answer.status.is_success(), "{name}");
    }
    assert_eq!(
        call(&router, visual("escape", &image)).await.status,
        StatusCode::BAD_REQUEST
    );
    let missing = call(&router, visual("ViT-B-32__openai", &image)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.detail().contains("ViT-B-32__openai"),
        "{}",
        missing.detail()
    );
    let prefixed = call(&router, visual("immich-app/tiny", &image)).await;
    assert_eq!(
        prefixed.status,
        StatusCode::OK,
        "immich's organisation prefix is stripped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_every_route_but_ping() {
    let models = models_folder();
    let router = router(options(models.path()).token(Some("s3cret-token".into()))).await;
    let get = |path: &str, auth: Option<&str>| {
        let mut request = Request::get(path);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(
        call(&router, get("/ping", None)).await.status,
        StatusCode::OK
    );
    for path in ["/", "/healthz", "/metrics", "/v1/openapi.json"] {
        for auth in [
            None,
            Some("Bearer wrong"),
            Some("Bearer s3cret-toke"),
            Some("s3cret-token"),
            Some("Basic s3cret-token"),
        ] {
            let answer = call(&router, get(path, auth)).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path} {auth:?}");
            assert_eq!(answer.headers["www-authenticate"], "Bearer");
            assert!(!String::from_utf8_lossy(&answer.body).contains("s3cret"));
        }
        let answer = call(&router, get(path, Some("Bearer s3cret-token"))).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
    }
    let image = std::fs::read(testdata().join("photos/chelsea.png")).unwrap();
    assert_eq!(
        call(&router, visual("tiny", &image)).await.status,
        StatusCode::UNAUTHORIZED
    );
}
