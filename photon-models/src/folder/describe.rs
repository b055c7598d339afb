//! Everything Photon can tell about a model folder, for `photon models show`.

use super::error::{ModelSpecError, invalid, read_json};
use super::layout::{Filled, Layout, QUANTIZATION_FILE};
use super::towers::{image_tower, text_tower};
use crate::quantization::QuantizationReport;
use photon_core::{ModelFamily, ModelSpec, TextSpec};
use std::path::Path;

/// What a model folder is recognised as.
#[derive(Debug)]
#[non_exhaustive]
pub struct ModelFolder {
    /// Its layout.
    pub layout: Layout,
    /// The image tower.
    pub image: ModelSpec,
    /// The text tower: `None` when the folder has none, else the spec or why it is unusable.
    pub text: Option<Result<TextSpec, ModelSpecError>>,
    /// The values that did not come from the folder's config, image tower first.
    pub filled: Vec<Filled>,
    /// What `quantization.json` says, for a folder `quantize` made.
    pub quantization: Option<QuantizationReport>,
}

impl ModelFolder {
    /// CLIP's or SigLIP's rules, when the folder holds such a model.
    pub fn family(&self) -> Option<ModelFamily> {
        match &self.text {
            Some(Ok(text)) => Some(text.family),
            _ => None,
        }
    }
}

/// Reads everything Photon can tell about the model folder `dir`: its layout, its image tower,
/// its text tower if any, and every gap its config left that a default, the graph or the
/// tokenizer filled. [`load_model_dir`](crate::load_model_dir) and
/// [`load_text_dir`](crate::load_text_dir) read the same way.
pub fn describe_model_dir(dir: &Path) -> Result<ModelFolder, ModelSpecError> {
    let layout = Layout::of(dir).ok_or_else(|| ModelSpecError::NotAModel(dir.to_path_buf()))?;
    let (image, mut filled) = image_tower(dir, layout)?;
    let text = match layout.text_model(dir) {
        Some(file) if file.is_file() => Some(text_tower(dir, layout)),
        _ => None,
    };
    if let Some(Ok((_, text_filled))) = &text {
        filled.extend(text_filled.iter().cloned());
    }
    let quantization_file = dir.join(QUANTIZATION_FILE);
    let quantization = if quantization_file.is_file() {
        let json = read_json(&quantization_file)?;
        Some(serde_json::from_value(json).map_err(|e| invalid(&quantization_file, e))?)
    } else {
        None
    };
    Ok(ModelFolder {
        layout,
        image,
        text: text.map(|t| t.map(|(spec, _)| spec)),
        filled,
        quantization,
    })
}
