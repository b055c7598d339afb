//! Bad input and overload: each gets a 4xx (or a 503 with Retry-After) with a message, and the
//! next good request is answered.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use futures_util::StreamExt;
use photon_testkit::{files_in, testdata};
use std::time::Duration;

async fn good_request_still_works(router: &Router) {
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let answer = call(router, visual("tiny", &image)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.detail());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_image_is_a_4xx_and_the_server_goes_on() {
    let models = models_folder();
    let router = router(options(models.path())).await;
    let hostile = files_in("hostile");
    assert!(hostile.len() >= 8, "the hostile corpus: {hostile:?}");
    for file in hostile {
        let bytes = std::fs::read(&file).unwrap();
        for request in [visual("tiny", &bytes), {
            Request::post("/v1/records?model=tiny-clip")
                .body(Body::from(bytes.clone()))
                .unwrap()
        }] {
            let answer = call(&router, request).await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}",
                file.display()
            );
            let json = answer.json();
            let stage = json["stage"].as_str().or(json["error"]["stage"].as_str());
            assert!(
                matches!(stage, Some("read" | "decode")),
                "{}: {json}",
                file.display()
            );
        }
        good_request_still_works(&router).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_4xx_with_a_message() {
    let models = models_folder();
    let router = router(options(models.path()).max_body_bytes(1 << 20)).await;
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let entries = br#"{"clip":{"visual":{"modelName":"tiny"}}}"#.as_slice();
    let whole = form(&[("entries", None, entries), ("image", Some("b"), &image)]);
    let huge_entries = vec![b' '; 100 << 10];
    let huge_image = vec![0u8; 2 << 20];
    let cases: Vec<(&str, Request<Body>, StatusCode)> = vec![
        (
            "entries not JSON",
            predict(form(&[("entries", None, b"{clip"), ("text", None, b"x")])),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "entries missing",
            predict(form(&[("image", Some("b"), &image)])),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "neither image nor text",
            predict(form(&[("entries", None, entries)])),
            StatusCode::BAD_REQUEST,
        ),
        (
            "visual with text only",
            predict(form(&[("entries", None, entries), ("text", None, b"cat")])),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown field",
            predict(form(&[
                ("entries", None, entries),
                ("image", Some("b"), &image),
                ("extra", None, b"1"),
            ])),
            StatusCode::BAD_REQUEST,
        ),
        (
            "field twice",
            predict(form(&[
                ("entries", None, entries),
                ("entries", None, entries),
                ("image", Some("b"), &image),
            ])),
            StatusCode::BAD_REQUEST,
        ),
        (
            "huge entries",
            predict(form(&[
                ("entries", None, &huge_entries),
                ("text", None, b"x"),
            ])),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "body over the limit",
            predict(form(&[
                ("entries", None, entries),
                ("image", Some("b"), &huge_image),
            ])),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "cut short",
            predict(whole[..whole.len() / 2].to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no closing boundary",
            predict(whole[..whole.len() - 4].to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "JSON instead of a form",
            Request::post("/predict")
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "no content type",
            Request::post("/predict")
                .body(Body::from(whole.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "GET /predict",
            Request::get("/predict").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            "unknown route",
            Request::get("/v2/anything").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
        ),
        (
            "text request not JSON",
            Request::post("/v1/embed/text")
                .header("content-type", "application/json")
                .body(Body::from("{"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "text request as text/plain",
            Request::post("/v1/embed/text")
                .header("content-type", "text/plain")
                .body(Body::from("a cat"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "record body over the limit",
            Request::post("/v1/records")
                .body(Body::from(huge_image.clone()))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "a query string that does not parse",
            Request::post("/v1/search/image?top=many")
                .body(Body::from(image.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, request, expected) in cases {
        let answer = call(&router, request).await;
        assert_eq!(
            answer.status,
            expected,
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert!(!answer.detail().is_empty(), "{what}: no JSON message");
        good_request_still_works(&router).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_queue_limit_answers_503_then_recovers() {
    let models = models_folder();
    // Each request holds its place for at least the batch wait, so 16 at once overflow 2.
    let options = options(models.path())
        .max_queue(2)
        .batch_wait(Duration::from_millis(300));
    let router = router(options).await;
    good_request_still_works(&router).await;
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let requests = (0..16).map(|_| {
        let (router, image) = (router.clone(), image.clone());
        tokio::spawn(async move { call(&router, visual("tiny-clip", &image)).await })
    });
    let answers: Vec<Answer> = futures_util::future::join_all(requests)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let busy: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let ok = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    assert!(
        !busy.is_empty() && ok >= 1 && ok + busy.len() == 16,
        "ok {ok}, busy {}",
        busy.len()
    );
    for answer in busy {
        assert_eq!(answer.headers["retry-after"], "1");
        assert!(answer.detail().contains("queue"), "{}", answer.detail());
    }
    good_request_still_works(&router).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_sending_gets_408_and_holds_no_place() {
    let models = models_folder();
    let options = options(models.path())
        .request_timeout(Duration::from_millis(800))
        .max_queue(1);
    let router = router(options).await;
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let entries = br#"{"clip":{"visual":{"modelName":"tiny"}}}"#.as_slice();
    let whole = form(&[("entries", None, entries), ("image", Some("b"), &image)]);
    // Half the form, then nothing: the stream never ends.
    let half = axum::body::Bytes::from(whole[..whole.len() / 2].to_vec());
    let stalled = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) })
        .chain(futures_util::stream::pending());
    let request = Request::post("/predict")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from_stream(stalled))
        .unwrap();
    let started = std::time::Instant::now();
    let answer = call(&router, request).await;
    assert_eq!(
        answer.status,
        StatusCode::REQUEST_TIMEOUT,
        "{}",
        answer.detail()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // With one place in the queue, the next request gets it: the stalled one never held it.
    good_request_still_works(&router).await;
}
