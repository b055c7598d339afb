//! A server over a temporary models folder, requests built as immich's server builds them, and
//! their answers read back.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use photon_serve::{ServeOptions, Server};
use photon_testkit::{copy_dir, models as installed_models, onnxruntime, testdata};
use serde_json::Value;
use std::path::Path;
use tower::ServiceExt;

pub const BOUNDARY: &str = "photon-test-boundary";

/// A models folder: `clip/tiny` (immich's layout), `tiny-clip` (Hugging Face's),
/// `efficientnet-lite0` (Photon's, no text tower), and two symlinks that lead outside it.
pub fn models_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &testdata().join("models/immich-clip"),
        &dir.path().join("clip/tiny"),
    );
    copy_dir(
        &testdata().join("models/tiny-clip"),
        &dir.path().join("tiny-clip"),
    );
    copy_dir(
        &installed_models().join("efficientnet-lite0"),
        &dir.path().join("efficientnet-lite0"),
    );
    let outside = testdata().join("models/immich-clip");
    std::os::unix::fs::symlink(&outside, dir.path().join("escape")).unwrap();
    std::os::unix::fs::symlink(&outside, dir.path().join("clip/escape")).unwrap();
    dir
}

/// The options every test starts from: the folder above, ONNX Runtime from the installed
/// models.
pub fn options(models: &Path) -> ServeOptions {
    // Fails loudly when `photon models fetch` has not installed ONNX Runtime there.
    onnxruntime();
    ServeOptions::new(models)
        .runtime_dir(Some(installed_models()))
        .default_model(Some("efficientnet-lite0".into()))
}

pub async fn router(options: ServeOptions) -> Router {
    Server::new(options).await.unwrap().router()
}

/// A multipart form of `(name, filename, bytes)` fields, as `FormData` encodes it.
pub fn form(fields: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match filename {
            Some(file) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// immich's visual request for `model` on `image`.
pub fn visual(model: &str, image: &[u8]) -> Request<Body> {
    let entries = format!(r#"{{"clip":{{"visual":{{"modelName":"{model}"}}}}}}"#);
    predict(form(&[
        ("entries", None, entries.as_bytes()),
        ("image", Some("blob"), image),
    ]))
}

/// immich's textual request for `model` on `text`.
pub fn textual(model: &str, text: &str) -> Request<Body> {
    let entries = format!(
        r#"{{"clip":{{"textual":{{"modelName":"{model}","options":{{"language":"en"}}}}}}}}"#
    );
    predict(form(&[
        ("entries", None, entries.as_bytes()),
        ("text", None, text.as_bytes()),
    ]))
}

pub fn predict(body: Vec<u8>) -> Request<Body> {
    Request::post("/predict")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap()
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn detail(&self) -> String {
        self.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

pub async fn call(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// The vector inside immich's answer, whose `clip` is a JSON string of the array.
pub fn clip_vector(answer: &Value) -> Vec<f32> {
    let text = answer["clip"].as_str().expect("clip is a string");
    serde_json::from_str(text).unwrap()
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}
