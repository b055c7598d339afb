//! Each tower of a folder, in whichever [`Layout`] it is: the image tower's [`ModelSpec`] and
//! the text tower's [`TextSpec`], with the gaps their configs left.

use super::error::{ModelSpecError, invalid, read_json};
use super::hf_text::hf_text_tower;
use super::hf_vision::hf_vision_tower;
use super::immich::{immich_text_tower, immich_vision_tower};
use super::layout::{DESCRIPTOR_FILE, Filled, Layout};
use photon_core::{
    ChannelOrder, ModelSpec, Normalization, Preprocessing, ResizeFilter, ResizeMode, TextSpec,
};
use std::path::Path;

/// EfficientNet-Lite0 (ImageNet-1k) as `photon models fetch` installs it in `dir`: `model.onnx`
/// (input `input`, outputs `logits` and `embedding` of 1280) and `labels.tsv`.
/// Preprocessing: shorter side 256 (bicubic), centre crop 224, `(x - 127) / 128`.
pub fn efficientnet_lite0(dir: &Path) -> ModelSpec {
    let preprocessing = Preprocessing::new(224, 224)
        .resize(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 256 })
        .filter(ResizeFilter::Bicubic)
        .normalization(Normalization::ScaleOffset {
            scale: [1.0 / 128.0; 3],
            offset: [-127.0 / 128.0; 3],
        })
        .channel_order(ChannelOrder::Rgb);
    ModelSpec::new("efficientnet-lite0", preprocessing, 1280)
        .with_model_file(dir.join("model.onnx"))
        .with_io_names("input", "embedding", Some("logits"))
        .with_labels_file(dir.join("labels.tsv"))
}

/// Loads the spec of the image tower in `dir`, in any [`Layout`]. The id gets the first 12 hex
/// digits of the model file's BLAKE3, so records name the exact weights that made them.
pub fn load_model_dir(dir: &Path) -> Result<ModelSpec, ModelSpecError> {
    let layout = Layout::of(dir).ok_or_else(|| ModelSpecError::NotAModel(dir.to_path_buf()))?;
    image_tower(dir, layout).map(|(spec, _)| spec)
}

/// The image tower of a folder in `layout`, with the gaps its config left.
pub(crate) fn image_tower(
    dir: &Path,
    layout: Layout,
) -> Result<(ModelSpec, Vec<Filled>), ModelSpecError> {
    match layout {
        Layout::Photon => photon_descriptor(dir).map(|spec| (spec, Vec::new())),
        Layout::HuggingFace => hf_vision_tower(dir),
        Layout::Immich => immich_vision_tower(dir),
    }
}

/// `photon-model.json`: a serialised spec with paths relative to the folder.
fn photon_descriptor(dir: &Path) -> Result<ModelSpec, ModelSpecError> {
    let descriptor = dir.join(DESCRIPTOR_FILE);
    let mut spec: ModelSpec =
        serde_json::from_value(read_json(&descriptor)?).map_err(|e| invalid(&descriptor, e))?;
    spec.model_file = spec.model_file.map(|f| dir.join(f));
    spec.labels_file = spec.labels_file.map(|f| dir.join(f));
    if let Some(file) = &spec.model_file {
        let bytes = std::fs::read(file).map_err(|source| ModelSpecError::Io {
            path: file.clone(),
            source,
        })?;
        spec.id = format!("{}@{}", spec.id, &blake3::hash(&bytes).to_hex()[..12]);
    }
    Ok(spec)
}

/// Whether the model folder `dir` has a text tower.
pub fn has_text_tower(dir: &Path) -> bool {
    Layout::of_text(dir)
        .and_then(|layout| layout.text_model(dir))
        .is_some_and(|file| file.is_file())
}

/// Reads the text tower of a CLIP or SigLIP folder, Hugging Face's layout or immich's: the
/// model file, its tokenizer, and the lengths, token ids and scale its config gives, with
/// transformers' defaults, the graph and the tokenizer's files filling the gaps.
pub fn load_text_dir(dir: &Path) -> Result<TextSpec, ModelSpecError> {
    let layout =
        Layout::of_text(dir).ok_or_else(|| ModelSpecError::NotAModel(dir.to_path_buf()))?;
    text_tower(dir, layout).map(|(spec, _)| spec)
}

/// The text tower of a folder in `layout`, with the gaps its config left.
pub(crate) fn text_tower(
    dir: &Path,
    layout: Layout,
) -> Result<(TextSpec, Vec<Filled>), ModelSpecError> {
    match layout.text_model(dir) {
        Some(file) if file.is_file() => {}
        _ => return Err(ModelSpecError::NotAModel(dir.to_path_buf())),
    }
    match layout {
        Layout::Immich => immich_text_tower(dir),
        _ => hf_text_tower(dir),
    }
}
