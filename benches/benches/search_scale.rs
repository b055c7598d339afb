//! Duplicates and search at a million images, on generated records (issue 14's figures).
//!
//! ```sh
//! cargo build --release -p photon-cli
//! cargo bench -p benches --bench search_scale            # 1 000 000 records and vectors
//! SEARCH_SCALE_N=100000 cargo bench -p benches --bench search_scale
//! SEARCH_SCALE_ONLY=dedup cargo bench -p benches --bench search_scale
//! ```
//! - `photon dedup` (the release binary, as a user runs it) over a JSON Lines file of N records:
//!   random 64-bit perceptual hashes, 1% of them planted as near copies (1-6 bits away) and
//!   0.5% as exact copies; and the library's `find_duplicates` on the same records in memory.
//! - Search over N × 768 unit vectors that vary along 32 latent directions, as image
//!   embeddings do:
//!   exact search per query (`Embeddings::search`, all cores), the HNSW index's build time,
//!   size on disk and time per query, and its recall@10 against exact search.
//!
//! One-shot timings rather than criterion's sampling: a build at this scale takes minutes.

use photon_core::Record;
use photon_index::dedup::{DedupOptions, GroupKind, find_duplicates};
use photon_index::{Embeddings, HnswIndex, HnswOptions, Query};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const DIM: usize = 768;

