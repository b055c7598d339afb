//! `photon models`: where models live, listing them, and fetching the default one.
//!
//! Models live under the models folder ([`models_dir`]): one folder per model, plus
//! `onnxruntime/`, the ONNX Runtime library from the PyPI wheel, and `onnxruntime-gpu/` when
//! fetched with `--gpu`.

use crate::report::chain;
pub use photon_models::DEFAULT_MODEL;
use photon_models::{FetchOptions, load_model_dir, models_dir};
use std::path::PathBuf;

/// The ONNX Runtime library that will be used, if there is one.
fn onnxruntime_library() -> Option<PathBuf> {
    photon_ort::runtime_library(None).ok()
}

/// `photon models list`.
pub fn list() -> Result<(), String> {
    let root = models_dir();
    println!("models folder: {}", root.display());
    match onnxruntime_library() {
        Some(lib) => println!("onnx runtime:  {}", lib.display()),
        None => println!("onnx runtime:  not installed (photon models fetch)"),
    }
    match photon_ort::gpu_runtime_library_in(&root) {
        Ok(lib) => println!("gpu runtime:   {}", lib.display()),
        Err(_) => println!("gpu runtime:   not installed (photon models fetch --gpu)"),
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    let mut any = false;
    for dir in dirs
        .iter()
        .filter(|d| !d.ends_with("onnxruntime") && !d.ends_with(photon_ort::GPU_RUNTIME_DIR))
    {
        match load_model_dir(dir) {
            Ok(spec) => {
                any = true;
                println!(
                    "  {:<24} id {}, {}-d embedding{}, input {}x{}",
                    dir.file_name().unwrap_or_default().to_string_lossy(),
                    spec.id,
                    spec.embedding_dim,
                    if spec.logits_output.is_some() {
                        " + classifier"
                    } else {
                        ""
                    },
                    spec.preprocessing.width,
                    spec.preprocessing.height
                );
            }
            Err(e) => println!(
                "  {:<24} not usable: {}",
                dir.file_name().unwrap_or_default().to_string_lossy(),
                chain(&e)
            ),
        }
    }
    if !any {
        println!("  no models installed: `photon models fetch` installs {DEFAULT_MODEL}");
    }
    Ok(())
}

/// `photon models fetch`: [`photon_models::fetch`] into the models folder, its steps and result
/// printed.
pub fn fetch(python: &str, force: bool, gpu: bool) -> Result<(), String> {
    let mut options = FetchOptions::new(models_dir());
    options.python = python.to_owned();
    options.force = force;
    options.gpu = gpu;
    options.notice = Some(std::sync::Arc::new(|line: &str| {
        eprintln!("photon: {line}")
    }));
    let fetched = photon_models::fetch(&options).map_err(|e| crate::report::chain(&e))?;
    println!(
        "installed {} in {}",
        fetched.model.id,
        fetched.model_dir.display()
    );
    if let Some(lib) = fetched.runtime {
        println!(
            "ONNX Runtime: {} (found automatically; or export ORT_DYLIB_PATH={})",
            lib.display(),
            lib.display()
        );
    }
    Ok(())
}
