//! `photon process --describe`, run as a user runs it against a server on loopback: records
//! with their descriptions in JSON Lines and Parquet, the key in the one header that carries
//! it and nowhere else (records, output, errors, the request's body or URL), resume leaving
//! what the same describer already described, the request budget's summary line, and
//! `photon search --in descriptions`.

use photon_testkit::{VlmServer, ok, testdata};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const KEY: &str = "sk-cli-0123456789abcdef-SECRET";
/// A cloud key in the environment, which a local server's preset must never send.
const ENV_KEY: &str = "sk-env-fedcba9876543210-CLOUD";
const SAID: &str = "Two kids build a \"sandcastle\" on a beach at dusk.";

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("OPENAI_API_KEY", ENV_KEY)
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap()
}

/// `photon process` over the test photos into `out`, describing through `server`.
fn describe(server: &VlmServer, key_file: &Path, out: &Path, extra: &[&str]) -> Output {
    let photos = testdata().join("photos");
    let mut args = vec![
        "process",
        photos.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--no-embedding",
        "--describe",
        "llama-server",
        "--describe-url",
        &server.url,
        "--describe-model",
        "fake-vlm",
        "--api-key-file",
        key_file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    photon(&args)
}

pub(super) fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn assert_no_key(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for secret in [KEY, &KEY[..12], ENV_KEY, &ENV_KEY[..12]] {
        assert!(!text.contains(secret), "{what} holds a key");
    }
}

#[test]
fn descriptions_are_recorded_the_key_stays_in_its_header_and_resume_keeps_them() {
    let server = VlmServer::start(SAID, Duration::ZERO);
    let work = tempfile::tempdir().unwrap();
    let key_file = work.path().join("key");
    std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
    let out = work.path().join("records.jsonl");

    let run = describe(&server, &key_file, &out, &["--describe-parallel", "2"]);
    ok(&run);
    let records = lines(&out);
    assert_eq!(records.len(), 7);
    let prompt_hash = photon_core::prompt_hash(photon_describe::DEFAULT_PROMPT);
    for record in &records {
        let d = &record["description"];
        assert_eq!(d["text"], SAID, "{record}");
        assert_eq!(
            (d["provider"].as_str(), d["model"].as_str()),
            (Some("openai"), Some("fake-vlm"))
        );
        assert_eq!(d["prompt_hash"], prompt_hash.as_str());
        assert_eq!(
            (d["input_tokens"].as_u64(), d["output_tokens"].as_u64()),
            (Some(800), Some(12))
        );
    }
    assert_eq!(server.requests(), 7);
    assert!(server.max_in_flight() <= 2);
    for request in server.received() {
        let text = String::from_utf8_lossy(&request);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("POST /v1/chat/completions HTTP/1.1"),
            "{head}"
        );
        assert!(head.to_ascii_lowercase().contains(&format!(
            "authorization: bearer {}",
            KEY.to_ascii_lowercase()
        )));
        assert_no_key("a request body", body.as_bytes());
        assert!(
            !head.contains(ENV_KEY),
            "the environment's cloud key went to a local server"
        );
    }
    for (what, bytes) in [
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
        ("the records", std::fs::read(&out).unwrap()),
    ] {
        assert_no_key(what, &bytes);
    }

    // Resumed with the same describer: nothing is sent again.
    let again = describe(&server, &key_file, &out, &["--skip-existing"]);
    ok(&again);
    assert_eq!(
        server.requests(),
        7,
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("7 images already described"));
    // Another prompt describes them all again.
    let other = describe(
        &server,
        &key_file,
        &out,
        &["--skip-existing", "--describe-prompt", "Say what you see."],
    );
    ok(&other);
    assert_eq!(server.requests(), 14);

    // Searched in words.
    let search = photon(&[
        "search",
        out.to_str().unwrap(),
        "sandcastle dusk",
        "--in",
        "descriptions",
        "--json",
    ]);
    let hits: Vec<Value> = ok(&search)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 7);
    assert!(
        hits.iter()
            .all(|h| h["description"] == SAID && h["score"].as_f64() > Some(0.0))
    );
    let nothing = photon(&[
        "search",
        out.to_str().unwrap(),
        "volcano",
        "--in",
        "descriptions",
    ]);
    assert!(ok(&nothing).is_empty());
}

#[test]
fn descriptions_go_through_parquet_and_its_resume() {
    let server = VlmServer::start(SAID, Duration::ZERO);
    let work = tempfile::tempdir().unwrap();
    let key_file = work.path().join("key");
    std::fs::write(&key_file, KEY).unwrap();
    let out = work.path().join("records.parquet");
    ok(&describe(&server, &key_file, &out, &[]));
    let records: Vec<photon_core::Record> = photon_arrow::read_records(&out)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(records.len(), 7);
    for record in &records {
        let photon_core::Record::Image(image) = record else {
            panic!("{record:?}")
        };
        let said = image.description.as_ref().expect("a description");
        assert_eq!((said.text.as_str(), said.input_tokens), (SAID, Some(800)));
    }
    assert_no_key("the Parquet file", &std::fs::read(&out).unwrap());
    ok(&describe(&server, &key_file, &out, &["--skip-existing"]));
    assert_eq!(
        server.requests(),
        7,
        "a resumed Parquet run sends nothing again"
    );
}

#[test]
fn a_spent_budget_stops_describing_and_says_so() {
    let server = VlmServer::start(SAID, Duration::ZERO);
    let work = tempfile::tempdir().unwrap();
    let key_file = work.path().join("key");
    std::fs::write(&key_file, KEY).unwrap();
    let out = work.path().join("records.jsonl");
    let run = describe(
        &server,
        &key_file,
        &out,
        &[
            "--describe-parallel",
            "1",
            "--describe-max-requests",
            "3",
            "--quiet",
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("the budget of 3 requests"), "{stderr}");
    assert!(stderr.contains("4 images were not described"), "{stderr}");
    let records = lines(&out);
    let described = records
        .iter()
        .filter(|r| r["description"].is_object())
        .count();
    let budget = records
        .iter()
        .filter(|r| r["errors"][0]["kind"] == "budget")
        .count();
    assert_eq!((described, budget, server.requests()), (3, 4, 3));
}

#[test]
fn a_cloud_provider_without_a_key_is_refused_before_any_work() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("records.jsonl");
    let photos = testdata().join("photos");
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args([
            "process",
            photos.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .args(["--no-embedding", "--describe", "anthropic"])
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("ANTHROPIC_API_KEY"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}
