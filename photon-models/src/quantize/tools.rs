//! onnxruntime's quantization tooling: installed once into the models folder, run one graph at a
//! time through `python/quantize.py`.

use super::calibration::Calibration;
use super::{QuantizeError, io};
use crate::python::{pip, run_script, utf8};
use crate::quantization::QuantizeMode;
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

const SCRIPT: &str = include_str!("../../python/quantize.py");
/// What the script imports, installed once beside the models (with their dependencies).
const TOOLS: [&str; 3] = [crate::fetch::ONNXRUNTIME, "onnx", "numpy"];

/// A Python path holding onnxruntime's quantization tooling, onnx and numpy, installed once
/// into the models folder. pip fills a folder of its own that is then renamed into place, so
/// that two installs at once (two quantizations, two tests) never mix their files.
pub(super) fn install(python: &str, models: &Path) -> Result<PathBuf, QuantizeError> {
    let dir = models.join("quantize-tools");
    if dir.join("onnxruntime/quantization").is_dir() && dir.join("onnx").is_dir() {
        return Ok(dir);
    }
    std::fs::create_dir_all(models).map_err(io(models))?;
    let partial = dir.with_file_name(format!(".quantize-tools.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let target = utf8(&partial).map_err(QuantizeError::Tool)?;
    let mut args = vec!["install", "--quiet", "--target", target];
    args.extend(TOOLS);
    let installed = pip(python, &args);
    if installed.is_ok() && std::fs::rename(&partial, &dir).is_ok() {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&partial);
    installed.map_err(QuantizeError::Tool)?;
    // Another install got there first.
    Ok(dir)
}

/// The graph `src` quantized into `out`; returns the tool versions the script reports.
pub(super) fn quantize_graph(
    python: &str,
    tools: &Path,
    mode: QuantizeMode,
    src: &Path,
    out: &Path,
    calibration: Option<&Calibration>,
) -> Result<BTreeMap<String, String>, QuantizeError> {
    let mut args: Vec<&OsStr> = vec![mode.name().as_ref(), src.as_os_str(), out.as_os_str()];
    if let Some(calibration) = calibration {
        args.push(calibration.dir.as_os_str());
        args.push(calibration.input_name.as_ref());
    }
    let answer = run_script(python, SCRIPT, &args, tools).map_err(QuantizeError::Tool)?;
    serde_json::from_str(&answer).map_err(|e| {
        QuantizeError::Tool(crate::python::PythonError::new(
            "quantize.py",
            format!("said {answer:?}: {e}"),
        ))
    })
}
