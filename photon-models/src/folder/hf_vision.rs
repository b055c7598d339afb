//! The vision tower of a CLIP or SigLIP folder in the Hugging Face ONNX layout:
//! `onnx/vision_model.onnx`, `config.json`, and `preprocessor_config.json` when present.

use super::defaults::Tower;
use super::error::{ModelSpecError, invalid, read_json};
use super::hf_config::HfConfig;
use super::layout::{Filled, HF_VISION, ValueSource};
use super::model_file::ModelFile;
use super::onnx_graph::{ElementType, TensorDecl};
use photon_core::{
    ChannelOrder, ModelFamily, ModelSpec, Normalization, Preprocessing, ResizeFilter, ResizeMode,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// CLIP's image mean and standard deviation, transformers' defaults for its image processor.
const CLIP_MEAN_STD: ([f32; 3], [f32; 3]) = (
    [0.481_454_66, 0.457_827_5, 0.408_210_73],
    [0.268_629_54, 0.261_302_6, 0.275_777_1],
);
/// SigLIP's: every channel to [-1, 1].
const SIGLIP_MEAN_STD: ([f32; 3], [f32; 3]) = ([0.5; 3], [0.5; 3]);

/// The spec of the vision tower in `dir`, with the gaps its config left. The embedding is
/// `image_embeds` when the export has it (CLIP's projection; SigLIP's equals its pooled output),
/// else `pooler_output` (SigLIP's attention-pooling head; for CLIP the unprojected state, good
/// for comparing images but not for text). Sizes the config leaves out come from the graph,
/// then transformers' defaults.
pub(super) fn hf_vision_tower(dir: &Path) -> Result<(ModelSpec, Vec<Filled>), ModelSpecError> {
    let mut config = HfConfig::read(dir)?;
    let family = config.family();
    let file = ModelFile::read(dir.join(HF_VISION))?;
    let input = image_input(&file)?;
    let output = ["image_embeds", "pooler_output"]
        .into_iter()
        .find_map(|name| file.graph.output(name))
        .ok_or_else(|| {
            invalid(
                &file.path,
                format!(
                    "no `image_embeds` or `pooler_output` output (it has {:?}): export the vision \
                     tower with its pooling head (transformers' CLIPVisionModelWithProjection or \
                     SiglipVisionModel)",
                    file.graph.output_names()
                ),
            )
        })?;
    let declared = output.last_dim().map(|d| (d, file.path.as_path()));
    let dim = if family == ModelFamily::Clip && output.name == "pooler_output" {
        // CLIPVisionModel: the unprojected state, as wide as the tower.
        unprojected_width(&mut config, declared)?
    } else {
        config.embedding_dim(Tower::Vision, declared)?
    };
    let image_size = image_size(&mut config, input, &file.path)?;
    let processor = ProcessorConfig::read(dir)?;
    if processor.json.is_null() {
        let source = match family {
            ModelFamily::Clip => "transformers CLIPImageProcessor",
            _ => "transformers SiglipImageProcessor",
        };
        config.filled.push(Filled {
            field: "preprocessor_config.json".into(),
            value: "size, crop, mean and std".into(),
            source: ValueSource::Default(source),
        });
    }
    let preprocessing = processor.preprocessing(family, image_size)?;
    check_input_size(input, &preprocessing, &file.path)?;
    let fallback = match family {
        ModelFamily::Clip => "clip",
        _ => "siglip",
    };
    let id = file.id(dir, fallback, "");
    let spec = file.image_spec(id, preprocessing, dim, input, output);
    Ok((spec, config.filled))
}

/// The width of a CLIP vision tower exported without its projection: what the graph declares,
/// else `vision_config.hidden_size` (or transformers' default).
fn unprojected_width(
    config: &mut HfConfig,
    declared: Option<(u64, &Path)>,
) -> Result<usize, ModelSpecError> {
    if let Some((width, file)) = declared {
        if config.explicit(Tower::Vision, "hidden_size").is_none() {
            config.note(
                Tower::Vision,
                "hidden_size",
                width,
                ValueSource::Graph(file.into()),
            );
        }
        return Ok(width as usize);
    }
    config
        .count(Tower::Vision, "hidden_size")
        .map(|w| w as usize)
        .ok_or_else(|| invalid(config.path(), "no vision_config.hidden_size"))
}

/// The image input: `pixel_values`, or the only input; float NCHW with three channels.
pub(super) fn image_input(file: &ModelFile) -> Result<&TensorDecl, ModelSpecError> {
    let graph = &file.graph;
    let input = match graph.input("pixel_values") {
        Some(input) => input,
        None if graph.inputs.len() == 1 => &graph.inputs[0],
        None => {
            let names: Vec<&str> = graph.inputs.iter().map(|t| t.name.as_str()).collect();
            return Err(invalid(
                &file.path,
                format!("no `pixel_values` input (it has {names:?})"),
            ));
        }
    };
    let why = match (input.element, input.dims.len(), input.dims.get(1)) {
        (Some(ElementType::U8), ..) => {
            "takes uint8 pixels (a graph that normalises them itself); Photon feeds float32 NCHW"
        }
        (Some(ElementType::F32 | ElementType::F16) | None, 4, Some(Some(3) | None)) => "",
        (_, 3, _) => {
            "takes patches (SigLIP 2 NaFlex), not NCHW images; export a fixed-resolution model"
        }
        _ => "is not a float NCHW image with 3 channels",
    };
    if why.is_empty() {
        Ok(input)
    } else {
        Err(invalid(&file.path, format!("input `{}` {why}", input.name)))
    }
}

/// Fails when the graph fixes an input size other than the one preprocessing makes.
pub(super) fn check_input_size(
    input: &TensorDecl,
    preprocessing: &Preprocessing,
    file: &Path,
) -> Result<(), ModelSpecError> {
    let made = [preprocessing.height, preprocessing.width].map(u64::from);
    let fixed = [2, 3].map(|i| input.dims.get(i).copied().flatten());
    match fixed {
        [Some(h), Some(w)] if [h, w] != made => Err(invalid(
            file,
            format!(
                "input `{}` is {w}x{h} but the preprocessing config makes {}x{}",
                input.name, made[1], made[0]
            ),
        )),
        _ => Ok(()),
    }
}

/// The model's input side: the config's `image_size`, else what the graph declares (its
/// height), else transformers' default (SigLIP 2's from its patch grid).
fn image_size(
    config: &mut HfConfig,
    input: &TensorDecl,
    file: &Path,
) -> Result<u32, ModelSpecError> {
    let declared = input.dims.get(2).copied().flatten();
    if let Some(explicit) = config.explicit(Tower::Vision, "image_size") {
        return Ok(explicit as u32);
    }
    if let Some(height) = declared {
        config.note(
            Tower::Vision,
            "image_size",
            height,
            ValueSource::Graph(file.into()),
        );
        return Ok(height as u32);
    }
    if let Some(size) = config.count(Tower::Vision, "image_size") {
        return Ok(size as u32);
    }
    let patches = config.count(Tower::Vision, "num_patches");
    let patch = config.count(Tower::Vision, "patch_size");
    match (patches, patch) {
        (Some(n), Some(p)) => Ok(((n as f64).sqrt() as u64 * p) as u32),
        _ => Err(invalid(config.path(), "no vision_config.image_size")),
    }
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
        Ok(Preprocessing::new(width, height)
            .resize(resize)
            .filter(self.filter())
            .normalization(self.normalization(family)?)
            .channel_order(ChannelOrder::Rgb))
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
