//! Where the `onnxruntime` wheels keep their shared library.

use std::path::{Path, PathBuf};

/// The ONNX Runtime library inside a `pip install --target DIR onnxruntime` folder
/// (`DIR/onnxruntime/capi/libonnxruntime.so.<version>`; the wheel has no unversioned name).
pub(crate) fn find_wheel_library(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir.join("onnxruntime/capi"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("libonnxruntime.so."))
        })
        .collect();
    found.sort();
    found.pop()
}
