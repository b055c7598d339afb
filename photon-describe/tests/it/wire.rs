//! Each provider's request as its API reference documents it, checked at the server: method,
//! path, headers (the key in its header only), body shape, the image (a JPEG of the bounded size
//! with no EXIF unless asked); and the documented answers read back with their usage counts.

use crate::server::{KEY, Reply, Seen, TestServer, anthropic_answer, describer, openai_answer};
use base64::Engine;
use photon_core::{DescribeOptions, Pipeline, Record};
use photon_describe::{DescriberOptions, Provider};
use std::time::Duration;

/// eagle.jpg (773x512) with gps_paris.jpg's EXIF block (GPS 48.858, 2.2945) put first.
fn photo_with_gps(dir: &std::path::Path) -> std::path::PathBuf {
    let eagle = photon_testkit::fixture("photos", "eagle.jpg");
    let gps = photon_testkit::fixture("exif", "gps_paris.jpg");
    let app1 = segments(&gps)
        .into_iter()
        .find(|(marker, _)| *marker == 0xE1)
        .map(|(_, segment)| segment)
        .unwrap();
    let mut spliced = eagle[..2].to_vec();
    spliced.extend_from_slice(&app1);
    spliced.extend_from_slice(&eagle[2..]);
    let path = dir.join("eagle_gps.jpg");
    std::fs::write(&path, spliced).unwrap();
    path
}

/// A JPEG's marker segments before the scan, each with its marker and its bytes.
fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG");
    let mut found = Vec::new();
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        found.push((marker, jpeg[at..at + 2 + len].to_vec()));
        if marker == 0xDA {
            break;
        }
        at += 2 + len;
    }
    found
}

/// The JPEG a request carried, checked: decodable, no APP1 (EXIF/XMP) segment, its size.
fn sent_image(base64_jpeg: &str) -> (u32, u32) {
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(base64_jpeg)
        .unwrap();
    let markers: Vec<u8> = segments(&jpeg).iter().map(|(m, _)| *m).collect();
    assert!(
        !markers.contains(&0xE1),
        "no EXIF or XMP segment: {markers:x?}"
    );
    let image = image::load_from_memory(&jpeg).unwrap();
    (image.width(), image.height())
}

/// Neither the URL nor the body holds the key; the one header that should, does.
fn key_only_in(seen: &Seen, header: &str, expected: &str) {
    assert!(!seen.uri.contains(KEY));
    assert!(!String::from_utf8_lossy(&seen.body).contains(KEY));
    assert_eq!(seen.header(header), Some(expected));
    let elsewhere = seen
        .headers
        .iter()
        .filter(|(name, _)| name.as_str() != header)
        .any(|(_, value)| value.to_str().unwrap_or_default().contains(KEY));
    assert!(!elsewhere, "the key in another header: {:?}", seen.headers);
}

