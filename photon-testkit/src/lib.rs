//! What the workspace's integration tests share: where the test data, the installed models and
//! ONNX Runtime are, the Python environments of scripts/py-env.sh, folders of photo copies,
//! pixel comparisons, and the servers tests start. Every helper fails loudly, never skips, when what it looks for is missing.
#![deny(missing_docs)]

mod process;
mod vlm_server;

pub use process::{KilledOnDrop, loopback_port};
pub use vlm_server::VlmServer;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the testkit is in the workspace")
        .to_path_buf()
}

/// The repository's test data.
pub fn testdata() -> PathBuf {
    root().join("testdata")
}

/// Files of one testdata subfolder, sorted.
pub fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
        .unwrap_or_else(|e| panic!("testdata/{dir} is missing: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "testdata/{dir} is empty");
    files
}

/// A file of `testdata/<dir>/`.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(dir).join(name)).unwrap()
}

/// Mean absolute difference per sample of two images of the same size.
pub fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// hopper's middle, 96x128, upright: the picture the HEIF and JPEG XL fixtures hold.
pub fn hopper_middle() -> image::RgbImage {
    let hopper = image::open(testdata().join("exif/hopper.jpg"))
        .unwrap()
        .into_rgb8();
    image::imageops::crop_imm(&hopper, 16, 0, 96, 128).to_image()
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

/// Copies the folder `from` to `to` (created), recursively: a model folder put where a test
/// serves or edits it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The SCRFD- and ArcFace-shaped test models (testdata/models/faces-tiny, an insightface pack)
/// copied into immich's layout under the models folder `models`:
/// `facial-recognition/buffalo_l/{detection,recognition}/model.onnx`. Returns that folder.
pub fn immich_face_models(models: &Path) -> PathBuf {
    let pack = testdata().join("models/faces-tiny");
    let folder = models.join("facial-recognition/buffalo_l");
    for (file, part) in [
        ("det_10g.onnx", "detection"),
        ("w600k_r50.onnx", "recognition"),
    ] {
        std::fs::create_dir_all(folder.join(part)).unwrap();
        std::fs::copy(pack.join(file), folder.join(part).join("model.onnx")).unwrap();
    }
    folder
}
