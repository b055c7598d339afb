//! Crash safety: `photon process -o FILE` killed with SIGKILL at random moments, again and again,
//! then resumed with `--skip-existing`, ends with every input recorded exactly once, no torn or
//! duplicated line, and records identical to a clean run's. The same with Parquet: every file
//! named `*.parquet` readable after every kill, and one file holding each input once at the end.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn models() -> PathBuf {
    std::env::var_os("PHOTON_MODELS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models"),
        PathBuf::from,
    )
}

/// `photon process` resuming into `out`: with the default model (EfficientNet-Lite0, its
/// tags) loaded, or with `--no-embedding`.
fn photon(dir: &Path, out: &Path, model: Model) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_photon"));
    command.arg("process");
    match model {
        Model::Default => command.env("PHOTON_MODELS", models()),
        Model::None => command.arg("--no-embedding"),
    };
    command
        .args([
            "--parallel",
            "2",
            "--skip-existing",
            // Small Parquet parts, so that kills land between and inside many of them.
            "--part-rows",
            "8",
            "-o",
        ])
        .arg(out)
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

#[derive(Clone, Copy, Debug)]
enum Model {
    Default,
    None,
}

/// The records in `out` (JSON Lines, or Parquet with its finished parts); see the format's
/// reader.
fn records(out: &Path, allow_torn_tail: bool) -> Vec<Value> {
    if out.extension().is_some_and(|e| e == "parquet") {
        parquet_records(out)
    } else {
        jsonl_records(out, allow_torn_tail)
    }
}

/// The rows of `out.parquet` and of every finished part beside it; each must read whole. A
/// file that vanishes while it is listed (a running merge removing parts) is passed over.
fn parquet_records(out: &Path) -> Vec<Value> {
    let parts = PathBuf::from(format!("{}.parts", out.display()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&parts)
        .map(|dir| dir.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "parquet"));
    files.sort();
    files.insert(0, out.to_owned());
    let mut records = Vec::new();
    for file in files {
        if !file.exists() {
            continue;
        }
        let reader = match photon_arrow::read_records(&file) {
            Ok(reader) => reader,
            Err(photon_arrow::ArrowRecordError::Io(e))
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                continue;
            }
            Err(e) => panic!("{} is unreadable: {e}", file.display()),
        };
        for record in reader {
            let record = record.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            records.push(serde_json::to_value(record).unwrap());
        }
    }
    records
}

/// The records in `out` by path; every line but (after a kill) the last must parse.
fn jsonl_records(out: &Path, allow_torn_tail: bool) -> Vec<Value> {
    let text = std::fs::read_to_string(out).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(v) => records.push(v),
            Err(e) => assert!(
                allow_torn_tail && i + 1 == lines.len() && !text.ends_with('\n'),
                "line {} of {} is broken: {e}",
                i + 1,
                lines.len()
            ),
        }
    }
    records
}

#[test]
fn sigkill_at_random_moments_then_resume_loses_and_repeats_nothing() {
    kill_and_resume("out.jsonl", Model::None);
}

#[test]
fn sigkill_at_random_moments_then_resume_loses_and_repeats_nothing_in_parquet() {
    kill_and_resume("out.parquet", Model::None);
}

#[test]
fn sigkill_with_the_model_loaded_then_resume_loses_and_repeats_nothing() {
    kill_and_resume("out.jsonl", Model::Default);
}

#[test]
fn sigkill_with_the_model_loaded_then_resume_loses_and_repeats_nothing_in_parquet() {
    kill_and_resume("out.parquet", Model::Default);
}

fn kill_and_resume(output: &str, model: Model) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("photos");
    std::fs::create_dir(&dir).unwrap();
    let photos: Vec<PathBuf> = std::fs::read_dir(testdata().join("photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut inputs = Vec::new();
    for i in 0..210 {
        let from = &photos[i % photos.len()];
        let to = dir.join(format!(
            "{i:03}_{}",
            from.file_name().unwrap().to_str().unwrap()
        ));
        std::fs::copy(from, &to).unwrap();
        inputs.push(to.to_string_lossy().into_owned());
    }

    // A clean run in the same format, for reference (Parquet keeps f32 values that JSON
    // writes shortest: only same-format records compare exactly).
    let clean = tmp.path().join(format!("clean-{output}"));
    let start = Instant::now();
    assert!(photon(&dir, &clean, model).status().unwrap().success());
    let full_run = start.elapsed();

    // Kill a run at a random moment, seven times over, each resuming the last: once during
    // start-up, then each time after a random share of the remaining inputs has been written,
    // plus a random few milliseconds.
    let out = tmp.path().join(output);
    let mut rng = fastrand::Rng::with_seed(42);
    let mut kills = Vec::new();
    for round in 0..7 {
        let before = records(&out, true).len();
        let remaining = inputs.len() - before;
        let target = before + rng.usize(1..=(remaining / 4).max(1));
        let mut child = photon(&dir, &out, model).spawn().unwrap();
        let launched = Instant::now();
        if round > 0 {
            while records(&out, true).len() < target && child.try_wait().unwrap().is_none() {
                assert!(launched.elapsed() < full_run * 4, "no progress");
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        std::thread::sleep(Duration::from_millis(rng.u64(0..25)));
        let finished = child.try_wait().unwrap().is_some();
        child.kill().unwrap_or(()); // SIGKILL
        child.wait().unwrap();
        kills.push((launched.elapsed(), finished, records(&out, true).len()));
    }
    assert!(
        kills.iter().filter(|k| !k.1).count() >= 6,
        "kills must land mid-run: {kills:?}"
    );
    eprintln!("kills (time, had finished, records so far): {kills:?}");
    let status = photon(&dir, &out, model).status().unwrap();
    assert!(status.success(), "{status}, kills {kills:?}");

    let resumed = records(&out, false);
    let reference = records(&clean, false);
    assert_eq!(reference.len(), inputs.len());
    let mut by_path: HashMap<&str, &Value> = HashMap::new();
    for r in &resumed {
        let path = r["file_path"].as_str().unwrap();
        assert!(
            by_path.insert(path, r).is_none(),
            "{path} twice; kills {kills:?}"
        );
    }
    assert_eq!(resumed.len(), inputs.len(), "kills {kills:?}");
    for expected in &reference {
        let path = expected["file_path"].as_str().unwrap();
        assert_eq!(by_path.get(path), Some(&expected), "{path}");
        if let Model::Default = model {
            assert_eq!(expected["embedding"].as_array().map(Vec::len), Some(1280));
        }
    }
}