fn main() {
    let n: usize = std::env::var("SEARCH_SCALE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let work = tempfile::tempdir_in(target_dir()).expect("a scratch folder under target/");
    println!("# search_scale, N = {n}");
    // SEARCH_SCALE_ONLY=dedup or =search runs one half (the index build takes many minutes).
    let only = std::env::var("SEARCH_SCALE_ONLY").unwrap_or_default();
    if only != "search" {
        dedup(n, work.path());
    }
    if only != "dedup" {
        search(n, work.path());
    }
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
}

#[path = "common/xorshift.rs"]
mod xorshift;
use xorshift::Xorshift;

/// N record lines: random hashes, 1% near copies of earlier ones, 0.5% exact copies.
fn write_records(n: usize, path: &Path) -> (usize, usize) {
    let mut rng = Xorshift(0x2545F4914F6CDD1D);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hashes: Vec<(u64, u64)> = Vec::with_capacity(n); // (content, perceptual)
    let (mut near, mut exact) = (0, 0);
    for i in 0..n {
        let roll = rng.next() % 1000;
        let (content, phash) = if i > 0 && roll < 10 {
            near += 1;
            let (_, phash) = hashes[(rng.next() % i as u64) as usize];
            let mut twin = phash;
            for _ in 0..1 + rng.next() % 6 {
                twin ^= 1 << (rng.next() % 64);
            }
            (rng.next(), twin)
        } else if i > 0 && roll < 15 {
            exact += 1;
            hashes[(rng.next() % i as u64) as usize]
        } else {
            (rng.next(), rng.next())
        };
        hashes.push((content, phash));
        writeln!(
            out,
            r#"{{"schema_version":1,"file_path":"/photos/{:03}/{i:08}.jpg","file_size":{},"content_hash":"{content:064x}","width":4032,"height":3024,"format":"jpeg","perceptual_hash":"{phash:016x}"}}"#,
            i % 1000,
            2_000_000 + rng.next() % 3_000_000,
        )
        .unwrap();
    }
    out.flush().unwrap();
    (near, exact)
}

fn dedup(n: usize, work: &Path) {
    let records = work.join("records.jsonl");
    let (near, exact) = write_records(n, &records);
    let photon = target_dir().join("release/photon");
    assert!(
        photon.is_file(),
        "build it first: cargo build --release -p photon-cli"
    );
    let started = Instant::now();
    let run = std::process::Command::new(&photon)
        .args(["dedup", records.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let cli = started.elapsed().as_secs_f64();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let groups = String::from_utf8_lossy(&run.stdout).lines().count();
    println!(
        "photon dedup, {n} records ({near} planted near copies, {exact} exact): {cli:.2} s, {groups} groups"
    );
    let parsed: Vec<Record> = photon_core::read_jsonl(std::io::BufReader::new(
        std::fs::File::open(&records).unwrap(),
    ))
    .map(Result::unwrap)
    .collect();
    let started = Instant::now();
    let found = find_duplicates(parsed, &DedupOptions::default());
    let library = started.elapsed().as_secs_f64();
    let count = |kind| found.groups.iter().filter(|g| g.kind == kind).count();
    println!(
        "find_duplicates on the parsed records: {library:.2} s ({} exact, {} near groups)",
        count(GroupKind::Exact),
        count(GroupKind::Near)
    );
}

/// Dimensions of the latent space the generated embeddings vary in.
const LATENT: usize = 32;

/// `n` unit vectors that vary, like image embeddings, along a few directions: a point of a
/// 32-dimensional latent space mapped into 768 by one fixed random matrix (the same for every
/// call), plus a little noise in every dimension. Uniform random vectors would be the wrong
/// test: in 768 dimensions all their neighbours are equally far.
fn embedding_like(n: usize, seed: u64) -> Vec<f32> {
    let mut fixed = Xorshift(0xA0761D6478BD642F);
    let basis: Vec<f32> = (0..LATENT * DIM).map(|_| fixed.uniform()).collect();
    let mut rng = Xorshift(seed);
    let mut out = Vec::with_capacity(n * DIM);
    let mut v = vec![0f32; DIM];
    for _ in 0..n {
        let latent: Vec<f32> = (0..LATENT).map(|_| rng.uniform() + rng.uniform()).collect();
        for (d, x) in v.iter_mut().enumerate() {
            *x = 0.3 * rng.uniform();
            for (k, l) in latent.iter().enumerate() {
                *x += l * basis[k * DIM + d];
            }
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        out.extend(v.iter().map(|x| x / norm));
    }
    out
}

fn search(n: usize, work: &Path) {
    let started = Instant::now();
    let vectors = embedding_like(n, 0x9E3779B97F4A7C15);
    let mut set = Embeddings::new("bench", DIM);
    for (i, v) in vectors.chunks_exact(DIM).enumerate() {
        set.push(format!("/photos/{i:08}.jpg"), v).unwrap();
    }
    drop(vectors);
    println!(
        "{n} x {DIM} vectors generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let queries = embedding_like(100, 0xD1B54A32D192ED03);
    let queries: Vec<&[f32]> = queries.chunks_exact(DIM).collect();

    let started = Instant::now();
    let exact: Vec<HashSet<String>> = queries
        .iter()
        .map(|q| {
            set.search(Query::new("bench", q), 10)
                .unwrap()
                .into_iter()
                .map(|h| h.file_path)
                .collect()
        })
        .collect();
    let per_query = started.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64;
    println!(
        "exact search: {per_query:.1} ms per query (top 10, {} queries)",
        queries.len()
    );

    hnsw(&set, &queries, &exact, work);
}

/// The HNSW index of `set`: its build time and size, then its speed and recall at three search
/// widths against the exact answers.
fn hnsw(set: &Embeddings, queries: &[&[f32]], exact: &[HashSet<String>], work: &Path) {
    let n = set.len();
    let started = Instant::now();
    let index = HnswIndex::build(set, &HnswOptions::default()).unwrap();
    let build = started.elapsed().as_secs_f64();
    let dir = work.join("index");
    index.save(&dir).unwrap();
    drop(index);
    let size: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "HNSW build: {build:.1} s ({:.0} vectors/s), index on disk {:.0} MB ({} bytes a vector)",
        n as f64 / build,
        size as f64 / 1e6,
        size / n as u64
    );
    let index = HnswIndex::open(&dir).unwrap();
    for ef in [128, 192, 256] {
        index.set_expansion_search(ef);
        let started = Instant::now();
        let mut found = 0;
        for _ in 0..3 {
            found = 0;
            for (q, truth) in queries.iter().zip(exact) {
                let hits = index.search(Query::new("bench", q), 10).unwrap();
                found += hits.iter().filter(|h| truth.contains(&h.file_path)).count();
            }
        }
        let per_query = started.elapsed().as_secs_f64() * 1000.0 / (3 * queries.len()) as f64;
        println!(
            "HNSW search, ef {ef}: {per_query:.2} ms per query, recall@10 {:.3}",
            found as f64 / (10 * queries.len()) as f64
        );
    }
}
