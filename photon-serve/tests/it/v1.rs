//! Photon's own API: full records, text embeddings, search over records, and the OpenAPI
//! document kept in docs/ the same as the code's.

use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use photon_testkit::{root, testdata};
use serde_json::{Value, json};

fn post_json(path: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_gets_its_full_record_with_tags() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let bytes = std::fs::read(testdata().join("photos/chelsea.png")).unwrap();
    let request = Request::post("/v1/records?name=cats/chelsea.png")
        .body(Body::from(bytes.clone()))
        .unwrap();
    let answer = call(&router, request).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let record = answer.json();
    assert_eq!(record["file_path"], "cats/chelsea.png");
    assert_eq!(record["file_name"], "chelsea.png");
    assert_eq!(
        record["content_hash"],
        blake3::hash(&bytes).to_hex().as_str()
    );
    assert_eq!(
        (record["width"].as_u64(), record["height"].as_u64()),
        (Some(451), Some(300))
    );
    assert_eq!(record["exif"]["camera_make"], "PENTAX Corporation");
    assert_eq!(record["perceptual_hash"].as_str().map(str::len), Some(16));
    assert_eq!(record["embedding"].as_array().map(Vec::len), Some(1280));
    assert!(
        record["model"]["id"]
            .as_str()
            .unwrap()
            .starts_with("efficientnet-lite0@")
    );
    let tags = record["tags"].as_array().expect("tags");
    assert!(
        tags.iter()
            .any(|t| t["name"].as_str().unwrap_or_default().contains("cat")),
        "EfficientNet sees a cat in chelsea.png: {tags:?}"
    );
    // The same record as the library's pipeline with the same stages writes.
    let written = serde_json::to_value(
        photon_core::Pipeline::builder()
            .decoder(photon_decode::default_decoder())
            .jpeg_encoder(photon_decode::default_jpeg_encoder())
            .build()
            .process(photon_core::Source::Bytes {
                name: "x".into(),
                bytes,
            })
            .await,
    )
    .unwrap();
    for field in [
        "content_hash",
        "exif",
        "perceptual_hash",
        "thumbnail",
        "width",
        "height",
        "format",
    ] {
        assert_eq!(record[field], written[field], "{field}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_search_ranks_the_records_given_at_start() {
    let models = models_folder();
    let work = tempfile::tempdir().unwrap();
    // Records of the sample photos by the tiny CLIP model, through the server itself.
    let router = router(options(models.path())).await;
    let mut lines = String::new();
    for photo in photon_testkit::files_in("photos") {
        let bytes = std::fs::read(&photo).unwrap();
        let name = photo.file_name().unwrap().to_string_lossy().into_owned();
        let request = Request::post(format!("/v1/records?model=tiny-clip&name={name}"))
            .body(Body::from(bytes))
            .unwrap();
        let answer = call(&router, request).await;
        assert_eq!(answer.status, StatusCode::OK);
        lines.push_str(&String::from_utf8(answer.body).unwrap());
        lines.push('\n');
    }
    let records = work.path().join("records.jsonl");
    std::fs::write(&records, lines).unwrap();
    let router = crate::support::router(options(models.path()).index(Some(records.clone()))).await;

    let text = call(
        &router,
        post_json(
            "/v1/embed/text",
            json!({"model": "tiny-clip", "text": "a cat"}),
        ),
    )
    .await;
    assert_eq!(text.status, StatusCode::OK, "{}", text.detail());
    let query: Vec<f32> = serde_json::from_value(text.json()["embedding"].clone()).unwrap();
    let search = call(
        &router,
        post_json(
            "/v1/search/text",
            json!({"model": "tiny-clip", "text": "a cat", "top": 3}),
        ),
    )
    .await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.detail());
    let hits = search.json()["hits"].as_array().unwrap().clone();
    assert_eq!(hits.len(), 3);
    // The scores are the cosines of the query with the stored embeddings, best first.
    let stored: Vec<(String, Vec<f32>)> = std::fs::read_to_string(&records)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| {
            (
                r["file_path"].as_str().unwrap().to_owned(),
                serde_json::from_value(r["embedding"].clone()).unwrap(),
            )
        })
        .collect();
    let mut expected: Vec<(f32, &str)> = stored
        .iter()
        .map(|(p, v)| (cosine(&query, v), p.as_str()))
        .collect();
    expected.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (hit, (score, path)) in hits.iter().zip(&expected) {
        assert_eq!(hit["file_path"], *path);
        assert!((hit["score"].as_f64().unwrap() as f32 - score).abs() < 1e-4);
    }
    let image = std::fs::read(testdata().join("photos/coffee.png")).unwrap();
    let by_image = call(
        &router,
        Request::post("/v1/search/image?model=tiny-clip&top=1")
            .body(Body::from(image))
            .unwrap(),
    )
    .await;
    assert_eq!(
        by_image.json()["hits"][0]["file_path"],
        "coffee.png",
        "an image finds itself first"
    );
    // The same ranking through an HNSW index folder (`photon index build`'s).
    let index_dir = work.path().join("index");
    let read = photon_arrow::read_records(&records).unwrap();
    let (embeddings, _) =
        photon_index::Embeddings::from_records(read.filter_map(Result::ok), None).unwrap();
    photon_index::HnswIndex::build(&embeddings, &photon_index::HnswOptions::default())
        .unwrap()
        .save(&index_dir)
        .unwrap();
    let indexed = crate::support::router(options(models.path()).index(Some(index_dir))).await;
    let through_index = call(
        &indexed,
        post_json(
            "/v1/search/text",
            json!({"model": "tiny-clip", "text": "a cat", "top": 3}),
        ),
    )
    .await;
    assert_eq!(
        through_index.status,
        StatusCode::OK,
        "{}",
        through_index.detail()
    );
    let index_hits = through_index.json()["hits"].as_array().unwrap().clone();
    assert_eq!(index_hits.len(), 3);
    for hit in &index_hits {
        // Half-precision vectors: each score within 2e-3 of its image's exact cosine.
        let path = hit["file_path"].as_str().unwrap();
        let exact = expected.iter().find(|(_, p)| *p == path).unwrap().0;
        assert!(
            (hit["score"].as_f64().unwrap() as f32 - exact).abs() < 2e-3,
            "{path}"
        );
    }
    assert!(
        index_hits
            .windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64())
    );
    let other_model = call(
        &router,
        post_json("/v1/search/text", json!({"model": "tiny", "text": "a cat"})),
    )
    .await;
    assert_eq!(
        other_model.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "records of another model are refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_in_docs_is_the_codes() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let served = call(
        &router,
        Request::get("/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let document = served.json();
    for path in [
        "/v1/records",
        "/v1/embed/text",
        "/v1/search/text",
        "/v1/search/image",
        "/healthz",
        "/metrics",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path} documented");
    }
    let in_docs = std::fs::read_to_string(root().join("docs/openapi.json")).unwrap();
    assert_eq!(
        in_docs.trim_end(),
        photon_serve::openapi_json(),
        "docs/openapi.json is stale: `photon serve --openapi > docs/openapi.json`"
    );
}
