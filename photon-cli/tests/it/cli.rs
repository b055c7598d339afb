//! End to end: the `photon` binary on folders that mix good photos and hostile files.

use photon_testkit::copy_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .output()
        .expect("run photon")
}

/// photos/ and hostile/ side by side, an upper-case extension, a text file to ignore.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata().join("photos"), &dir.path().join("photos"));
    copy_dir(
        &testdata().join("hostile"),
        &dir.path().join("photos/nested/hostile"),
    );
    std::fs::copy(
        testdata().join("exif/flower.jpg"),
        dir.path().join("photos/FLOWER.JPG"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("photos/notes.txt"),
        "not an image, not an input",
    )
    .unwrap();
    dir
}

fn lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "last line is whole"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn a_mixed_folder_gives_one_record_per_image_and_exit_status_1() {
    let dir = mixed_folder();
    let out = dir.path().join("out.jsonl");
    let run = photon(&[
        "process",
        dir.path().join("photos").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "some inputs failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let records = lines(&out);
    assert_eq!(
        records.len(),
        7 + 8 + 1,
        "7 photos, 8 hostile files, FLOWER.JPG; notes.txt ignored"
    );
    let failed: Vec<&Value> = records
        .iter()
        .filter(|r| r.get("error").is_some())
        .collect();
    assert_eq!(failed.len(), 8);
    for r in &failed {
        assert!(
            r["file_path"]
                .as_str()
                .unwrap()
                .contains("/nested/hostile/"),
            "{r}"
        );
        assert_eq!(r["error"]["stage"], "decode", "{r}");
        assert!(r["error"]["kind"].is_string() && r["error"]["message"].is_string());
    }
    for r in records.iter().filter(|r| r.get("error").is_none()) {
        assert_eq!(r["schema_version"], 1);
        for field in [
            "file_path",
            "file_name",
            "content_hash",
            "width",
            "height",
            "format",
            "file_size",
            "perceptual_hash",
            "thumbnail",
        ] {
            assert!(r.get(field).is_some(), "{field} missing in {r}");
        }
    }
    let flower = records
        .iter()
        .find(|r| r["file_name"] == "FLOWER.JPG")
        .unwrap();
    assert_eq!(flower["exif"]["camera_model"], "Canon PowerShot S40");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("8 processed, 8 failed, 0 skipped, 0 retried, 1 not images in"),
        "summary: {stderr}"
    );
    assert!(stderr.contains("images/s"));
    assert!(
        !stderr.contains("notes.txt"),
        "listed without being asked: {stderr}"
    );
}

#[test]
fn files_passed_over_as_not_images_are_counted_and_listed_on_request() {
    let dir = mixed_folder();
    for sidecar in ["IMG_0001.AAE", "IMG_0001.HEIC.xmp", "takeout.json"] {
        std::fs::write(dir.path().join("photos/nested").join(sidecar), "sidecar").unwrap();
    }
    // Photo formats Photon cannot read yet are inputs, never passed over: they get records.
    std::fs::write(dir.path().join("photos/nested/IMG_0001.HEIC"), "ftypheic?").unwrap();
    let out = dir.path().join("out.jsonl");
    let photos = dir.path().join("photos");
    let run = photon(&[
        "process",
        photos.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--no-embedding",
        "--list-not-images",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains(", 4 not images in"), "summary: {stderr}");
    for name in [
        "notes.txt",
        "nested/IMG_0001.AAE",
        "nested/IMG_0001.HEIC.xmp",
        "nested/takeout.json",
    ] {
        let line = format!("photon: not an image: {}", photos.join(name).display());
        assert!(stderr.contains(&line), "{name} not listed: {stderr}");
    }
    let heic = lines(&out)
        .into_iter()
        .find(|r| r["file_path"].as_str().unwrap().ends_with("IMG_0001.HEIC"))
        .expect("the HEIC file has a record");
    assert_eq!(heic["error"]["kind"], "unsupported_format", "{heic}");
}

#[test]
fn good_inputs_exit_0_and_stage_flags_shape_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let thumbs = dir.path().join("thumbs");
    let dog = testdata().join("photos/dog.jpg");
    let coffee = testdata().join("photos/coffee.png");
    let run = photon(&[
        "process",
        dog.to_str().unwrap(),
        coffee.to_str().unwrap(),
        "--order",
        "input",
        "--no-exif",
        "--no-phash",
        "--thumbnail-dir",
        thumbs.to_str().unwrap(),
        "--thumbnail-size",
        "100",
        "-q",
    ]);
    assert_eq!(run.status.code(), Some(0));
    assert!(
        run.stderr.is_empty(),
        "quiet: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let records: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["file_name"], "dog.jpg", "input order");
    assert_eq!(records[1]["file_name"], "coffee.png");
    for r in &records {
        assert!(
            r.get("exif").is_none()
                && r.get("perceptual_hash").is_none()
                && r.get("thumbnail").is_none()
        );
        let thumb = image::open(r["thumbnail_path"].as_str().unwrap()).unwrap();
        assert_eq!(thumb.width().max(thumb.height()), 100);
    }

    let run = photon(&["process", dog.to_str().unwrap(), "--no-thumbnail", "-q"]);
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(record.get("thumbnail").is_none() && record.get("thumbnail_path").is_none());
    assert_eq!(record["exif"]["camera_make"], "Canon");
}

#[test]
fn fatal_problems_exit_2_with_a_message() {
    let dog = testdata().join("photos/dog.jpg");
    let run = photon(&[
        "process",
        dog.to_str().unwrap(),
        "-o",
        "/nonexistent-dir/out.jsonl",
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("/nonexistent-dir/out.jsonl"));
    // A full disk: a clear error, exit status 2.
    let run = photon(&["process", dog.to_str().unwrap(), "-o", "/dev/full"]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let run = photon(&["process", "--skip-existing", dog.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2), "--skip-existing needs --output");
    let run = photon(&["process", dog.to_str().unwrap(), "--thumbnail-size", "0"]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn skip_existing_resumes_after_a_torn_line_and_ctrl_c_leaves_a_valid_file_with_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("many");
    std::fs::create_dir(&photos).unwrap();
    let originals = std::fs::read_dir(testdata().join("photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect::<Vec<_>>();
    for i in 0..40 {
        let from = &originals[i % originals.len()];
        let ext = from.extension().unwrap().to_str().unwrap();
        std::fs::copy(from, photos.join(format!("{i:03}.{ext}"))).unwrap();
    }
    let out = dir.path().join("out.jsonl");
    let (photos_arg, out_arg) = (photos.to_str().unwrap(), out.to_str().unwrap());

    // Interrupt a slow run (one image at a time), with the default model loaded, once it has
    // written something.
    let mut child = Command::new(env!("CARGO_BIN_EXE_photon"))
        .env("PHOTON_MODELS", models())
        .args([
            "process",
            photos_arg,
            "-o",
            out_arg,
            "--parallel",
            "1",
            "--thumbnail-size",
            "1024",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&out).map_or(0, |t| t.lines().count()) < 2 {
        assert!(start.elapsed().as_secs() < 60, "no output");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let interrupted = lines(&out).len();
    assert_eq!(status.code(), Some(130));
    assert!(
        (2..40).contains(&interrupted),
        "{interrupted} records after Ctrl-C"
    );

    // Tear the last line, as a crash mid-write would, then resume.
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::write(&out, &text[..text.len() - 25]).unwrap();
    let run = photon_with_models(
        &["process", photos_arg, "-o", out_arg, "--skip-existing"],
        &[],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let records = lines(&out);
    assert_eq!(records.len(), 40);
    for r in &records {
        assert_eq!(r["embedding"].as_array().map(Vec::len), Some(1280), "{r}");
        assert!(!r["tags"].as_array().unwrap().is_empty(), "{r}");
    }
    let mut paths: Vec<&str> = records
        .iter()
        .map(|r| r["file_path"].as_str().unwrap())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 40, "every input exactly once");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("{} skipped", interrupted - 1)),
        "{stderr}"
    );

    let run = photon_with_models(
        &["process", photos_arg, "-o", out_arg, "--skip-existing"],
        &[],
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("0 processed, 0 failed, 40 skipped"));
    assert_eq!(lines(&out).len(), 40);
}

/// `photon ARGS` with the installed models and extra environment.
fn photon_with_models(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_photon"));
    command.args(args).env("PHOTON_MODELS", models());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run photon")
}

/// The installed models (scripts/setup.sh), for the tests that need the default model.
fn models() -> PathBuf {
    let root = std::env::var_os("PHOTON_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"),
        PathBuf::from,
    );
    assert!(
        root.join("efficientnet-lite0/photon-model.json").is_file(),
        "default model not installed: run scripts/setup.sh"
    );
    root
}

#[test]
fn the_default_model_tags_the_sample_photos_on_both_backends() {
    let photos = testdata().join("photos");
    for backend in ["ort", "tract"] {
        let run = photon_with_models(
            &[
                "process",
                photos.to_str().unwrap(),
                "--backend",
                backend,
                "--no-thumbnail",
                "--print-tags",
                "--max-batch",
                "4",
            ],
            &[],
        );
        assert_eq!(
            run.status.code(),
            Some(0),
            "{backend}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let records: Vec<Value> = String::from_utf8(run.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 7);
        let tags = |name: &str| -> Vec<Value> {
            let r = records.iter().find(|r| r["file_name"] == name).unwrap();
            assert_eq!(r["embedding"].as_array().unwrap().len(), 1280, "{backend}");
            assert_eq!(r["model"]["backend"], backend);
            assert!(
                r["model"]["id"]
                    .as_str()
                    .unwrap()
                    .starts_with("efficientnet-lite0@")
            );
            r["tags"].as_array().unwrap().clone()
        };
        let chelsea = tags("chelsea.png");
        assert!(
            chelsea[..3]
                .iter()
                .any(|t| t["name"].as_str().unwrap().contains("cat")),
            "{backend}: {chelsea:?}"
        );
        let coffee = tags("coffee.png");
        assert_eq!(coffee[0]["name"], "espresso", "{backend}");
        assert!(
            coffee[0]["path"]
                .as_str()
                .unwrap()
                .ends_with("beverage > coffee > espresso"),
            "{:?}",
            coffee[0]
        );
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("coffee.png: espresso"),
            "--print-tags: {stderr}"
        );
    }
}

#[test]
fn models_lists_what_is_installed_and_no_embedding_leaves_it_out() {
    let run = photon_with_models(&["models"], &[]);
    let listing = String::from_utf8_lossy(&run.stdout);
    assert!(
        listing.contains("efficientnet-lite0@")
            && listing.contains("1280-d embedding + classifier"),
        "{listing}"
    );
    assert!(listing.contains("libonnxruntime.so"), "{listing}");

    let dog = testdata().join("photos/dog.jpg");
    let run = photon_with_models(
        &["process", dog.to_str().unwrap(), "--no-embedding", "-q"],
        &[],
    );
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(record.get("embedding").is_none() && record.get("tags").is_none());
    let run = photon_with_models(
        &["process", dog.to_str().unwrap(), "--no-tagging", "-q"],
        &[],
    );
    let record: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(record.get("embedding").is_some() && record.get("tags").is_none());
}

#[test]
fn a_missing_onnx_runtime_is_a_clear_error() {
    let dog = testdata().join("photos/dog.jpg");
    let run = photon_with_models(
        &["process", dog.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.32.0")],
    );
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("ORT_DYLIB_PATH") && stderr.contains("onnxruntime==1.32.0"),
        "{stderr}"
    );
}

#[test]
fn zero_shot_tags_and_text_search_with_a_clip_model() {
    let dir = tempfile::tempdir().unwrap();
    let vocabulary = dir.path().join("vocabulary.txt");
    std::fs::write(&vocabulary, "# things\ncat\ndog\ncar\nbeach\nespresso\n").unwrap();
    let clip = testdata().join("models/tiny-clip");
    let out = dir.path().join("clip.jsonl");
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args([
            "process",
            testdata().join("photos").to_str().unwrap(),
            "--model",
            clip.to_str().unwrap(),
        ])
        .args([
            "--vocabulary",
            vocabulary.to_str().unwrap(),
            "--no-thumbnail",
            "--min-confidence",
            "0",
            "--top-k",
            "3",
        ])
        .args(["-o", out.to_str().unwrap()])
        .env("PHOTON_MODELS", dir.path().join("models"))
        .env("ORT_DYLIB_PATH", photon_parity_library())
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let records = lines(&out);
    assert_eq!(records.len(), 7);
    for r in &records {
        let tags = r["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 3, "{r}");
        let names: Vec<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert!(
            names
                .iter()
                .all(|n| ["cat", "dog", "car", "beach", "espresso"].contains(n)),
            "{names:?}"
        );
        assert_eq!(r["embedding"].as_array().unwrap().len(), 24);
    }
    assert!(
        dir.path()
            .join("models/.label-banks")
            .read_dir()
            .unwrap()
            .count()
            == 1,
        "the bank is cached"
    );

    let search = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_photon"))
            .args([
                "search",
                out.to_str().unwrap(),
                "a photo of a cat",
                "--model",
                clip.to_str().unwrap(),
            ])
            .args(extra)
            .env("ORT_DYLIB_PATH", photon_parity_library())
            .output()
            .unwrap()
    };
    let run = search(&["--top", "3", "--json"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let hits: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 3);
    assert!(
        hits.windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()),
        "best first"
    );
    let tract = search(&["--top", "3", "--json", "--backend", "tract"]);
    let tract_hits: Vec<Value> = String::from_utf8(tract.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        hits.iter()
            .map(|h| h["file_path"].clone())
            .collect::<Vec<_>>(),
        tract_hits
            .iter()
            .map(|h| h["file_path"].clone())
            .collect::<Vec<_>>(),
        "both engines rank alike"
    );
    // The same records as Parquet rank the same.
    let parquet = dir.path().join("clip.parquet");
    let converted = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["convert", out.to_str().unwrap(), parquet.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(converted.success());
    let from_parquet = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["search", parquet.to_str().unwrap(), "a photo of a cat"])
        .args(["--model", clip.to_str().unwrap(), "--top", "3", "--json"])
        .env("ORT_DYLIB_PATH", photon_parity_library())
        .output()
        .unwrap();
    let parquet_hits: Vec<Value> = String::from_utf8(from_parquet.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        parquet_hits, hits,
        "Parquet records rank as JSON Lines ones"
    );
    let plain = String::from_utf8(search(&["--top", "1"]).stdout).unwrap();
    assert!(
        plain
            .trim()
            .split('\t')
            .nth(1)
            .is_some_and(|p| p.ends_with(".png") || p.ends_with(".jpg")),
        "{plain}"
    );
}

/// ONNX Runtime as scripts/setup.sh installed it.
fn photon_parity_library() -> PathBuf {
    let capi = models().join("onnxruntime/onnxruntime/capi");
    std::fs::read_dir(&capi)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("libonnxruntime.so.")
        })
        .expect("ONNX Runtime not installed: run scripts/setup.sh")
}
