//! The vision tower of a CLIP or SigLIP folder in the Hugging Face ONNX layout:
//! `onnx/vision_model.onnx`, `config.json`, and `preprocessor_config.json` when present.

use super::ModelFamily;
use super::hf_config::{HfConfig, Tower, folder_name};
use super::spec::{ModelSpec, ModelSpecError, invalid, read_json};
use crate::preprocess::{ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// CLIP's image mean and standard deviation, transformers' defaults for its image processor.
const CLIP_MEAN_STD: ([f32; 3], [f32; 3]) = (
    [0.481_454_66, 0.457_827_5, 0.408_210_73],
    [0.268_629_54, 0.261_302_6, 0.275_777_1],
);
/// SigLIP's: every channel to [-1, 1].
const SIGLIP_MEAN_STD: ([f32; 3], [f32; 3]) = ([0.5; 3], [0.5; 3]);

/// The spec of the vision tower in `dir`. SigLIP (no projection) embeds with `pooler_output` of
/// `hidden_size`; CLIP with `image_embeds` of `projection_dim`.
pub(super) fn hf_vision_tower(dir: &Path) -> Result<ModelSpec, ModelSpecError> {
    let config = HfConfig::read(dir)?;
    let family = config.family();
    let dim = config.embedding_dim(Tower::Vision)?;
    let image_size = config.count(Tower::Vision, "image_size").unwrap_or(224) as u32;
    let processor = ProcessorConfig::read(dir)?;
    let preprocessing = processor.preprocessing(family, image_size)?;
    let output = match family {
        ModelFamily::Clip => "image_embeds",
        _ => "pooler_output",
    };
    let fallback = match family {
        ModelFamily::Clip => "clip",
        _ => "siglip",
    };
    Ok(
        ModelSpec::new(folder_name(dir, fallback), preprocessing, dim)
            .with_model_file(dir.join("onnx/vision_model.onnx"))
            .with_io_names("pixel_values", output, None),
    )
}

/// `preprocessor_config.json`, or nothing (every value then takes the family's default).
struct ProcessorConfig {
    path: PathBuf,
    json: Value,
}

impl ProcessorConfig {
    fn read(dir: &Path) -> Result<Self, ModelSpecError> {
        let path = dir.join("preprocessor_config.json");
        let json = if path.is_file() {
            read_json(&path)?
        } else {
            Value::Null
        };
        Ok(Self { path, json })
    }

    fn preprocessing(
        &self,
        family: ModelFamily,
        image_size: u32,
    ) -> Result<Preprocessing, ModelSpecError> {
        let (width, height, resize) = self.geometry(family, image_size);
        Ok(Preprocessing {
            width,
            height,
            resize,
            filter: self.filter(),
            normalization: self.normalization(family)?,
            channel_order: ChannelOrder::Rgb,
        })
    }

    /// Input size and resize: shorter side then centre crop when the file asks for a crop (or,
    /// with no file, for CLIP), else a squash to `size`.
    fn geometry(&self, family: ModelFamily, image_size: u32) -> (u32, u32, ResizeMode) {
        let crop_on = self
            .json
            .get("do_center_crop")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        match (self.size("size"), self.size("crop_size")) {
            (Some((_, _, Some(short))), crop) if crop_on => {
                let (h, w) = match crop {
                    Some((Some(h), Some(w), _)) => (h, w),
                    _ => (short, short),
                };
                let resize = ResizeMode::ShorterSideThenCenterCrop {
                    shorter_side: short as u32,
                };
                (w as u32, h as u32, resize)
            }
            (Some((Some(h), Some(w), _)), _) => (w as u32, h as u32, ResizeMode::Squash),
            _ if family == ModelFamily::Clip => {
                let resize = ResizeMode::ShorterSideThenCenterCrop {
                    shorter_side: image_size,
                };
                (image_size, image_size, resize)
            }
            _ => (image_size, image_size, ResizeMode::Squash),
        }
    }

    /// `(height, width, shortest_edge)` of a size entry.
    fn size(&self, key: &str) -> Option<(Option<u64>, Option<u64>, Option<u64>)> {
        let size = self.json.get(key)?;
        let number = |k: &str| size.get(k).and_then(Value::as_u64);
        Some((number("height"), number("width"), number("shortest_edge")))
    }

    /// PIL resample codes: 0 nearest, 2 bilinear, 3 bicubic, 1 Lanczos.
    fn filter(&self) -> ResizeFilter {
        match self.json.get("resample").and_then(Value::as_u64) {
            Some(0) => ResizeFilter::Nearest,
            Some(1) => ResizeFilter::Lanczos3,
            Some(2) => ResizeFilter::Bilinear,
            _ => ResizeFilter::Bicubic,
        }
    }

    /// Mean and standard deviation on 0..1 values, or folded into one scale and offset when the
    /// file rescales by something other than 1/255.
    fn normalization(&self, family: ModelFamily) -> Result<Normalization, ModelSpecError> {
        let defaults = match family {
            ModelFamily::Clip => CLIP_MEAN_STD,
            _ => SIGLIP_MEAN_STD,
        };
        let mean = self.triple("image_mean", defaults.0)?;
        let std = self.triple("image_std", defaults.1)?;
        let rescale = self
            .json
            .get("rescale_factor")
            .and_then(Value::as_f64)
            .unwrap_or(1.0 / 255.0) as f32;
        Ok(if (rescale - 1.0 / 255.0).abs() < 1e-6 {
            Normalization::MeanStd { mean, std }
        } else {
            Normalization::ScaleOffset {
                scale: [0, 1, 2].map(|c| rescale / std[c]),
                offset: [0, 1, 2].map(|c| -mean[c] / std[c]),
            }
        })
    }

    /// Three per-channel values, one value for all three, or `default` when absent.
    fn triple(&self, key: &str, default: [f32; 3]) -> Result<[f32; 3], ModelSpecError> {
        match self.json.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Array(v)) if v.len() == 3 => {
                let channel = |i: usize| {
                    v[i].as_f64()
                        .map(|x| x as f32)
                        .ok_or_else(|| invalid(&self.path, format!("{key} is not numeric")))
                };
                Ok([channel(0)?, channel(1)?, channel(2)?])
            }
            Some(Value::Number(n)) => Ok([n.as_f64().unwrap_or(0.0) as f32; 3]),
            Some(_) => Err(invalid(&self.path, format!("{key} must be 3 numbers"))),
        }
    }
}
