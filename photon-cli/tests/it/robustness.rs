//! docs/robustness.md's claims on real files and as a real user: a JSON Lines output whose
//! writes start failing (RLIMIT_FSIZE: the kernel refuses the write, as a full disk or a quota
//! does) is cut back to its last complete line; thumbnails that cannot be written leave no
//! temporary file; files the user may not read become `read` errors, tested as a non-root user.

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use photon_testkit::{photo_copies, testdata};

/// `photon ARGS` in a shell that first caps the size of the files it may write at `blocks`
/// (512-byte blocks in Debian's sh) and ignores SIGXFSZ, so a write past it fails with EFBIG.
fn photon_capped(blocks: u32, args: &[&str]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "ulimit -f {blocks}; trap '' XFSZ; exec '{}' {}",
        env!("CARGO_BIN_EXE_photon"),
        quoted.join(" ")
    );
    Command::new("sh").args(["-c", &script]).output().unwrap()
}

#[test]
fn a_real_output_file_that_stops_growing_is_cut_back_to_its_last_complete_line() {
    let work = tempfile::tempdir().unwrap();
    let folder = photo_copies(work.path(), 30);
    let out = work.path().join("out.jsonl");
    // Each record carries a base64 thumbnail of a few kB: 64 kB hold a handful of lines.
    let run = photon_capped(
        128,
        &[
            "process",
            "--no-embedding",
            "--parallel",
            "1",
            folder.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("File too large"),
        "the OS's reason: {stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.len() <= 128 * 512);
    assert!(
        !text.is_empty() && text.ends_with('\n'),
        "cut back to a line end"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}")))
        .collect();
    assert!((1..30).contains(&lines.len()), "{} lines", lines.len());
    // And a resume finishes the job once there is room.
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args([
            "process",
            "--no-embedding",
            "--skip-existing",
            folder.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 30);
}

#[test]
fn thumbnails_that_cannot_be_written_leave_no_temporary_file() {
    let work = tempfile::tempdir().unwrap();
    let folder = photo_copies(work.path(), 7);
    let thumbs = work.path().join("thumbs");
    // 2 kB per file: every thumbnail write fails part-way (records go to stdout, a pipe).
    let run = photon_capped(
        4,
        &[
            "process",
            "--no-embedding",
            folder.to_str().unwrap(),
            "--thumbnail-dir",
            thumbs.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    let records: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 7, "{}", String::from_utf8_lossy(&run.stderr));
    for r in &records {
        assert_eq!(r["error"]["stage"], "thumbnail", "{r}");
    }
    let left: Vec<String> = std::fs::read_dir(&thumbs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn files_a_non_root_user_may_not_read_become_read_errors() {
    let work = tempfile::tempdir().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = photo_copies(work.path(), 3);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = folder.join("secret.jpg");
    std::fs::copy(testdata().join("photos/dog.jpg"), &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let locked = folder.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::copy(
        testdata().join("photos/eagle.jpg"),
        locked.join("inside.jpg"),
    )
    .unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "jpg" || e == "png") && path != secret {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    // Root reads everything: run photon as nobody (setpriv drops the ids; a non-root test
    // user is already one).
    let root = nix_uid() == 0;
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_photon"),
        ]);
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_photon"))
    };
    let run = command
        .args([
            "process",
            "--no-embedding",
            "--no-thumbnail",
            folder.to_str().unwrap(),
        ])
        .env("HOME", work.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "some inputs failed: {stderr}");
    let records: Vec<Value> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_name = |name: &str| {
        records
            .iter()
            .find(|r| r["file_path"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no record for {name}: {records:?}"))
    };
    let secret = by_name("secret.jpg");
    assert_eq!(
        (&secret["error"]["stage"], &secret["error"]["kind"]),
        (&"read".into(), &"permission_denied".into()),
        "{secret}"
    );
    let locked = by_name("locked");
    assert_eq!(
        locked["error"]["stage"], "read",
        "the unreadable folder has its record: {locked}"
    );
    assert_eq!(
        records.iter().filter(|r| r["error"].is_null()).count(),
        3,
        "{records:?}"
    );
}

/// The real user id, from /proc (no libc binding needed for one number).
fn nix_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("Uid in /proc/self/status")
}
