//! Model folders as people have them on disk: which layout a folder is, where each tower's files
//! are, and where a value the folder left out came from.

use std::path::{Path, PathBuf};

/// File name of Photon's model descriptor inside a model directory.
pub const DESCRIPTOR_FILE: &str = "photon-model.json";

/// The layouts Photon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// `photon-model.json` beside the model file (what `photon models fetch` writes).
    Photon,
    /// Hugging Face's ONNX layout: `onnx/vision_model.onnx`, `onnx/text_model.onnx`,
    /// `config.json`, `preprocessor_config.json`, `tokenizer.json`.
    HuggingFace,
    /// immich's: `visual/model.onnx`, `textual/model.onnx`, OpenCLIP's `config.json`,
    /// `visual/preprocess_cfg.json`, `textual/tokenizer.json`.
    Immich,
}

impl Layout {
    /// The layout of `dir`, by the files that mark it.
    pub fn of(dir: &Path) -> Option<Layout> {
        if dir.join(DESCRIPTOR_FILE).is_file() {
            Some(Layout::Photon)
        } else if dir.join(HF_VISION).is_file() {
            Some(Layout::HuggingFace)
        } else if dir.join(IMMICH_VISION).is_file() {
            Some(Layout::Immich)
        } else {
            None
        }
    }

    /// The layout of a folder that may hold a text tower alone (no image tower), by its text
    /// model file when no image tower marks it.
    pub fn of_text(dir: &Path) -> Option<Layout> {
        Layout::of(dir).or_else(|| {
            [Layout::HuggingFace, Layout::Immich]
                .into_iter()
                .find(|layout| layout.text_model(dir).is_some_and(|f| f.is_file()))
        })
    }

    /// The text tower's model file in this layout, if the layout has one.
    pub fn text_model(self, dir: &Path) -> Option<PathBuf> {
        match self {
            Layout::Photon => None,
            Layout::HuggingFace => Some(dir.join(HF_TEXT)),
            Layout::Immich => Some(dir.join(IMMICH_TEXT)),
        }
    }
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Photon => "Photon (photon-model.json)",
            Layout::HuggingFace => "Hugging Face ONNX (onnx/*.onnx, config.json)",
            Layout::Immich => "immich / OpenCLIP (visual/, textual/, config.json)",
        })
    }
}

/// The file `photon models quantize` writes into a quantized folder: the mode, the tool
/// versions, the source model's id and the accuracy measured against it.
pub const QUANTIZATION_FILE: &str = "quantization.json";

pub(crate) const HF_VISION: &str = "onnx/vision_model.onnx";
pub(crate) const HF_TEXT: &str = "onnx/text_model.onnx";
pub(crate) const IMMICH_VISION: &str = "visual/model.onnx";
pub(crate) const IMMICH_TEXT: &str = "textual/model.onnx";

/// Where a value the folder's own config left out came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueSource {
    /// A library's default (transformers' configuration class, OpenCLIP's preprocessing, ...).
    Default(&'static str),
    /// The shapes the ONNX graph declares.
    Graph(PathBuf),
    /// The tokenizer's files.
    Tokenizer(PathBuf),
}

impl std::fmt::Display for ValueSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueSource::Default(source) => write!(f, "default of {source}"),
            ValueSource::Graph(file) => write!(f, "declared by {}", file.display()),
            ValueSource::Tokenizer(file) => write!(f, "named in {}", file.display()),
        }
    }
}

/// A value that filled a gap in a folder's config.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filled {
    /// The field as the config would spell it (`text_config.pad_token_id`).
    pub field: String,
    /// The value used.
    pub value: String,
    /// Where it came from.
    pub source: ValueSource,
}

/// The name a folder's model goes by: the folder's own name, else `fallback`.
pub(crate) fn folder_name(dir: &Path, fallback: &str) -> String {
    dir.file_name()
        .map_or_else(|| fallback.to_owned(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_models_folder_knows_every_layout_by_the_same_files() {
        let markers = [DESCRIPTOR_FILE, HF_VISION, IMMICH_VISION];
        assert_eq!(markers, photon_backend_common::MODEL_FOLDER_MARKERS);
    }
}
