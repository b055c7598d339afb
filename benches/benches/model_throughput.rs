//! Raw model speed: each backend running already-prepared tensors of the real photos, at
//! batch 1 and 8, in one run so the numbers compare.
//!
//! `cargo bench -p benches --bench model_throughput` (after scripts/setup.sh). Environment:
//! `PHOTON_MODELS` (default ./models), `MODEL` (a folder name there, or a path; default
//! efficientnet-lite0), `ITERS` (default 20), `BATCHES` (default `1,8`), `DEVICE` (`cpu`, or
//! `cuda[:N]` for ONNX Runtime's CUDA provider alone, as benches/gpu.sh runs it).

use photon_backend_common::Device;
use photon_core::{Embedder, ImageBatch};
use photon_models::load_model_dir;
use photon_ort::{OrtEmbedder, OrtOptions, gpu_runtime_library_in, runtime_library_in};
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
    let device: Device = std::env::var("DEVICE")
        .unwrap_or_else(|_| "cpu".into())
        .parse()
        .unwrap_or_else(|e| panic!("DEVICE: {e}"));
    let batches: Vec<usize> = std::env::var("BATCHES")
        .unwrap_or_else(|_| "1,8".into())
        .split(',')
        .map(|n| n.trim().parse().expect("BATCHES: numbers"))
        .collect();
    let mut spec =
        load_model_dir(&root.join(&model)).unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh"));
    spec = spec.with_max_batch(batches.iter().copied().max().unwrap_or(8));
    let photos = photo_tensors(&repo, &spec);
    let (w, h) = (spec.preprocessing.width, spec.preprocessing.height);
    let batch = |n: usize| {
        ImageBatch::stack(h, w, (0..n).map(|i| photos[i % photos.len()].as_slice())).unwrap()
    };

    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let engines = engines(&spec, device, &root);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "{} on {device} ({iters} iterations per cell, {cores} cores, {cores} threads per engine)",
        spec.id
    );
    println!(
        "{:<8} {:>7} {:>12} {:>10}",
        "backend", "batch", "images/s", "ms/image"
    );
    for (name, engine) in &engines {
        for &n in &batches {
            let per_image = seconds_per_image(&runtime, engine.as_ref(), &batch(n), iters);
            println!(
                "{name:<8} {n:>7} {:>12.1} {:>10.2}",
                1.0 / per_image,
                1000.0 * per_image
            );
        }
    }
}

/// ONNX Runtime on `device`, and tract beside it on the CPU.
fn engines(
    spec: &photon_core::ModelSpec,
    device: Device,
    root: &std::path::Path,
) -> Vec<(&'static str, Box<dyn Embedder>)> {
    let mut options = OrtOptions::default();
    options.device = device;
    options.library = match device {
        Device::Cpu => runtime_library_in(root).ok(),
        _ => gpu_runtime_library_in(root).ok(),
    };
    let ort = OrtEmbedder::new(spec.clone(), &options).unwrap_or_else(|e| panic!("ort: {e}"));
    let mut engines: Vec<(&str, Box<dyn Embedder>)> = vec![("ort", Box::new(ort))];
    if device == Device::Cpu {
        let tract = TractEmbedder::new(spec.clone(), &TractOptions::default()).expect("tract");
        engines.push(("tract", Box::new(tract)));
    }
    engines
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
