//! Resume retries what failed: an input missing at the first run (an error record without a
//! size) and one that failed to decode (same size and time on the next run) are processed again
//! by `--skip-existing`, counted as retried, and their new record becomes their latest;
//! `--skip-failed` keeps them skipped. The same for JSON Lines and Parquet.

use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use photon_testkit::testdata;

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .output()
        .expect("run photon")
}

/// The summary line of a run that completed (exit 1 when some input failed, else 0).
fn summary(run: &Output) -> String {
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let failed = !stderr.contains(" 0 failed,");
    assert_eq!(run.status.code(), Some(i32::from(failed)), "{stderr}");
    stderr
        .lines()
        .find(|l| l.starts_with("photon: ") && l.contains(" processed, "))
        .unwrap_or_else(|| panic!("no summary: {stderr}"))
        .to_owned()
}

/// Every record of the output, JSON Lines or Parquet (through `photon convert`).
fn records(out: &Path, work: &Path) -> Vec<Value> {
    let jsonl = if out.extension().is_some_and(|e| e == "parquet") {
        let converted = work.join("converted.jsonl");
        let _ = std::fs::remove_file(&converted);
        let run = photon(&[
            "convert",
            out.to_str().unwrap(),
            converted.to_str().unwrap(),
        ]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        converted
    } else {
        out.to_path_buf()
    };
    std::fs::read_to_string(jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The latest record of each file name.
fn latest(records: &[Value]) -> HashMap<String, Value> {
    records
        .iter()
        .map(|r| {
            let name = Path::new(r["file_path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r.clone())
        })
        .collect()
}

fn retries_failures(output_name: &str) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let good = dir.join("good.jpg");
    let broken = dir.join("broken.jpg");
    let missing = dir.join("missing.jpg");
    std::fs::copy(testdata().join("photos/dog.jpg"), &good).unwrap();
    std::fs::write(&broken, b"\xff\xd8\xff not really a JPEG").unwrap();
    let out = work.path().join(output_name);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "process",
            "--no-embedding",
            "--no-thumbnail",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.extend([
            good.to_str().unwrap(),
            broken.to_str().unwrap(),
            missing.to_str().unwrap(),
        ]);
        photon(&args)
    };

    let first = summary(&run(&[]));
    assert!(
        first.contains("1 processed, 2 failed, 0 skipped, 0 retried"),
        "{first}"
    );
    let before = latest(&records(&out, work.path()));
    assert_eq!(before["missing.jpg"]["error"]["stage"], "read");
    assert!(
        before["missing.jpg"]["file_size"].is_null(),
        "no size: it was never read"
    );
    assert_eq!(before["broken.jpg"]["error"]["stage"], "decode");

    // --skip-failed keeps both failures as they are.
    let kept = summary(&run(&["--skip-existing", "--skip-failed"]));
    assert!(
        kept.contains("0 processed, 0 failed, 3 skipped, 0 retried"),
        "{kept}"
    );
    assert_eq!(latest(&records(&out, work.path())), before);

    // The missing file appears; the broken one is unchanged (same size and time) and is tried
    // again all the same, as a newer Photon might read it.
    std::fs::copy(testdata().join("photos/horses.jpg"), &missing).unwrap();
    let resumed = summary(&run(&["--skip-existing"]));
    assert!(
        resumed.contains("1 processed, 1 failed, 1 skipped, 2 retried"),
        "{resumed}"
    );
    let after = latest(&records(&out, work.path()));
    assert_eq!(after.len(), 3);
    assert!(
        after["missing.jpg"]["error"].is_null(),
        "{}",
        after["missing.jpg"]
    );
    assert!(after["missing.jpg"]["width"].as_u64().unwrap() > 0);
    assert_eq!(after["broken.jpg"]["error"]["stage"], "decode");
    assert_eq!(after["good.jpg"], before["good.jpg"], "the success stands");

    // Fixed too, the broken one is retried and succeeds; then nothing is left to do.
    std::fs::copy(testdata().join("photos/dog.jpg"), &broken).unwrap();
    let fixed = summary(&run(&["--skip-existing"]));
    assert!(
        fixed.contains("1 processed, 0 failed, 2 skipped, 1 retried"),
        "{fixed}"
    );
    let done = summary(&run(&["--skip-existing"]));
    assert!(
        done.contains("0 processed, 0 failed, 3 skipped, 0 retried"),
        "{done}"
    );
    let all = records(&out, work.path());
    assert!(latest(&all).values().all(|r| r["error"].is_null()));
    // JSON Lines keeps every line written (3 + 2 retried + 1 retried); Parquet merges each
    // input's latest record into one row.
    let expected = if output_name.ends_with(".parquet") {
        3
    } else {
        6
    };
    assert_eq!(all.len(), expected);
}

#[test]
fn jsonl_resume_retries_failures_and_skip_failed_keeps_them() {
    retries_failures("out.jsonl");
}

#[test]
fn parquet_resume_retries_failures_and_keeps_each_input_once() {
    retries_failures("out.parquet");
}
