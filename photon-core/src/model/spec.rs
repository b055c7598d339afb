//! [`ModelSpec`], everything an engine needs to know about an image model, and where specs come
//! from: presets for known models, and model folders.
//!
//! A model folder is in one of the [`Layout`]s: Photon's own (`photon-model.json`, a serialised
//! [`ModelSpec`] with paths relative to the folder, as `photon models fetch` writes for
//! EfficientNet-Lite0), Hugging Face's ONNX layout, or immich's.

use super::folder::{Filled, Layout};
use crate::preprocess::{ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File name of Photon's model descriptor inside a model directory.
pub const DESCRIPTOR_FILE: &str = "photon-model.json";

/// Where Photon keeps model folders unless told otherwise, so that `photon` finds them from any
/// directory:
/// 1. `$PHOTON_MODELS`;
/// 2. `./models`, when it holds Photon's models (`onnxruntime/` or a model folder), as in a
///    checkout after `scripts/setup.sh`;
/// 3. the per-user data folder: `$XDG_DATA_HOME/photon/models`, else
///    `~/.local/share/photon/models`;
/// 4. `./models` when there is no home folder.
///
/// `photon models fetch` installs there, and the ONNX Runtime backend looks there for the
/// runtime library the fetch installs.
pub fn models_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("PHOTON_MODELS") {
        return dir;
    }
    let local = PathBuf::from("models");
    if holds_models(&local) {
        return local;
    }
    let data_home = var("XDG_DATA_HOME")
        .filter(|d| d.is_absolute())
        .or_else(|| var("HOME").map(|home| home.join(".local/share")));
    data_home.map_or(local, |data| data.join("photon/models"))
}

/// Whether `dir` holds what `photon models fetch` installs or any model folder (a folder of
/// photos of fashion models does not count).
fn holds_models(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .any(|p| p.ends_with("onnxruntime") || Layout::of(&p).is_some())
}

/// The family of a CLIP-style model, which decides its outputs, tokenisation and scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFamily {
    /// SigLIP: embeddings from `pooler_output`, fixed-length text padded with the pad token and
    /// no attention mask, sigmoid scores.
    Siglip,
    /// CLIP: projected embeddings (`image_embeds`, `text_embeds`), start and end-of-text tokens
    /// with an attention mask, softmax scores.
    Clip,
}

/// Everything the pipeline and the engines need to know about an image model. Both ONNX
/// backends read the same spec, so swapping engines changes nothing else. A preset gives the
/// spec of a known model ([`efficientnet_lite0`]); [`load_model_dir`] reads one from a folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelSpec {
    /// Identifies the model in every record it contributes to (name and version or file hash).
    pub id: String,
    /// How an upright image becomes the model's input.
    pub preprocessing: Preprocessing,
    /// Length of each embedding vector.
    pub embedding_dim: usize,
    /// Most images the engine takes in one call; the driver's micro-batches never exceed it.
    pub max_batch: usize,
    /// The model file, for engines that load one (`None` for models that live in code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_file: Option<PathBuf>,
    /// Name of the image input (NCHW f32).
    pub input_name: String,
    /// Name of the output that holds the embedding (`[N, embedding_dim]`).
    pub embedding_output: String,
    /// Name of the classifier-logits output, for models that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logits_output: Option<String>,
    /// Class names, one per logit: a TSV `id<TAB>name` or one name per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_file: Option<PathBuf>,
}

impl ModelSpec {
    /// A spec with `max_batch` 8, input `input`, embedding output `embedding`, no file, no
    /// logits and no labels; set the other fields as needed.
    pub fn new(id: impl Into<String>, preprocessing: Preprocessing, embedding_dim: usize) -> Self {
        Self {
            id: id.into(),
            preprocessing,
            embedding_dim,
            max_batch: 8,
            model_file: None,
            input_name: "input".into(),
            embedding_output: "embedding".into(),
            logits_output: None,
            labels_file: None,
        }
    }

    /// The same spec reading `file`.
    pub fn with_model_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.model_file = Some(file.into());
        self
    }

    /// The same spec with other input and output names.
    pub fn with_io_names(
        mut self,
        input: &str,
        embedding_output: &str,
        logits_output: Option<&str>,
    ) -> Self {
        self.input_name = input.into();
        self.embedding_output = embedding_output.into();
        self.logits_output = logits_output.map(String::from);
        self
    }

    /// The same spec with a label file.
    pub fn with_labels_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.labels_file = Some(file.into());
        self
    }

    /// The same spec with another `max_batch` (at least 1).
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }
}

/// Why a model directory could not be understood.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelSpecError {
    /// No layout Photon reads was found.
    #[error(
        "no model in {0}: expected {DESCRIPTOR_FILE}, onnx/vision_model.onnx (Hugging Face) or visual/model.onnx (immich)"
    )]
    NotAModel(PathBuf),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file is malformed or lacks what the model needs.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// EfficientNet-Lite0 (ImageNet-1k) as `photon models fetch` installs it in `dir`: `model.onnx`
/// (input `input`, outputs `logits` and `embedding` of 1280) and `labels.tsv`.
/// Preprocessing: shorter side 256 (bicubic), centre crop 224, `(x - 127) / 128`.
pub fn efficientnet_lite0(dir: &Path) -> ModelSpec {
    let preprocessing = Preprocessing {
        width: 224,
        height: 224,
        resize: ResizeMode::ShorterSideThenCenterCrop { shorter_side: 256 },
        filter: ResizeFilter::Bicubic,
        normalization: Normalization::ScaleOffset {
            scale: [1.0 / 128.0; 3],
            offset: [-127.0 / 128.0; 3],
        },
        channel_order: ChannelOrder::Rgb,
    };
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
        Layout::HuggingFace => super::hf_vision::hf_vision_tower(dir),
        Layout::Immich => super::immich::immich_vision_tower(dir),
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

pub(crate) fn read_json(path: &Path) -> Result<Value, ModelSpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelSpecError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e))
}

pub(crate) fn invalid(path: &Path, message: impl ToString) -> ModelSpecError {
    ModelSpecError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}
