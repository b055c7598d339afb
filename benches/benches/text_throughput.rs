//! Text-encoding throughput of each backend on a text tower, and the label-bank figures:
//! building, loading from the cache (time and memory) and scoring.
//!
//! ```sh
//! /path/to/python scripts/make_tiny_text.py --base /tmp/photon-base-siglip-text
//! TEXT_MODEL=/tmp/photon-base-siglip-text cargo bench -p benches --bench text_throughput
//! ```
//! Environment: `TEXT_MODEL` (a folder with onnx/text_model.onnx, tokenizer.json, config.json;
//! default the tiny SigLIP test model), `TEXTS` (prompts per backend, default 64).

use photon_core::Label;
use photon_core::TextEncoder;
use photon_models::LabelBank;
use photon_models::{TextTokenizer, load_text_dir};
use photon_ort::{OrtOptions, OrtTextEncoder, runtime_library_in};
use photon_tract::{TractOptions, TractTextEncoder};
use std::path::PathBuf;
use std::time::Instant;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = std::env::var_os("TEXT_MODEL")
        .map_or_else(|| repo.join("testdata/models/tiny-siglip"), PathBuf::from);
    let texts: usize = std::env::var("TEXTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let models =
        std::env::var_os("PHOTON_MODELS").map_or_else(|| repo.join("models"), PathBuf::from);
    encoder_rates(&dir, &models, &prompts(texts));
    label_bank_load(80_000, 768);
}

/// `texts` prompts over a few everyday subjects.
fn prompts(texts: usize) -> Vec<String> {
    let words = [
        "cat",
        "dog",
        "red sneakers",
        "beach at sunset",
        "espresso",
        "a city street",
        "mountain",
        "kite",
    ];
    (0..texts)
        .map(|i| format!("a photo of a {}", words[i % words.len()]))
        .collect()
}

/// Texts per second of the text tower in `dir` on each engine, in batches of 8.
fn encoder_rates(dir: &std::path::Path, models: &std::path::Path, prompts: &[String]) {
    let spec = load_text_dir(dir).expect("a text tower folder");
    let tokenizer = TextTokenizer::from_spec(&spec).unwrap();
    let prompts: Vec<&str> = prompts.iter().map(String::as_str).collect();
    let mut options = OrtOptions::default();
    options.library = runtime_library_in(models).ok();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let ort = OrtTextEncoder::new(spec.clone(), &options).expect("ort");
    let tract = TractTextEncoder::new(spec.clone(), &TractOptions::default()).expect("tract");
    let texts = prompts.len();
    println!(
        "{} ({texts} prompts, batches of 8, length {})",
        spec.id, spec.max_len
    );
    for (name, engine) in [("ort", &ort as &dyn TextEncoder), ("tract", &tract)] {
        let encode = |chunk: &[&str]| {
            let tokens = tokenizer.encode(chunk).unwrap();
            runtime.block_on(engine.encode(tokens)).unwrap();
        };
        encode(&prompts[..8.min(texts)]);
        let start = Instant::now();
        prompts.chunks(8).for_each(encode);
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "  {name:<6} {:>8.1} texts/s  ({:.2} ms/text)",
            texts as f64 / seconds,
            1000.0 * seconds / texts as f64
        );
    }
}

/// Loading a cached label bank of `n` labels × `dim`: time and resident memory.
fn label_bank_load(n: usize, dim: usize) {
    let labels: Vec<Label> = (0..n)
        .map(|i| Label {
            synset: None,
            name: format!("label {i}"),
        })
        .collect();
    let vectors: Vec<f32> = (0..n * dim)
        .map(|i| ((i % 997) as f32 / 997.0) - 0.5)
        .collect();
    let bank = LabelBank::new(labels, dim, vectors).unwrap();
    let cache = std::env::temp_dir().join("photon-bench-bank.labelbank");
    bank.save(&cache, "bench").unwrap();
    drop(bank);
    let before = rss_mib();
    let start = Instant::now();
    let loaded = LabelBank::load(&cache, "bench").unwrap().unwrap();
    let load_ms = 1000.0 * start.elapsed().as_secs_f64();
    let grew = rss_mib() - before;
    println!(
        "label bank {n} x {dim}: file {:.0} MiB, load {load_ms:.0} ms, resident +{grew:.0} MiB (vectors alone {:.0} MiB)",
        std::fs::metadata(&cache).unwrap().len() as f64 / (1 << 20) as f64,
        (n * dim * 4) as f64 / (1 << 20) as f64
    );
    assert_eq!(loaded.len(), n);
    let _ = std::fs::remove_file(&cache);
}
