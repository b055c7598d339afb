//! `photon process -o out.parquet`, `photon convert`, and what real engines make of the file:
//! pyarrow reads the documented schema, DuckDB counts and searches it, LanceDB builds a table
//! from it and searches it as brute force does. A full disk stops the run with exit 2 and the
//! finished parts intact.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use photon_testkit::{python_env, root, testdata};

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .output()
        .expect("run photon")
}

fn stderr(run: &Output) -> String {
    String::from_utf8_lossy(&run.stderr).into_owned()
}

/// The default model (scripts/setup.sh), named explicitly so a missing one fails here rather
/// than giving records without embeddings.
fn default_model() -> PathBuf {
    let dir = std::env::var_os("PHOTON_MODELS")
        .map_or_else(|| root().join("models"), PathBuf::from)
        .join("efficientnet-lite0");
    assert!(
        dir.join("photon-model.json").is_file(),
        "default model not installed: run scripts/setup.sh"
    );
    dir
}

/// The records of a file, as JSON values sorted by path, read through `photon convert`.
fn records(path: &Path) -> Vec<Value> {
    let jsonl = path.with_extension("check.jsonl");
    let run = photon(&[
        "convert",
        path.to_str().unwrap(),
        jsonl.to_str().unwrap(),
        "--format",
        "jsonl",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let mut records: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    records.sort_by(|a, b| a["file_path"].as_str().cmp(&b["file_path"].as_str()));
    records
}

#[test]
fn parquet_holds_the_same_records_as_jsonl_and_converts_back_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (photos, hostile) = (testdata().join("photos"), testdata().join("hostile"));
    let jsonl = tmp.path().join("out.jsonl");
    let parquet = tmp.path().join("out.parquet");
    let by_flag = tmp.path().join("records.data");
    for (out, extra) in [
        (&jsonl, &[][..]),
        (&parquet, &[][..]),
        (&by_flag, &["--format", "parquet"][..]),
    ] {
        let run = photon(
            &[
                &[
                    "process",
                    photos.to_str().unwrap(),
                    hostile.to_str().unwrap(),
                    "--no-embedding",
                    "--order",
                    "input",
                    "-o",
                    out.to_str().unwrap(),
                ][..],
                extra,
            ]
            .concat(),
        );
        assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    }
    assert_eq!(&std::fs::read(&by_flag).unwrap()[..4], b"PAR1");
    let expected = records(&jsonl);
    assert_eq!(records(&parquet), expected);
    assert_eq!(records(&by_flag), expected);
    // Hostile inputs are error rows, with their stage and kind.
    let errors: Vec<&Value> = expected.iter().filter(|r| r["error"].is_object()).collect();
    assert_eq!(errors.len(), 8);
    assert!(errors.iter().all(|r| r["error"]["stage"] == "decode"));

    // JSON Lines -> Parquet -> JSON Lines gives the very bytes back.
    let converted = tmp.path().join("converted.parquet");
    let back = tmp.path().join("back.jsonl");
    for (from, to) in [(&jsonl, &converted), (&converted, &back)] {
        let run = photon(&["convert", from.to_str().unwrap(), to.to_str().unwrap()]);
        assert!(run.status.success(), "{}", stderr(&run));
    }
    assert_eq!(
        std::fs::read(&jsonl).unwrap(),
        std::fs::read(&back).unwrap()
    );

    // Parquet cannot stream to standard output.
    let run = photon(&["process", photos.to_str().unwrap(), "--format", "parquet"]);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("Parquet needs a file"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn pyarrow_duckdb_and_lancedb_read_the_parquet_output() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("photos.parquet");
    let model = default_model();
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .env("PHOTON_MODELS", model.parent().unwrap())
        .args([
            "process",
            testdata().join("photos").to_str().unwrap(),
            testdata().join("hostile").to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    let model_id = records(&out)
        .iter()
        .find_map(|r| r["model"]["id"].as_str().map(str::to_owned))
        .unwrap();

    let python = python_env("engines");
    let check = Command::new(python)
        .arg(root().join("photon-cli/tests/engines/check_parquet.py"))
        .args([out.to_str().unwrap(), "15", "7", "1280", &model_id])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&check.stdout),
        stderr(&check)
    );
    let report: Value =
        serde_json::from_str(String::from_utf8_lossy(&check.stdout).trim()).unwrap();
    assert_eq!(report["duckdb_rows"], 15);
    assert_eq!(report["lancedb_queries"], 7);
    eprintln!("{}", report["schema"].as_str().unwrap());
}

#[test]
fn a_disk_that_fills_mid_part_keeps_the_earlier_parts_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.parquet");
    // Two small error records make the first part; two photos with thumbnails the second,
    // which outgrows the files this process may write (RLIMIT_FSIZE, the write failing with
    // EFBIG as a full disk fails with ENOSPC).
    let hostile = testdata().join("hostile");
    let photos = testdata().join("photos");
    let inputs = [
        hostile.join("empty.jpg"),
        hostile.join("not-an-image.jpg"),
        photos.join("dog.jpg"),
        photos.join("horses.jpg"),
    ];
    let script = format!(
        "ulimit -f 24; trap '' XFSZ; exec '{}' process --no-embedding --order input \
         --part-rows 2 -o '{}' {}",
        env!("CARGO_BIN_EXE_photon"),
        out.display(),
        inputs
            .iter()
            .map(|p| format!("'{}'", p.display()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let run = Command::new("sh").args(["-c", &script]).output().unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("stopped"), "{}", stderr(&run));
    assert!(!out.exists(), "nothing merged over a hole");
    let parts = tmp.path().join("out.parquet.parts");
    let names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["part-000000.parquet"], "the torn part is gone");
    let first = records(&parts.join("part-000000.parquet"));
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|r| r["error"]["stage"] == "decode"));

    // With room again, a resume finishes the job: every input once.
    let args: Vec<&str> = [
        "process",
        "--no-embedding",
        "--part-rows",
        "2",
        "--skip-existing",
        "-o",
        out.to_str().unwrap(),
    ]
    .into_iter()
    .chain(inputs.iter().map(|p| p.to_str().unwrap()))
    .collect();
    let run = photon(&args);
    // The two error records of the first part are retried (and fail again: exit 1, some
    // inputs failed), the photos done.
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("2 processed, 2 failed, 0 skipped, 2 retried"),
        "{}",
        stderr(&run)
    );
    assert_eq!(records(&out).len(), 4);
    assert!(!parts.exists());
}

