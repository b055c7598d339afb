//! Shared set-up for the backend parity tests: where the models are, and loading both engines.
//! The tests fail loudly when a model or the ONNX Runtime library is missing; `scripts/setup.sh`
//! installs them.

use photon_core::{Embedder, ImageBatch, ModelOutput, ModelSpec};
use photon_ort::{OrtEmbedder, OrtOptions, runtime_library_in};
use photon_tract::{TractEmbedder, TractOptions};
use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The installed-models folder: `$PHOTON_MODELS` or `<repo>/models`.
pub fn models_root() -> PathBuf {
    std::env::var_os("PHOTON_MODELS").map_or_else(|| repo().join("models"), PathBuf::from)
}

/// The ONNX Runtime library, or a panic that says how to install it.
pub fn ort_library() -> PathBuf {
    runtime_library_in(&models_root()).unwrap_or_else(|e| panic!("{e}: run scripts/setup.sh"))
}

/// ONNX Runtime's default options, with the installed library.
pub fn ort_options() -> OrtOptions {
    let mut options = OrtOptions::default();
    options.library = Some(ort_library());
    options
}

/// Both engines on one spec.
pub fn both_engines(spec: &ModelSpec) -> (OrtEmbedder, TractEmbedder) {
    let ort = OrtEmbedder::new(spec.clone(), &ort_options()).unwrap_or_else(|e| panic!("ort: {e}"));
    let tract = TractEmbedder::new(spec.clone(), &TractOptions::default())
        .unwrap_or_else(|e| panic!("tract: {e}"));
    (ort, tract)
}

/// Runs one batch to completion.
pub async fn embed(engine: &dyn Embedder, batch: &ImageBatch) -> Vec<ModelOutput> {
    engine
        .embed(batch.clone())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", engine.backend()))
}

/// Largest absolute difference between two equally long vectors.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "lengths differ");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// `v` scaled to unit length.
pub fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Cosine similarity.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// The README's Rust snippets, compiled as doctests here, where every crate they use is a
/// dependency, so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
