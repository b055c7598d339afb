//! The folder Photon keeps its models in, found the same way from every program: here, below
//! photon-models, because the ONNX Runtime backend looks there for the library the fetch
//! installs.

use std::path::{Path, PathBuf};

/// The files that mark a model folder in each layout photon-models reads (its `Layout::of`
/// looks for the same ones; a test there keeps the two in step).
pub const MODEL_FOLDER_MARKERS: [&str; 3] = [
    "photon-model.json",
    "onnx/vision_model.onnx",
    "visual/model.onnx",
];

/// Where Photon keeps model folders unless told otherwise, so that `photon` finds them from any
/// directory:
/// 1. `$PHOTON_MODELS`;
/// 2. `./models`, when it holds Photon's models (`onnxruntime/` or a model folder), as in a
///    checkout after `scripts/setup.sh`;
/// 3. the per-user data folder: `$XDG_DATA_HOME/photon/models`, else
///    `~/.local/share/photon/models`;
/// 4. `./models` when there is no home folder.
///
/// `photon models fetch` installs there, and the ONNX Runtime backend looks there for the
/// runtime library the fetch installs.
pub fn models_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("PHOTON_MODELS") {
        return dir;
    }
    let local = PathBuf::from("models");
    if holds_models(&local) {
        return local;
    }
    let data_home = var("XDG_DATA_HOME")
        .filter(|d| d.is_absolute())
        .or_else(|| var("HOME").map(|home| home.join(".local/share")));
    data_home.map_or(local, |data| data.join("photon/models"))
}

/// Whether `dir` holds what `photon models fetch` installs or any model folder (a folder of
/// photos of fashion models does not count).
fn holds_models(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(|e| e.ok().map(|e| e.path())).any(|p| {
        p.ends_with("onnxruntime") || MODEL_FOLDER_MARKERS.iter().any(|m| p.join(m).is_file())
    })
}
