//! Faces grouped into people at a million faces, through `photon faces` as a user runs it, on
//! generated records (issue 24's figure).
//!
//! ```sh
//! cargo build --release -p photon-cli
//! cargo bench -p benches --bench people_scale                    # 1 000 000 faces
//! PEOPLE_SCALE_N=100000 cargo bench -p benches --bench people_scale
//! ```
//! - N face embeddings of 512 dimensions (ArcFace's) planted around people whose sizes fall off
//!   as in a photo library (a few people in thousands of photos, many in a handful), plus 10%
//!   strangers seen once. A face of a person lies at cosine about 0.67 from the others of that
//!   person and about 0 ± 0.05 from everyone else, as ArcFace's embeddings of real faces do.
//!   Four faces a record; the records written as JSON Lines and turned into Parquet by
//!   `photon convert` (not timed).
//! - `photon faces RECORDS --json`, timed: reading the faces, the face graph's build, every
//!   face placed, the graph and the state saved (the command prints its phases). Then an
//!   incremental run: 1% more records in a second file, the graph reopened and only the new
//!   faces added and placed.
//! - How well the planted people come out: the share of faces of planted people with at least
//!   `min_faces` faces whose person is their planted person's (the person most of its faces
//!   got), how many found people mix planted ones, and how many strangers were placed.
//!
//! One-shot timings rather than criterion's sampling: the build takes minutes at this scale.

use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const DIM: usize = 512;
const FACES_PER_RECORD: usize = 4;
const MIN_FACES: usize = 3;

#[path = "common/xorshift.rs"]
mod xorshift;
use xorshift::Xorshift;

/// `n` faces and the planted person of each (`None` for a stranger seen once).
fn planted_faces(n: usize, seed: u64) -> (Vec<Vec<f32>>, Vec<Option<usize>>) {
    let mut rng = Xorshift(seed);
    let people = (n / 25).max(1);
    let centres: Vec<Vec<f32>> = (0..people).map(|_| unit(&mut rng, None, 1.0)).collect();
    let mut faces = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for _ in 0..n {
        let roll = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        if roll < 0.1 {
            faces.push(unit(&mut rng, None, 1.0));
            truth.push(None);
            continue;
        }
        // Squaring a uniform draw crowds the faces onto the first people: sizes from
        // thousands down to one or two.
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let person = ((u * u) * people as f64) as usize;
        faces.push(unit(&mut rng, Some(&centres[person]), 0.7));
        truth.push(Some(person));
    }
    (faces, truth)
}

/// A unit vector: `centre` plus noise of norm about `spread` (a fresh direction without one).
/// Components uniform in [-0.5, 0.5) have variance 1/12: scaled so the noise's norm is `spread`.
fn unit(rng: &mut Xorshift, centre: Option<&[f32]>, spread: f32) -> Vec<f32> {
    let scale = spread * (12.0 / DIM as f32).sqrt();
    let mut v: Vec<f32> = (0..DIM).map(|_| rng.uniform() * scale).collect();
    if let Some(centre) = centre {
        v.iter_mut().zip(centre).for_each(|(x, c)| *x += c);
    }
    photon_core::vector::l2_normalize(&mut v);
    v
}

