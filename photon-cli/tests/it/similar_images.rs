//! Finding alike images among planted variants of the sample photos.
//! - `photon dedup`: every variant groups with its original, no two different photos group,
//!   byte copies form exact groups, and the keep policy picks the file it says.
//! - `photon search --image`, exact and through `photon index build`: a photo's own variants
//!   rank first, and a model mismatch is refused.

use image::{DynamicImage, ImageFormat, codecs::jpeg::JpegEncoder};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .output()
        .expect("run photon")
}

fn sample_photos() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/photos");
    let mut photos: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    photos.sort();
    assert!(photos.len() >= 7, "testdata/photos is missing photos");
    photos
}

fn save_jpeg(image: &DynamicImage, path: &Path, quality: u8) {
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    image
        .to_rgb8()
        .write_with_encoder(JpegEncoder::new_with_quality(file, quality))
        .unwrap();
}

/// The variants of one photo the issue names, each in its own folder, named after the photo
/// (`stem`): a byte copy, JPEG q50, half size, +12% brightness and a PNG re-save.
fn plant_variants(original: &Path, root: &Path) {
    let stem = original.file_stem().unwrap().to_str().unwrap();
    let name = original.file_name().unwrap();
    let image = image::open(original).unwrap();
    let dir = |d: &str| {
        let dir = root.join(d);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    };
    std::fs::copy(original, dir("originals").join(name)).unwrap();
    std::fs::copy(original, dir("backup/copies").join(name)).unwrap();
    save_jpeg(&image, &dir("q50").join(format!("{stem}.jpg")), 50);
    let half = image.resize(
        image.width() / 2,
        image.height() / 2,
        image::imageops::FilterType::Triangle,
    );
    save_jpeg(&half, &dir("half").join(format!("{stem}.jpg")), 90);
    let mut brighter = image.to_rgb8();
    brighter
        .pixels_mut()
        .for_each(|p| p.0 = p.0.map(|c| (f32::from(c) * 1.12).round().min(255.0) as u8));
    save_jpeg(
        &DynamicImage::ImageRgb8(brighter),
        &dir("bright").join(format!("{stem}.jpg")),
        90,
    );
    image
        .save_with_format(dir("png").join(format!("{stem}.png")), ImageFormat::Png)
        .unwrap();
}

