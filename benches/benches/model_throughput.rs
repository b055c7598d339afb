//! Raw model speed: each backend running already-prepared tensors of the real photos, at
//! batch 1 and 8, in one run so the numbers compare.
//!
//! `cargo bench -p benches --bench model_throughput` (after scripts/setup.sh). Environment:
//! `PHOTON_MODELS` (default ./models), `MODEL` (default efficientnet-lite0), `ITERS` (default 20).

use photon_core::load_model_dir;
use photon_core::{Embedder, ImageBatch};
use photon_ort::{OrtEmbedder, OrtOptions, runtime_library_in};
use photon_tract::{TractEmbedder, TractOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = std::env::var_os("PHOTON_MODELS").map_or_else(|| repo.join("models"), PathBuf::from);
    let model = std::env::var("MODEL").unwrap_or_else(|_| "efficientnet-lite0".into());
    let iters: usize = std::env::var("ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let spec =
        load_model_dir(&root.join(&model)).unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh"));
    let photos = photo_tensors(&repo, &spec);
    let (w, h) = (spec.preprocessing.width, spec.preprocessing.height);
    let batch = |n: usize| {
        ImageBatch::stack(h, w, (0..n).map(|i| photos[i % photos.len()].as_slice())).unwrap()
    };

    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let mut options = OrtOptions::default();
    options.library = runtime_library_in(&root).ok();
    let ort = OrtEmbedder::new(spec.clone(), &options).expect("ort");
    let tract = TractEmbedder::new(spec.clone(), &TractOptions::default()).expect("tract");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{} ({iters} iterations per cell, {cores} cores, {cores} threads per engine)",
        spec.id
    );
    println!(
        "{:<8} {:>7} {:>12} {:>10}",
        "backend", "batch", "images/s", "ms/image"
    );
    for (name, engine) in [("ort", &ort as &dyn Embedder), ("tract", &tract)] {
        for n in [1, 8] {
            let per_image = seconds_per_image(&runtime, engine, &batch(n), iters);
            println!(
                "{name:<8} {n:>7} {:>12.1} {:>10.2}",
                1.0 / per_image,
                1000.0 * per_image
            );
        }
    }
}

/// The repository's photos as the model's input tensors.
fn photo_tensors(repo: &std::path::Path, spec: &photon_core::ModelSpec) -> Vec<Vec<f32>> {
    std::fs::read_dir(repo.join("testdata/photos"))
        .unwrap()
        .map(|e| {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            let image = image::load_from_memory(&bytes).unwrap().into_rgb8();
            spec.preprocessing.apply(&image).unwrap()
        })
        .collect()
}

/// Seconds per image of `engine` on `input`, over `iters` calls after a warm-up.
fn seconds_per_image(
    runtime: &tokio::runtime::Runtime,
    engine: &dyn Embedder,
    input: &ImageBatch,
    iters: usize,
) -> f64 {
    runtime
        .block_on(engine.embed(input.clone()))
        .expect("warm-up");
    let start = Instant::now();
    for _ in 0..iters {
        runtime
            .block_on(engine.embed(input.clone()))
            .expect("embed");
    }
    start.elapsed().as_secs_f64() / (iters * input.len) as f64
}