async fn described(pipeline: &Pipeline, path: &std::path::Path) -> photon_core::ImageRecord {
    match pipeline.process(path).await {
        Record::Image(image) => *image,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_chat_completions_as_documented() {
    let server = TestServer::start(Duration::ZERO, |_| {
        Reply::json(200, &openai_answer(" An eagle in flight. "))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = photo_with_gps(dir.path());
    let options = DescriberOptions::new(Provider::OpenAi)
        .prompt("What is this?")
        .max_tokens(77);
    let pipeline = Pipeline::builder()
        .describer(
            describer(&server, options),
            DescribeOptions::default().max_side(320),
        )
        .build();
    let record = described(&pipeline, &photo).await;

    let description = record.description.expect("described");
    assert_eq!(description.text, "An eagle in flight.");
    assert_eq!(
        (description.provider.as_str(), description.model.as_str()),
        ("openai", "test-vlm")
    );
    assert_eq!(
        description.prompt_hash,
        photon_core::prompt_hash("What is this?")
    );
    assert_eq!(
        (description.input_tokens, description.output_tokens),
        (Some(812), Some(9))
    );
    assert_eq!(record.width, 773, "the record keeps the photo's own size");

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.uri.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    key_only_in(request, "authorization", &format!("Bearer {KEY}"));
    let body = request.json();
    assert_eq!(body["model"], "test-vlm");
    assert_eq!(
        body["max_tokens"], 77,
        "a compatible server gets max_tokens: {body}"
    );
    let message = &body["messages"][0];
    assert_eq!(message["role"], "user");
    assert_eq!(
        message["content"][0],
        serde_json::json!({"type": "text", "text": "What is this?"})
    );
    assert_eq!(message["content"][1]["type"], "image_url");
    let url = message["content"][1]["image_url"]["url"].as_str().unwrap();
    let jpeg = url
        .strip_prefix("data:image/jpeg;base64,")
        .expect("a data URL");
    assert_eq!(
        sent_image(jpeg),
        (320, 212),
        "longest side bounded, aspect kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_messages_as_documented() {
    let server = TestServer::start(Duration::ZERO, |_| {
        Reply::json(200, &anthropic_answer("An eagle."))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = photo_with_gps(dir.path());
    let options = DescriberOptions::new(Provider::Anthropic).max_tokens(64);
    let pipeline = Pipeline::builder()
        .describer(describer(&server, options), DescribeOptions::default())
        .build();
    let record = described(&pipeline, &photo).await;

    let description = record.description.expect("described");
    assert_eq!(
        (description.text.as_str(), description.provider.as_str()),
        ("An eagle.", "anthropic")
    );
    assert_eq!(
        (description.input_tokens, description.output_tokens),
        (Some(1130), Some(11))
    );

    let seen = server.seen();
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.uri.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    key_only_in(request, "x-api-key", KEY);
    let body = request.json();
    assert_eq!(
        (body["model"].as_str(), body["max_tokens"].as_u64()),
        (Some("test-vlm"), Some(64))
    );
    let content = &body["messages"][0]["content"];
    assert_eq!(content[0]["type"], "image");
    let source = &content[0]["source"];
    assert_eq!(
        (source["type"].as_str(), source["media_type"].as_str()),
        (Some("base64"), Some("image/jpeg"))
    );
    assert_eq!(
        sent_image(source["data"].as_str().unwrap()),
        (768, 509),
        "the default bound: 768"
    );
    assert_eq!(content[1]["type"], "text");
    let prompt = content[1]["text"].as_str().unwrap();
    assert_eq!(prompt, photon_describe::DEFAULT_PROMPT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_goes_to_the_provider_only_when_asked_and_then_as_words() {
    let server = TestServer::start(Duration::ZERO, |_| {
        Reply::json(200, &openai_answer("Paris."))
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let photo = photo_with_gps(dir.path());
    for send_exif in [false, true] {
        let options = DescriberOptions::new(Provider::OpenAi).prompt("Where?");
        let stage = DescribeOptions::default().send_exif(send_exif);
        let pipeline = Pipeline::builder()
            .describer(describer(&server, options), stage)
            .build();
        let record = described(&pipeline, &photo).await;
        assert_eq!(
            record
                .exif
                .as_ref()
                .and_then(|e| e.gps_latitude)
                .map(|l| l.round()),
            Some(49.0)
        );
        let request = server.seen().pop().unwrap();
        let body = request.json();
        let prompt = body["messages"][0]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        let url = body["messages"][0]["content"][1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .to_owned();
        sent_image(url.strip_prefix("data:image/jpeg;base64,").unwrap());
        match send_exif {
            false => assert_eq!(prompt, "Where?"),
            true => {
                assert!(
                    prompt.starts_with("Where?\n\nThe photo's metadata: "),
                    "{prompt}"
                );
                assert!(prompt.contains("GPS 48.85822, 2.29450"), "{prompt}");
                assert!(prompt.contains("taken 2024"), "{prompt}");
            }
        }
        let text = String::from_utf8_lossy(&request.body).into_owned();
        assert_eq!(
            text.contains("48.858"),
            send_exif,
            "GPS in the request only when asked"
        );
    }
}