#[test]
fn ctrl_c_merges_what_was_done_and_a_resume_finishes_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let photos = tmp.path().join("many");
    std::fs::create_dir(&photos).unwrap();
    let originals: Vec<PathBuf> = std::fs::read_dir(testdata().join("photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for i in 0..40 {
        let from = &originals[i % originals.len()];
        let ext = from.extension().unwrap().to_str().unwrap();
        std::fs::copy(from, photos.join(format!("{i:03}.{ext}"))).unwrap();
    }
    let out = tmp.path().join("out.parquet");
    let parts = tmp.path().join("out.parquet.parts");
    // A slow run (one image at a time, large thumbnails) with parts of two records, interrupted
    // once two parts are done.
    let mut child = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["process", photos.to_str().unwrap(), "--no-embedding"])
        .args([
            "--parallel",
            "1",
            "--thumbnail-size",
            "1024",
            "--part-rows",
            "2",
        ])
        .args(["-o", out.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    let finished_parts = || {
        std::fs::read_dir(&parts).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            })
            .count()
        })
    };
    while finished_parts() < 2 {
        assert!(start.elapsed().as_secs() < 60, "no parts");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert!(!parts.exists(), "the parts are merged on the way out");
    let interrupted = records(&out).len();
    assert!((4..40).contains(&interrupted), "{interrupted} records");

    let run = photon(&[
        "process",
        photos.to_str().unwrap(),
        "--no-embedding",
        "--skip-existing",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(&format!("{interrupted} skipped")),
        "{}",
        stderr(&run)
    );
    let all = records(&out);
    let mut paths: Vec<&str> = all
        .iter()
        .map(|r| r["file_path"].as_str().unwrap())
        .collect();
    paths.dedup();
    assert_eq!(
        (all.len(), paths.len()),
        (40, 40),
        "every input exactly once"
    );
}
