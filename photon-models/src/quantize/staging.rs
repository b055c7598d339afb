//! The folder an int8 copy is assembled in, beside its destination: every file of the source,
//! the towers quantized; renamed into place when accepted, removed otherwise (also when the
//! quantization fails or panics half way).

use super::calibration::Calibration;
use super::tools::quantize_graph;
use super::{QuantizeError, io};
use crate::folder::{DESCRIPTOR_FILE, Layout, ModelFolder, QUANTIZATION_FILE};
use crate::quantization::{QuantizationReport, QuantizeMode};
use photon_core::ModelSpec;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `.OUT.quantizing`, removed on drop unless [`Staging::finish`] renamed it.
pub(super) struct Staging {
    path: PathBuf,
    finished: bool,
}

impl Staging {
    pub(super) fn new(out: &Path) -> Result<Self, QuantizeError> {
        let name = out
            .file_name()
            .ok_or_else(|| QuantizeError::Exists(out.to_path_buf()))?;
        let path = out.with_file_name(format!(".{}.quantizing", name.to_string_lossy()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        Ok(Self {
            path,
            finished: false,
        })
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Every file of `src` copied, its towers quantized (the text tower always dynamically, as
    /// a transformer). Returns the tool versions.
    pub(super) fn quantize_towers(
        &self,
        src: &Path,
        folder: &ModelFolder,
        mode: QuantizeMode,
        tensors: &[Vec<f32>],
        tools: &Path,
        python: &str,
    ) -> Result<BTreeMap<String, String>, QuantizeError> {
        let image = folder.image.model_file.clone().ok_or_else(|| {
            QuantizeError::Calibration("the model names no file to quantize".into())
        })?;
        let text = match &folder.text {
            Some(Ok(text)) => Some(text.model_file.clone()),
            _ => None,
        };
        let towers: Vec<&Path> = std::iter::once(image.as_path())
            .chain(text.as_deref())
            .collect();
        copy_tree(src, &self.path, &towers)?;
        let calibration = (mode == QuantizeMode::Static)
            .then(|| Calibration::write(tensors, &folder.image))
            .transpose()?;
        let image_out = self.inside(src, &image)?;
        let versions = quantize_graph(
            python,
            tools,
            mode,
            &image,
            &image_out,
            calibration.as_ref(),
        );
        drop(calibration);
        let versions = versions?;
        if let Some(text) = &text {
            let text_out = self.inside(src, text)?;
            quantize_graph(python, tools, QuantizeMode::Dynamic, text, &text_out, None)?;
        }
        if folder.layout == Layout::Photon {
            self.rename_descriptor_model()?;
        }
        Ok(versions)
    }

    /// Where `file` of `src` goes in the copy.
    fn inside(&self, src: &Path, file: &Path) -> Result<PathBuf, QuantizeError> {
        let relative = file.strip_prefix(src).map_err(|_| {
            QuantizeError::Calibration(format!("{} is outside the folder", file.display()))
        })?;
        Ok(self.path.join(relative))
    }

    /// Photon's descriptor names the model: its copy says `-int8`.
    fn rename_descriptor_model(&self) -> Result<(), QuantizeError> {
        let path = self.path.join(DESCRIPTOR_FILE);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let mut spec: ModelSpec = serde_json::from_str(&text)
            .map_err(|e| QuantizeError::Calibration(format!("{}: {e}", path.display())))?;
        if !spec.id.contains("int8") {
            spec.id.push_str("-int8");
        }
        write_json(&path, &spec)
    }

    pub(super) fn write_report(&self, report: &QuantizationReport) -> Result<(), QuantizeError> {
        write_json(&self.path.join(QUANTIZATION_FILE), report)
    }

    /// Renames the folder to `out`.
    pub(super) fn finish(mut self, out: &Path) -> Result<(), QuantizeError> {
        std::fs::rename(&self.path, out).map_err(io(out))?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Copies `src` into `dest`, except the `skipped` files (the towers about to be quantized) and
/// an earlier quantization's report.
fn copy_tree(src: &Path, dest: &Path, skipped: &[&Path]) -> Result<(), QuantizeError> {
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    for entry in std::fs::read_dir(src).map_err(io(src))? {
        let path = entry.map_err(io(src))?.path();
        let target = dest.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target, skipped)?;
        } else if !skipped.contains(&path.as_path())
            && path.file_name().is_none_or(|n| n != QUANTIZATION_FILE)
        {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

pub(super) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), QuantizeError> {
    let text = serde_json::to_string_pretty(value).expect("serialises");
    std::fs::write(path, text + "\n").map_err(io(path))
}
