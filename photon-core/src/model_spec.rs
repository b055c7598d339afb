//! Where [`ModelSpec`]s come from: presets for known models, and loading a model directory.
//!
//! A model directory is either
//! - Photon's own layout: `photon-model.json` (a serialised [`ModelSpec`], paths relative to the
//!   directory) next to the model file, as `photon models fetch` writes for EfficientNet-Lite0; or
//! - the common Hugging Face ONNX layout of a CLIP or SigLIP vision tower:
//!   `onnx/vision_model.onnx`, `config.json`, and `preprocessor_config.json` when present.

use crate::model::ModelSpec;
use crate::preprocess::{ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode};
use serde_json::Value;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// File name of Photon's model descriptor inside a model directory.
pub const DESCRIPTOR_FILE: &str = "photon-model.json";

/// Why a model directory could not be understood.
#[derive(Debug, Error)]
pub enum ModelSpecError {
    /// Neither layout was found.
    #[error("no model in {0}: expected {DESCRIPTOR_FILE} or onnx/vision_model.onnx")]
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

/// Loads the spec of the model in `dir` (either layout). The id gets the first 12 hex digits
/// of the model file's BLAKE3, so records name the exact weights that made them.
pub fn load_model_dir(dir: &Path) -> Result<ModelSpec, ModelSpecError> {
    let descriptor = dir.join(DESCRIPTOR_FILE);
    let mut spec = if descriptor.is_file() {
        let mut spec: ModelSpec =
            serde_json::from_value(read_json(&descriptor)?).map_err(|e| invalid(&descriptor, e))?;
        spec.model_file = spec.model_file.map(|f| dir.join(f));
        spec.labels_file = spec.labels_file.map(|f| dir.join(f));
        spec
    } else if dir.join("onnx/vision_model.onnx").is_file() {
        hf_vision_tower(dir)?
    } else {
        return Err(ModelSpecError::NotAModel(dir.to_path_buf()));
    };
    if let Some(file) = &spec.model_file {
        let bytes = std::fs::read(file).map_err(|source| ModelSpecError::Io {
            path: file.clone(),
            source,
        })?;
        spec.id = format!("{}@{}", spec.id, &blake3::hash(&bytes).to_hex()[..12]);
    }
    Ok(spec)
}

/// A CLIP or SigLIP vision tower in the Hugging Face ONNX layout. SigLIP (no projection) embeds
/// with `pooler_output` of `hidden_size`; CLIP with `image_embeds` of `projection_dim`.
pub fn hf_vision_tower(dir: &Path) -> Result<ModelSpec, ModelSpecError> {
    let config_path = dir.join("config.json");
    let config = read_json(&config_path)?;
    let vision = config.get("vision_config").unwrap_or(&config);
    let family = config["model_type"].as_str().unwrap_or_default().to_owned();
    let is_clip = family.contains("clip");
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64);
    let dim = if is_clip {
        number(&config, "projection_dim").or_else(|| number(vision, "projection_dim"))
    } else {
        number(vision, "hidden_size")
    }
    .ok_or_else(|| {
        invalid(
            &config_path,
            "no embedding size (hidden_size / projection_dim)",
        )
    })?;
    let image_size = number(vision, "image_size").unwrap_or(224) as u32;

    let pre_path = dir.join("preprocessor_config.json");
    let pre = if pre_path.is_file() {
        read_json(&pre_path)?
    } else {
        Value::Null
    };
    let defaults = if is_clip {
        (
            [0.481_454_66, 0.457_827_5, 0.408_210_73],
            [0.268_629_54, 0.261_302_6, 0.275_777_1],
        )
    } else {
        ([0.5; 3], [0.5; 3])
    };
    let triple = |key: &str, default: [f32; 3]| -> Result<[f32; 3], ModelSpecError> {
        match pre.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Array(v)) if v.len() == 3 => {
                let f = |i: usize| {
                    v[i].as_f64()
                        .map(|x| x as f32)
                        .ok_or_else(|| invalid(&pre_path, format!("{key} is not numeric")))
                };
                Ok([f(0)?, f(1)?, f(2)?])
            }
            Some(Value::Number(n)) => Ok([n.as_f64().unwrap_or(0.0) as f32; 3]),
            Some(_) => Err(invalid(&pre_path, format!("{key} must be 3 numbers"))),
        }
    };
    let (mean, std) = (
        triple("image_mean", defaults.0)?,
        triple("image_std", defaults.1)?,
    );
    let size = |key: &str| {
        pre.get(key).map(|s| {
            (
                number(s, "height"),
                number(s, "width"),
                number(s, "shortest_edge"),
            )
        })
    };
    let (width, height, resize) = match (size("size"), size("crop_size")) {
        (Some((_, _, Some(short))), crop)
            if pre
                .get("do_center_crop")
                .and_then(Value::as_bool)
                .unwrap_or(true) =>
        {
            let (h, w) = match crop {
                Some((Some(h), Some(w), _)) => (h, w),
                _ => (short, short),
            };
            (
                w as u32,
                h as u32,
                ResizeMode::ShorterSideThenCenterCrop {
                    shorter_side: short as u32,
                },
            )
        }
        (Some((Some(h), Some(w), _)), _) => (w as u32, h as u32, ResizeMode::Squash),
        _ if is_clip => (
            image_size,
            image_size,
            ResizeMode::ShorterSideThenCenterCrop {
                shorter_side: image_size,
            },
        ),
        _ => (image_size, image_size, ResizeMode::Squash),
    };
    // PIL resample codes: 0 nearest, 2 bilinear, 3 bicubic, 1 Lanczos.
    let filter = match number(&pre, "resample") {
        Some(0) => ResizeFilter::Nearest,
        Some(1) => ResizeFilter::Lanczos3,
        Some(2) => ResizeFilter::Bilinear,
        _ => ResizeFilter::Bicubic,
    };
    let rescale = pre
        .get("rescale_factor")
        .and_then(Value::as_f64)
        .unwrap_or(1.0 / 255.0) as f32;
    let normalization = if (rescale - 1.0 / 255.0).abs() < 1e-6 {
        Normalization::MeanStd { mean, std }
    } else {
        Normalization::ScaleOffset {
            scale: [0, 1, 2].map(|c| rescale / std[c]),
            offset: [0, 1, 2].map(|c| -mean[c] / std[c]),
        }
    };
    let preprocessing = Preprocessing {
        width,
        height,
        resize,
        filter,
        normalization,
        channel_order: ChannelOrder::Rgb,
    };
    let name = dir
        .file_name()
        .map_or_else(|| family.clone(), |n| n.to_string_lossy().into_owned());
    Ok(ModelSpec::new(name, preprocessing, dim as usize)
        .with_model_file(dir.join("onnx/vision_model.onnx"))
        .with_io_names(
            "pixel_values",
            if is_clip {
                "image_embeds"
            } else {
                "pooler_output"
            },
            None,
        ))
}

fn read_json(path: &Path) -> Result<Value, ModelSpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| ModelSpecError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| invalid(path, e))
}

fn invalid(path: &Path, message: impl ToString) -> ModelSpecError {
    ModelSpecError::Invalid {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}