fn main() {
    let n: usize = std::env::var("PEOPLE_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let photon = repo.join("target/release/photon");
    assert!(
        photon.is_file(),
        "build it first: cargo build --release -p photon-cli"
    );
    let work = tempfile::tempdir_in(repo.join("target")).expect("a scratch folder under target/");
    println!("# people_scale, N = {n} faces, {DIM} dimensions, {FACES_PER_RECORD} a record");
    let started = Instant::now();
    let (faces, truth) = planted_faces(n + n / 100, 0x9E3779B97F4A7C15);
    let first = work.path().join("records.parquet");
    let later = work.path().join("later.jsonl");
    write_records(&photon, &faces[..n], 0, &first);
    write_records(&photon, &faces[n..], n, &later);
    drop(faces);
    println!(
        "records written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let people = timed_run(&photon, &[&first], "first run");
    report_quality(&people, &truth[..n]);
    let people = timed_run(&photon, &[&first, &later], "incremental run (1% more)");
    report_quality(&people, &truth);
}

/// Faces as records of `FACES_PER_RECORD` each, numbered from `from` (face `i` is the record
/// `i / 4`'s face `i % 4`, its box's x1 `i % 4`), at `out` (Parquet through `photon convert`
/// when its name says so).
fn write_records(photon: &Path, faces: &[Vec<f32>], from: usize, out: &Path) {
    let jsonl = out.with_extension("jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&jsonl).unwrap());
    for (r, chunk) in faces.chunks(FACES_PER_RECORD).enumerate() {
        let record = (from / FACES_PER_RECORD) + r;
        write!(
            w,
            r#"{{"schema_version":1,"file_path":"/photos/{record:08}.jpg","file_size":1,"content_hash":"{record:064x}","width":4000,"height":3000,"format":"jpeg","faces":["#
        )
        .unwrap();
        for (i, face) in chunk.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            write!(
                w,
                r#"{sep}{{"box":[{i},0,{},100],"score":0.9,"landmarks":[[1,1],[2,1],[1.5,1.5],[1,2],[2,2]],"embedding":["#,
                i + 50
            )
            .unwrap();
            for (k, x) in face.iter().enumerate() {
                let sep = if k == 0 { "" } else { "," };
                write!(w, "{sep}{x}").unwrap();
            }
            w.write_all(b"]}").unwrap();
        }
        w.write_all(b"]}\n").unwrap();
    }
    w.flush().unwrap();
    if jsonl != out {
        let run = Command::new(photon)
            .arg("convert")
            .arg(&jsonl)
            .arg(out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        std::fs::remove_file(&jsonl).unwrap();
    }
}

/// `photon faces RECORDS --json`, timed; the person of each face by its number.
fn timed_run(photon: &Path, records: &[&PathBuf], what: &str) -> Vec<Option<usize>> {
    let started = Instant::now();
    let run = Command::new(photon)
        .arg("faces")
        .args(records)
        .arg("--json")
        .output()
        .unwrap();
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    println!("{what}: {wall:.1} s wall");
    for line in stderr.lines() {
        println!("  {line}");
    }
    let mut person = Vec::new();
    for (p, line) in String::from_utf8_lossy(&run.stdout).lines().enumerate() {
        let line: Value = serde_json::from_str(line).unwrap();
        for face in line["faces"].as_array().unwrap() {
            let path = face["file_path"].as_str().unwrap();
            let record: usize = path[8..16].parse().unwrap();
            let face = record * FACES_PER_RECORD + face["box"][0].as_f64().unwrap() as usize;
            if person.len() <= face {
                person.resize(face + 1, None);
            }
            person[face] = Some(p);
        }
    }
    person
}

/// How the found people match the planted ones.
fn report_quality(found: &[Option<usize>], truth: &[Option<usize>]) {
    let found_of = |i: usize| found.get(i).copied().flatten();
    let mut size: HashMap<usize, usize> = HashMap::new();
    for planted in truth.iter().flatten() {
        *size.entry(*planted).or_default() += 1;
    }
    // The person most of each planted person's faces got.
    let mut votes: HashMap<(usize, usize), usize> = HashMap::new();
    let mut sources: HashMap<usize, HashSet<usize>> = HashMap::new();
    for (i, planted) in truth.iter().enumerate() {
        if let (Some(planted), Some(found)) = (planted, found_of(i)) {
            *votes.entry((*planted, found)).or_default() += 1;
            sources.entry(found).or_default().insert(*planted);
        }
    }
    let mut majority: HashMap<usize, (usize, usize)> = HashMap::new();
    for (&(planted, found), &count) in &votes {
        let best = majority.entry(planted).or_insert((found, 0));
        if (count, std::cmp::Reverse(found)) > (best.1, std::cmp::Reverse(best.0)) {
            *best = (found, count);
        }
    }
    let (mut right, mut counted, mut strangers_placed) = (0usize, 0usize, 0usize);
    for (i, planted) in truth.iter().enumerate() {
        let Some(planted) = planted else {
            strangers_placed += usize::from(found_of(i).is_some());
            continue;
        };
        if size[planted] >= MIN_FACES {
            counted += 1;
            right += usize::from(found_of(i) == majority.get(planted).map(|m| m.0));
        }
    }
    let mixed = sources.values().filter(|s| s.len() > 1).count();
    let planted_people = size.values().filter(|&&s| s >= MIN_FACES).count();
    println!(
        "  quality: {right}/{counted} faces of the {planted_people} planted people of >= \
         {MIN_FACES} faces with their person ({:.4}); {} people found, {mixed} mixing planted \
         ones; {strangers_placed} strangers placed",
        right as f64 / counted.max(1) as f64,
        sources.len()
    );
}
