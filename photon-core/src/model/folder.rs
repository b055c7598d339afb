//! Model folders as people have them on disk: which layout a folder is, what each of its towers
//! is recognised as, and which values came from somewhere other than its own files.

use super::hf_config::folder_name;
use super::onnx_graph::{GraphInterface, TensorDecl};
use super::spec::{DESCRIPTOR_FILE, ModelFamily, ModelSpec, ModelSpecError, invalid};
use crate::text::TextSpec;
use std::path::{Path, PathBuf};

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
    /// What `quantization.json` says, for a folder `photon models quantize` made.
    pub quantization: Option<serde_json::Value>,
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
/// tokenizer filled. [`load_model_dir`](super::load_model_dir) and
/// [`load_text_dir`](crate::load_text_dir) read the same way.
pub fn describe_model_dir(dir: &Path) -> Result<ModelFolder, ModelSpecError> {
    let layout = Layout::of(dir).ok_or_else(|| ModelSpecError::NotAModel(dir.to_path_buf()))?;
    let (image, mut filled) = super::spec::image_tower(dir, layout)?;
    let text = match layout.text_model(dir) {
        Some(file) if file.is_file() => Some(crate::text::text_tower(dir, layout)),
        _ => None,
    };
    if let Some(Ok((_, text_filled))) = &text {
        filled.extend(text_filled.iter().cloned());
    }
    let quantization_file = dir.join(QUANTIZATION_FILE);
    let quantization = if quantization_file.is_file() {
        Some(super::spec::read_json(&quantization_file)?)
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
        preprocessing: crate::Preprocessing,
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
