//! The describe stage's throughput against `--describe-parallel`, through `photon process` as a
//! user runs it, with a loopback server that answers after a fixed delay and works on a fixed
//! number of requests at once (issue 25's figure).
//!
//! ```sh
//! cargo build --release -p photon-cli
//! cargo bench -p benches --bench describe_throughput
//! ```
//! - 96 copies of the seven sample photos; `--no-embedding`, so what is left beside describing
//!   is the local stages (hashes, EXIF, thumbnail) and the re-encode of each photo for the
//!   describer.
//! - The server: photon-testkit's `VlmServer`, 250 ms an answer, 8 slots (as llama-server's
//!   `--parallel 8`): describing can go no faster than 32 images a second.
//! - Each `--describe-parallel` run once, after a run without describing (the local stages
//!   alone); images a second are the images over the command's wall time.

use photon_testkit::VlmServer;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const IMAGES: usize = 96;
const DELAY: Duration = Duration::from_millis(250);
const SLOTS: usize = 8;

fn photon() -> std::path::PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/photon");
    assert!(
        path.exists(),
        "build it first: cargo build --release -p photon-cli"
    );
    path
}

/// The wall time of `photon process` over `photos` with `extra` flags.
fn run(photos: &Path, out: &Path, extra: &[&str]) -> Duration {
    let started = Instant::now();
    let run = Command::new(photon())
        .arg("process")
        .arg(photos)
        .arg("-o")
        .arg(out)
        .args(["--no-embedding", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    let wall = started.elapsed();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    wall
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let photos = photon_testkit::photo_copies(work.path(), IMAGES);
    let out = work.path().join("records.jsonl");
    let server = VlmServer::start_with_slots("A photo, described.", DELAY, Some(SLOTS));
    let rate = |wall: Duration| IMAGES as f64 / wall.as_secs_f64();
    let local = run(&photos, &out, &[]);
    println!("# describe_throughput: {IMAGES} photos, server {DELAY:?} an answer, {SLOTS} slots");
    println!(
        "| --describe-parallel | wall | images/s | of the server's limit ({}/s) |",
        SLOTS as f64 / DELAY.as_secs_f64()
    );
    println!("|---|---|---|---|");
    println!(
        "| no describing (local stages alone) | {:.2} s | {:.1} | |",
        local.as_secs_f64(),
        rate(local)
    );
    for parallel in [1, 2, 4, 8, 16] {
        let before = server.requests();
        let p = parallel.to_string();
        let flags = [
            "--describe",
            "llama-server",
            "--describe-url",
            &server.url,
            "--describe-model",
            "fake-vlm",
            "--describe-parallel",
            &p,
        ];
        let wall = run(&photos, &out, &flags);
        assert_eq!(server.requests() - before, IMAGES, "one request an image");
        let limit = SLOTS as f64 / DELAY.as_secs_f64();
        println!(
            "| {parallel} | {:.2} s | {:.1} | {:.2} |",
            wall.as_secs_f64(),
            rate(wall),
            rate(wall) / limit
        );
    }
    println!(
        "most requests in the server at once: {}",
        server.max_in_flight()
    );
}