struct Planted {
    _dir: tempfile::TempDir,
    root: PathBuf,
    records: PathBuf,
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

fn photon_with_models(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("PHOTON_MODELS", models())
        .output()
        .expect("run photon")
}

fn hits(out: &Output) -> Vec<(String, f64)> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|h| {
            (
                h["file_path"].as_str().unwrap().to_owned(),
                h["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn search_by_example_ranks_a_photos_own_variants_first_exactly_and_through_the_index() {
    let planted = planted();
    let records = planted.records.with_file_name("embedded.jsonl");
    let run = photon_with_models(&[
        "process",
        planted.root.to_str().unwrap(),
        "-o",
        records.to_str().unwrap(),
        "--no-thumbnail",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let index = planted.records.with_file_name("index");
    let built = photon_with_models(&[
        "index",
        "build",
        records.to_str().unwrap(),
        "-o",
        index.to_str().unwrap(),
    ]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(index.join("photon-index.json").is_file());
    for photo in sample_photos() {
        let example = planted
            .root
            .join("originals")
            .join(photo.file_name().unwrap());
        let example = example.to_str().unwrap();
        let exact = hits(&photon_with_models(&[
            "search",
            records.to_str().unwrap(),
            "--image",
            example,
            "--top",
            "6",
            "--json",
        ]));
        let indexed = hits(&photon_with_models(&[
            "search",
            "--index",
            index.to_str().unwrap(),
            "--image",
            example,
            "--top",
            "6",
            "--json",
        ]));
        let stem = photo_of(example);
        for ranking in [&exact, &indexed] {
            assert_eq!(ranking.len(), 6);
            assert!(
                ranking.iter().all(|(path, _)| photo_of(path) == stem),
                "{stem}: {ranking:?}"
            );
            assert!(ranking[0].1 > 0.99, "{ranking:?}");
        }
        let names = |r: &[(String, f64)]| r.iter().map(|h| h.0.clone()).collect::<BTreeSet<_>>();
        assert_eq!(names(&exact), names(&indexed));
    }
    // Another model's query is refused, exactly and through the index.
    let tiny_clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/models/tiny-clip");
    let example = sample_photos()[0].to_str().unwrap().to_owned();
    for source in [
        vec![records.to_str().unwrap()],
        vec!["--index", index.to_str().unwrap()],
    ] {
        let mut args = vec!["search"];
        args.extend(source);
        args.extend(["--image", &example, "--model", tiny_clip.to_str().unwrap()]);
        let out = photon_with_models(&args);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("model mismatch"),
            "{out:?}"
        );
    }
}

fn planted() -> Planted {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("library");
    for photo in sample_photos() {
        plant_variants(&photo, &root);
    }
    let records = dir.path().join("records.jsonl");
    let out = photon(&[
        "process",
        root.to_str().unwrap(),
        "-o",
        records.to_str().unwrap(),
        "--no-embedding",
        "--no-thumbnail",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Planted {
        _dir: dir,
        root,
        records,
    }
}

/// The photo a file is a variant of: its file stem.
fn photo_of(path: &str) -> String {
    Path::new(path)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn groups(records: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["dedup", records.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let out = photon(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn files(group: &Value) -> Vec<String> {
    group["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// Every file's perceptual hash, by path.
fn hashes(records: &Path) -> BTreeMap<String, u64> {
    std::fs::read_to_string(records)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| {
            let hash = r["perceptual_hash"].as_str().expect("a perceptual hash");
            (
                r["file_path"].as_str().unwrap().to_owned(),
                u64::from_str_radix(hash, 16).unwrap(),
            )
        })
        .collect()
}

/// The distances docs/dedup.md reports (`-- --nocapture` prints them): the most each kind of
/// variant moved a hash from its original's, and the least between different photos.
#[test]
fn the_default_distance_separates_variants_from_different_photos() {
    let planted = planted();
    let hashes = hashes(&planted.records);
    let folder = |path: &str| path.rsplit('/').nth(1).unwrap().to_owned();
    let mut widest: BTreeMap<String, u32> = BTreeMap::new();
    let mut closest_different = u32::MAX;
    for (a, ha) in &hashes {
        for (b, hb) in &hashes {
            let bits = (ha ^ hb).count_ones();
            if photo_of(a) != photo_of(b) {
                closest_different = closest_different.min(bits);
            } else if folder(a) == "originals" && folder(b) != "originals" {
                let widest = widest.entry(folder(b)).or_default();
                *widest = (*widest).max(bits);
            }
        }
    }
    eprintln!("most bits from the original, by variant: {widest:?}");
    eprintln!("fewest bits between different photos: {closest_different}");
    let default = photon_default_distance();
    assert!(widest.values().all(|&bits| bits <= default), "{widest:?}");
    assert!(closest_different > 2 * default, "{closest_different}");
}

#[test]
fn variants_group_with_their_original_and_different_photos_never_do() {
    let planted = planted();
    let groups = groups(&planted.records, &[]);
    let photos: BTreeSet<String> = sample_photos()
        .iter()
        .map(|p| photo_of(p.to_str().unwrap()))
        .collect();
    let mut exact: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut near: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for group in &groups {
        let members = files(group);
        let photo = photo_of(&members[0]);
        assert!(
            members.iter().all(|m| photo_of(m) == photo),
            "different photos grouped: {group}"
        );
        assert!(members.contains(&group["keep"].as_str().unwrap().to_owned()));
        let by_kind = match group["kind"].as_str().unwrap() {
            "exact" => &mut exact,
            "near" => &mut near,
            other => panic!("unexpected kind {other}"),
        };
        assert!(
            by_kind.insert(photo, members).is_none(),
            "a photo in two groups of a kind"
        );
    }
    assert_eq!(exact.keys().cloned().collect::<BTreeSet<_>>(), photos);
    for (photo, members) in &exact {
        let dirs: Vec<&str> = members
            .iter()
            .map(|m| m.rsplit('/').nth(1).unwrap())
            .collect();
        assert_eq!(dirs, ["copies", "originals"], "{photo}");
    }
    // Each photo: one near group of the original's content and its four re-made variants.
    assert_eq!(near.keys().cloned().collect::<BTreeSet<_>>(), photos);
    for (photo, members) in &near {
        let dirs: BTreeSet<&str> = members
            .iter()
            .map(|m| m.rsplit('/').nth(1).unwrap())
            .collect();
        assert_eq!(members.len(), 5, "{photo}: {members:?}");
        assert!(
            dirs.is_superset(&["q50", "half", "bright", "png"].into()),
            "{photo}: {members:?}"
        );
    }
    for group in groups.iter().filter(|g| g["kind"] == "near") {
        let bits = group["distance"].as_u64().unwrap();
        assert!(bits <= u64::from(photon_default_distance()), "{group}");
    }
    // The default keep: the most pixels, so never the half-size copy; of the two full-size
    // byte copies, the shorter path.
    for group in &groups {
        let keep = group["keep"].as_str().unwrap();
        assert!(!keep.contains("/half/"), "{group}");
        if group["kind"] == "exact" {
            assert!(keep.contains("/originals/"), "{group}");
        }
    }
    let _ = &planted.root;
}

fn photon_default_distance() -> u32 {
    photon_index::dedup::DEFAULT_MAX_DISTANCE
}

#[test]
fn parquet_records_give_the_same_groups() {
    let planted = planted();
    let parquet = planted.records.with_extension("parquet");
    let out = photon(&[
        "convert",
        planted.records.to_str().unwrap(),
        parquet.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(groups(&parquet, &[]), groups(&planted.records, &[]));
}

#[test]
fn keep_policies_choose_by_path_and_time() {
    let planted = planted();
    // Newest: the byte copy in backup/, made later; oldest: the original.
    let originals = planted.root.join("originals");
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for entry in std::fs::read_dir(&originals).unwrap() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(old).unwrap();
    }
    let out = photon(&[
        "process",
        planted.root.to_str().unwrap(),
        "-o",
        planted.records.to_str().unwrap(),
        "--no-embedding",
        "--no-thumbnail",
    ]);
    assert!(out.status.success());
    let exact_keeps = |policy: &str| -> Vec<String> {
        groups(&planted.records, &["--keep", policy])
            .iter()
            .filter(|g| g["kind"] == "exact")
            .map(|g| g["keep"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        exact_keeps("oldest")
            .iter()
            .all(|k| k.contains("/originals/"))
    );
    assert!(
        exact_keeps("newest")
            .iter()
            .all(|k| k.contains("/backup/copies/"))
    );
    assert!(
        exact_keeps("shortest-path")
            .iter()
            .all(|k| k.contains("/originals/"))
    );
    // Shortest path in near groups: the member with the shortest path, whatever its size.
    for group in groups(&planted.records, &["--keep", "shortest-path"]) {
        if group["kind"] == "near" {
            let keep = group["keep"].as_str().unwrap();
            let shortest = files(&group).iter().map(String::len).min().unwrap();
            assert_eq!(keep.len(), shortest, "{group}");
        }
    }
    let out = photon(&[
        "dedup",
        planted.records.to_str().unwrap(),
        "--keep",
        "biggest",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_report_names_what_to_keep_and_the_summary_counts() {
    let planted = planted();
    let out = photon(&["dedup", planted.records.to_str().unwrap()]);
    assert!(out.status.success());
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(
        report.contains("exact group of 2 (identical bytes):"),
        "{report}"
    );
    assert!(report.contains("  keep  "), "{report}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let images = sample_photos().len() * 6;
    let redundant = sample_photos().len() * 5; // one copy and four variants each
    assert!(
        stderr.contains(&format!(
            "{images} images, {} duplicate groups, {redundant} files",
            2 * sample_photos().len()
        )),
        "{stderr}"
    );
}
