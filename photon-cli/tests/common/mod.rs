//! What the command's integration tests share: where the test data, the installed models and
//! ONNX Runtime are, the Python environments of scripts/py-env.sh, and folders of photo copies.
//! Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The repository's test data.
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// The installed models (scripts/setup.sh): `$PHOTON_MODELS`, else the checkout's `models/`.
/// Fails loudly when the default model is missing.
pub fn models() -> PathBuf {
    let dir =
        std::env::var_os("PHOTON_MODELS").map_or_else(|| root().join("models"), PathBuf::from);
    assert!(
        dir.join("efficientnet-lite0/photon-model.json").is_file(),
        "default model not installed in {}: run scripts/setup.sh",
        dir.display()
    );
    dir
}

/// The ONNX Runtime library `photon models fetch` installed.
pub fn onnxruntime() -> PathBuf {
    let capi = models().join("onnxruntime/onnxruntime/capi");
    std::fs::read_dir(&capi)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/setup.sh)", capi.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("libonnxruntime.so."))
        .expect("ONNX Runtime installed by photon models fetch")
}

/// The interpreter of the Python environment scripts/py-env.sh makes for `name` (its
/// packages listed in scripts/python/NAME.txt).
pub fn python_env(name: &str) -> PathBuf {
    let made = Command::new(root().join("scripts/py-env.sh"))
        .arg(name)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "cannot make the {name} Python environment: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    PathBuf::from(String::from_utf8(made.stdout).unwrap().trim())
}

/// `dir/photos` holding `n` copies of the sample photos, named `NNN_<photo>`.
pub fn photo_copies(dir: &Path, n: usize) -> PathBuf {
    let folder = dir.join("photos");
    std::fs::create_dir_all(&folder).unwrap();
    let mut originals: Vec<PathBuf> = std::fs::read_dir(testdata().join("photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    originals.sort();
    for i in 0..n {
        let from = &originals[i % originals.len()];
        let name = format!("{i:03}_{}", from.file_name().unwrap().to_string_lossy());
        std::fs::copy(from, folder.join(name)).unwrap();
    }
    folder
}

/// The standard output of a run that must succeed; its standard error otherwise.
pub fn ok(run: &Output) -> String {
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}
