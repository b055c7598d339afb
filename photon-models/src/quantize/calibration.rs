//! The preprocessed calibration images as onnxruntime's static quantizer reads them.

use super::{QuantizeError, io};
use photon_core::ModelSpec;
use std::path::PathBuf;

/// The preprocessed calibration images as the static quantizer reads them: `shape.json` and one
/// little-endian float32 file per image, in a folder removed on drop.
pub(super) struct Calibration {
    pub(super) dir: PathBuf,
    pub(super) input_name: String,
}

impl Calibration {
    pub(super) fn write(tensors: &[Vec<f32>], spec: &ModelSpec) -> Result<Self, QuantizeError> {
        let dir = crate::python::scratch_dir("calibration").map_err(io(&std::env::temp_dir()))?;
        let calibration = Self {
            dir,
            input_name: spec.input_name.clone(),
        };
        let p = &spec.preprocessing;
        let shape = calibration.dir.join("shape.json");
        let json = serde_json::to_string(&[3, p.height, p.width]).expect("serialises");
        std::fs::write(&shape, json).map_err(io(&shape))?;
        for (i, tensor) in tensors.iter().enumerate() {
            let file = calibration.dir.join(format!("{i:04}.f32"));
            let bytes: Vec<u8> = tensor.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(&file, bytes).map_err(io(&file))?;
        }
        Ok(calibration)
    }
}

impl Drop for Calibration {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
