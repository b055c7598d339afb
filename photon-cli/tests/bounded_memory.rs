//! Bounded memory: `photon process` over 2 000 inputs peaks within 10% of its peak over 200, at
//! the same settings, every stage on but the model. (The model adds a constant; leaving it out
//! makes the comparison stricter.) The decompression-bomb limits for every format are in
//! photon-core's bomb_memory tests.

use std::path::Path;
use std::process::Command;

/// Peak memory in MiB from the summary line of `photon process DIR`.
fn peak_mib(dir: &Path, out: &Path) -> f64 {
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["process", "--no-embedding", "--parallel", "2", "-o"])
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
    let tmp = tempfile::tempdir().unwrap();
    let photos = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/photos");
    // Small JPEGs of the real photos keep 2 000 inputs quick; each is hard-linked many times.
    let small: Vec<_> = std::fs::read_dir(photos)
        .unwrap()
        .enumerate()
        .map(|(i, e)| {
            let image = image::open(e.unwrap().path()).unwrap().thumbnail(128, 128);
            let path = tmp.path().join(format!("source_{i}.jpg"));
            image.into_rgb8().save(&path).unwrap();
            path
        })
        .collect();
    let folder = |n: usize| {
        let dir = tmp.path().join(format!("inputs_{n}"));
        std::fs::create_dir(&dir).unwrap();
        for i in 0..n {
            std::fs::hard_link(&small[i % small.len()], dir.join(format!("{i:05}.jpg"))).unwrap();
        }
        dir
    };
    let (few, many) = (folder(200), folder(2000));
    let few_peak = peak_mib(&few, &tmp.path().join("few.jsonl"));
    let many_peak = peak_mib(&many, &tmp.path().join("many.jsonl"));
    assert!(
        many_peak <= few_peak * 1.10,
        "200 inputs peak at {few_peak} MiB, 2000 at {many_peak} MiB"
    );
    eprintln!("peak memory: 200 inputs {few_peak:.1} MiB, 2000 inputs {many_peak:.1} MiB");
}
