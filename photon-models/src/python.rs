//! Python through its own tools: pip installing into a folder of the models directory, and the
//! scripts that convert and quantize models with the PyPI packages that define those formats.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a Python step failed: the command, and what it said or why it could not run.
#[derive(Debug, thiserror::Error)]
#[error("{command}: {message}")]
pub struct PythonError {
    /// The command, shortened to what a person would type (`python3 -m pip install ...`).
    pub command: String,
    /// Its standard error, its exit status, or why it did not start.
    pub message: String,
}

impl PythonError {
    pub(crate) fn new(command: impl Into<String>, message: impl ToString) -> Self {
        Self {
            command: command.into(),
            message: message.to_string(),
        }
    }
}

/// `python -m pip ARGS`, its output left on the terminal.
pub(crate) fn pip(python: &str, args: &[&str]) -> Result<(), PythonError> {
    let command = format!("{python} -m pip {}", args.join(" "));
    let status = Command::new(python)
        .args(["-m", "pip"])
        .args(args)
        .args(["--disable-pip-version-check"])
        .status()
        .map_err(|e| PythonError::new(&command, e))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| PythonError::new(command, status))
}

/// Whether `python` imports `modules` (`"numpy, onnx"`).
pub(crate) fn has_modules(python: &str, modules: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `path` as pip takes it.
pub(crate) fn utf8(path: &Path) -> Result<&str, PythonError> {
    path.to_str()
        .ok_or_else(|| PythonError::new(path.display().to_string(), "not valid UTF-8"))
}

/// A fresh folder of this process under the system's temporary folder.
pub(crate) fn scratch_dir(purpose: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "photon-{purpose}-{}-{}",
        std::process::id(),
        SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

static SCRATCH: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs the Python `script` (its source) with `args` and `PYTHONPATH`; returns the last line it
/// printed, which the scripts use for their JSON answer.
pub(crate) fn run_script(
    python: &str,
    source: &str,
    args: &[&std::ffi::OsStr],
    pythonpath: &Path,
) -> Result<String, PythonError> {
    let dir = scratch_dir("script").map_err(|e| PythonError::new(python, e))?;
    let script = dir.join("script.py");
    let run = std::fs::write(&script, source)
        .and_then(|()| {
            Command::new(python)
                .arg(&script)
                .args(args)
                .env("PYTHONPATH", pythonpath)
                .output()
        })
        .map_err(|e| PythonError::new(python, e));
    let _ = std::fs::remove_dir_all(&dir);
    let run = run?;
    let command = format!("{python} {}", args.join(" ".as_ref()).to_string_lossy());
    if !run.status.success() {
        return Err(PythonError::new(
            command,
            String::from_utf8_lossy(&run.stderr).trim(),
        ));
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    Ok(stdout.lines().last().unwrap_or_default().to_owned())
}
