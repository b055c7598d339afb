//! A model file read once: the interface its graph declares and the id it gives the model.

use super::error::{ModelSpecError, invalid};
use super::layout::{QUANTIZATION_FILE, folder_name};
use super::onnx_graph::{GraphInterface, TensorDecl};
use photon_core::{ModelSpec, Preprocessing};
use std::path::{Path, PathBuf};

/// A model file read once: its graph's interface and the id it gives the model.
pub(crate) struct ModelFile {
    pub(crate) path: PathBuf,
    pub(crate) graph: GraphInterface,
    /// The first 12 hex digits of the file's BLAKE3, so records name the exact weights.
    pub(crate) hash: String,
}

impl ModelFile {
    pub(crate) fn read(path: PathBuf) -> Result<Self, ModelSpecError> {
        let bytes = std::fs::read(&path).map_err(|source| ModelSpecError::Io {
            path: path.clone(),
            source,
        })?;
        let graph = GraphInterface::parse(&bytes).map_err(|e| invalid(&path, e))?;
        let hash = blake3::hash(&bytes).to_hex()[..12].to_owned();
        Ok(Self { path, graph, hash })
    }

    /// The spec of the image tower in this file, fed through `input` and embedding with
    /// `output`; a graph that fixes its batch at 1 never gets more.
    pub(crate) fn image_spec(
        &self,
        id: String,
        preprocessing: Preprocessing,
        dim: usize,
        input: &TensorDecl,
        output: &TensorDecl,
    ) -> ModelSpec {
        let spec = ModelSpec::new(id, preprocessing, dim)
            .with_io_names(&input.name, &output.name, None)
            .with_model_file(self.path.clone());
        match input.batch_dim() {
            Some(1) => spec.with_max_batch(1),
            _ => spec,
        }
    }

    /// `name@hash`, the model's id in records; a quantized folder's name says `int8`, so its
    /// vectors are never taken for the float model's even by eye.
    pub(crate) fn id(&self, dir: &Path, fallback: &str, suffix: &str) -> String {
        let mut name = folder_name(dir, fallback);
        if dir.join(QUANTIZATION_FILE).is_file() && !name.contains("int8") {
            name.push_str("-int8");
        }
        format!("{name}{suffix}@{}", self.hash)
    }
}
