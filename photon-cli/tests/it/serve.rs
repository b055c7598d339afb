//! `photon serve` as immich's server and an operator meet it: a real client (Node's fetch,
//! FormData and Blob, as immich's server sends its requests) checking every answer against
//! `photon process` and `photon search`, 64 clients at once, models unloaded with their memory
//! returned, and SIGTERM draining the requests in flight.

use photon_testkit::{
    KilledOnDrop, copy_dir, immich_face_models, loopback_port, models, ok, onnxruntime, root,
    testdata,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A models folder in each layout: `clip/tiny` (immich's), `tiny-clip` (Hugging Face's),
/// `efficientnet-lite0` (Photon's).
fn models_folder(work: &Path) -> PathBuf {
    let dir = work.join("served");
    copy_dir(
        &testdata().join("models/immich-clip"),
        &dir.join("clip/tiny"),
    );
    copy_dir(&testdata().join("models/tiny-clip"), &dir.join("tiny-clip"));
    copy_dir(
        &models().join("efficientnet-lite0"),
        &dir.join("efficientnet-lite0"),
    );
    immich_face_models(&dir);
    dir
}

fn photon(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_photon"));
    command
        .args(args)
        .env("PHOTON_MODELS", models())
        .env("ORT_DYLIB_PATH", onnxruntime());
    command
}

/// A running `photon serve`, killed when dropped.
struct Served {
    child: KilledOnDrop,
    address: String,
}

impl Served {
    fn start(models: &Path, extra: &[&str]) -> Served {
        let address = format!("127.0.0.1:{}", loopback_port());
        let mut args = vec![
            "serve",
            "--listen",
            &address,
            "--models",
            models.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let child = KilledOnDrop(
            photon(&args)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut served = Served { child, address };
        let deadline = Instant::now() + Duration::from_secs(120);
        while request(&served.address, "GET", "/ping", "", &[]).is_err() {
            if let Some(status) = served.child.try_wait().unwrap() {
                let mut stderr = String::new();
                served
                    .child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                panic!("photon serve exited with {status}: {stderr}");
            }
            assert!(
                Instant::now() < deadline,
                "photon serve did not answer /ping"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn resident_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    }

    fn models_loaded(&self) -> usize {
        let (_, body) = request(&self.address, "GET", "/healthz", "", &[]).unwrap();
        let health: Value = serde_json::from_slice(&body).unwrap();
        health["models_loaded"].as_array().unwrap().len()
    }
}

/// One HTTP/1.1 request on a fresh connection: the status and the body.
pub(super) fn request(
    address: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let status = String::from_utf8_lossy(&answer[9..12])
        .parse()
        .map_err(|_| std::io::ErrorKind::InvalidData)?;
    Ok((status, answer[split + 4..].to_vec()))
}

/// immich's visual request for `model` on `image`.
fn visual(address: &str, model: &str, image: &[u8]) -> (u16, Vec<u8>) {
    let boundary = "photon-serve-test";
    let entries = format!(r#"{{"clip":{{"visual":{{"modelName":"{model}"}}}}}}"#);
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"entries\"\r\n\r\n{entries}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"blob\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    request(address, "POST", "/predict", &content_type, &body).unwrap()
}

/// What `photon process` with `flags` records for the sample photos: path -> size and the
/// record's `field`.
fn processed_with(flags: &[&str], field: &str, out: &Path) -> BTreeMap<String, Value> {
    let photos = testdata().join("photos");
    let mut args = vec!["process", photos.to_str().unwrap()];
    args.extend_from_slice(flags);
    args.extend(["-o", out.to_str().unwrap(), "--quiet"]);
    ok(&photon(&args).output().unwrap());
    std::fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|r| {
            let image = json!({ field: r[field], "width": r["width"], "height": r["height"] });
            (r["file_path"].as_str().unwrap().to_owned(), image)
        })
        .collect()
}

/// What `photon process` records for the sample photos with `model`: path -> embedding and size.
fn processed(model: &Path, out: &Path) -> BTreeMap<String, Value> {
    let flags = ["--model", model.to_str().unwrap(), "--no-tagging"];
    processed_with(&flags, "embedding", out)
}

/// What `photon process --face-model` records for the sample photos: path -> size and faces.
fn faces_processed(folder: &Path, out: &Path) -> BTreeMap<String, Value> {
    let model = folder.join("facial-recognition/buffalo_l");
    let flags = ["--face-model", model.to_str().unwrap(), "--no-embedding"];
    processed_with(&flags, "faces", out)
}

/// `photon search`'s score for every recorded image against `text`.
fn searched(records: &Path, text: &str, model: &Path) -> BTreeMap<String, f64> {
    let run = photon(&[
        "search",
        records.to_str().unwrap(),
        text,
        "--model",
        model.to_str().unwrap(),
        "--json",
        "--top",
        "100",
    ])
    .output()
    .unwrap();
    ok(&run)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|hit| {
            (
                hit["file_path"].as_str().unwrap().to_owned(),
                hit["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn immichs_client_gets_what_the_batch_command_computes() {
    let work = tempfile::tempdir().unwrap();
    let folder = models_folder(work.path());
    // The model that batches first: immich's exports fix the batch at one.
    let served_as = [
        ("tiny-clip", "tiny-clip", true),
        ("tiny", "clip/tiny", true),
        ("efficientnet-lite0", "efficientnet-lite0", false),
    ];
    let mut expected_models = Vec::new();
    for (name, dir, has_text) in served_as {
        let dir = folder.join(dir);
        let records = work.path().join(format!("{name}.jsonl"));
        let images = processed(&dir, &records);
        assert_eq!(images.len(), 7);
        let texts: BTreeMap<&str, BTreeMap<String, f64>> = if has_text {
            ["a photo of a cat", "a rocket"]
                .into_iter()
                .map(|t| (t, searched(&records, t, &dir)))
                .collect()
        } else {
            BTreeMap::new()
        };
        expected_models.push(json!({ "name": name, "images": images, "texts": texts }));
    }
    // Batches wait long enough to fill even on a loaded machine (the tiny model is instant).
    let served = Served::start(&folder, &["--batch-wait-ms", "200"]);
    let faces = faces_processed(&folder, &work.path().join("faces.jsonl"));
    let face_count: usize = faces
        .values()
        .map(|i| i["faces"].as_array().unwrap().len())
        .sum();
    assert!(face_count >= 20, "only {face_count} faces to check");
    let expected = json!({
        "url": served.url(),
        "concurrency": 64,
        "models": expected_models,
        "faces": { "name": "buffalo_l", "images": faces },
    });
    let file = work.path().join("expected.json");
    std::fs::write(&file, expected.to_string()).unwrap();
    let client = root().join("photon-serve/tests/node/immich_client.mjs");
    let run = Command::new("node")
        .arg(&client)
        .arg(&file)
        .output()
        .expect("node (Node 20 or later) runs immich's client");
    let report = ok(&run);
    let report: Value = serde_json::from_str(report.trim()).unwrap();
    // 7 images x 3 models, 2 texts x 7 images x 2 models, 7 images' faces at two scores,
    // 1 refusal (OCR), 64 x 7 concurrent.
    assert_eq!(report["checks"], 21 + 28 + 14 + 1 + 64 * 7, "{report}");
    assert!(
        report["seconds"].as_f64().unwrap() < 120.0,
        "64 clients took {report}"
    );
}

#[test]
fn an_idle_model_is_unloaded_and_its_memory_returned() {
    let work = tempfile::tempdir().unwrap();
    let folder = models_folder(work.path());
    let served = Served::start(&folder, &["--model-ttl", "1"]);
    let idle = served.resident_bytes();
    assert!(idle < 50 << 20, "idle with no model: {} MB", idle >> 20);
    let image = std::fs::read(testdata().join("photos/horses.jpg")).unwrap();
    for round in 0..2 {
        let (status, body) = visual(&served.address, "efficientnet-lite0", &image);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let loaded = served.resident_bytes();
        assert_eq!(served.models_loaded(), 1);
        let deadline = Instant::now() + Duration::from_secs(10);
        while served.models_loaded() > 0 {
            assert!(
                Instant::now() < deadline,
                "round {round}: not unloaded 10 s after a 1 s TTL"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        let after = served.resident_bytes();
        eprintln!(
            "round {round}: idle {} MB, loaded {} MB, unloaded {} MB",
            idle >> 20,
            loaded >> 20,
            after >> 20
        );
        assert!(
            loaded > idle + (30 << 20),
            "the model's load shows: {} -> {} MB",
            idle >> 20,
            loaded >> 20
        );
        assert!(
            after < idle + (50 << 20),
            "round {round}: {} MB after unload, {} MB before load",
            after >> 20,
            idle >> 20
        );
    }
}

#[test]
fn sigterm_finishes_the_requests_in_flight_and_exits_0() {
    let work = tempfile::tempdir().unwrap();
    let folder = models_folder(work.path());
    // A lone request waits the whole batch wait for company: it is in flight for 2 s.
    let mut served = Served::start(
        &folder,
        &["--preload", "tiny-clip", "--batch-wait-ms", "2000"],
    );
    let address = served.address.clone();
    let image = std::fs::read(testdata().join("photos/dog.jpg")).unwrap();
    let in_flight = std::thread::spawn(move || visual(&address, "tiny-clip", &image));
    std::thread::sleep(Duration::from_millis(700));
    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, body) = in_flight.join().unwrap();
    assert_eq!(
        status,
        200,
        "the request in flight was answered: {}",
        String::from_utf8_lossy(&body)
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = served.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "photon serve did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit.code(), Some(0));
    assert!(
        request(&served.address, "GET", "/ping", "", &[]).is_err(),
        "nothing listens after exit"
    );
}
