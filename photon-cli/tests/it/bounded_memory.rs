//! Bounded memory: `photon process` over 10 times the inputs peaks within a few percent of its
//! peak over the fewer, at the same settings, every stage on but the model. (The model adds a
//! constant; leaving it out makes the comparison stricter.) The decompression-bomb limits for
//! every format are in photon-core's bomb_memory tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Peak memory in MiB from the summary line of `photon process DIR`.
fn peak_mib(dir: &Path, out: &Path, extra: &[&str]) -> f64 {
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["process", "--no-embedding", "--parallel", "2"])
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let summary = stderr.lines().rfind(|l| l.starts_with("photon: ")).unwrap();
    let end = summary.find(" MiB").unwrap_or_else(|| panic!("{summary}"));
    let start = summary[..end].rfind(' ').unwrap() + 1;
    summary[start..end].parse().unwrap()
}

#[test]
fn peak_memory_for_2000_inputs_is_within_10_percent_of_200() {
    let (few, many) = compare_peaks(200, "jsonl", &[]);
    assert!(
        many <= few * 1.10,
        "200 inputs peak at {few} MiB, 2000 at {many} MiB"
    );
}

/// Parquet holds at most one row group while writing a part or the merged file: set to the
/// smallest (1 MiB) with parts of 100 records, 600 inputs already write several of each, so
/// that what is compared is whether anything else grows with the inputs. (Holding the records
/// until the end would add about 50 MiB at 6 000.) The bound is looser than for JSON Lines by
/// the allocator's slack around the writers' megabyte buffers: the heap itself peaks at 11.5
/// MiB for 2 000 inputs and 12.2 MiB for 6 000 (heaptrack).
#[test]
fn peak_memory_for_6000_inputs_is_within_20_percent_of_600_with_parquet() {
    let settings = ["--row-group-mib", "1", "--part-rows", "100"];
    let (few, many) = compare_peaks(600, "parquet", &settings);
    assert!(
        many <= few * 1.20,
        "600 inputs peak at {few} MiB, 6000 at {many} MiB"
    );
}

/// Peaks over `n` and `10 n` inputs, written to a file of `extension`.
fn compare_peaks(n: usize, extension: &str, extra: &[&str]) -> (f64, f64) {
    let tmp = tempfile::tempdir().unwrap();
    let small = small_photos(tmp.path());
    let folder = |n: usize| {
        let dir = tmp.path().join(format!("inputs_{n}"));
        std::fs::create_dir(&dir).unwrap();
        for i in 0..n {
            std::fs::hard_link(&small[i % small.len()], dir.join(format!("{i:05}.jpg"))).unwrap();
        }
        dir
    };
    let (few, many) = (folder(n), folder(10 * n));
    let few_peak = peak_mib(&few, &tmp.path().join(format!("few.{extension}")), extra);
    let many_peak = peak_mib(&many, &tmp.path().join(format!("many.{extension}")), extra);
    eprintln!(
        "peak memory ({extension}): {n} inputs {few_peak:.1} MiB, {} inputs {many_peak:.1} MiB",
        10 * n
    );
    (few_peak, many_peak)
}

/// Small JPEGs of the real photos, which keep thousands of inputs quick; each is hard-linked
/// many times.
fn small_photos(dir: &Path) -> Vec<PathBuf> {
    let photos = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/photos");
    std::fs::read_dir(photos)
        .unwrap()
        .enumerate()
        .map(|(i, e)| {
            let image = image::open(e.unwrap().path()).unwrap().thumbnail(128, 128);
            let path = dir.join(format!("source_{i}.jpg"));
            image.into_rgb8().save(&path).unwrap();
            path
        })
        .collect()
}
