//! immich's model folders, OpenCLIP models exported tower by tower: `config.json` (OpenCLIP's
//! `embed_dim`, `vision_cfg`, `text_cfg`), `visual/model.onnx` with `visual/preprocess_cfg.json`,
//! and `textual/model.onnx` with `textual/tokenizer.json` and `tokenizer_config.json`. immich
//! feeds int32 token ids padded with the tokenizer's pad token, and takes each tower's first
//! output as its embedding; Photon does the same.

use super::error::{ModelSpecError, invalid, read_json};
use super::hf_vision::{check_input_size, image_input};
use super::layout::{Filled, IMMICH_TEXT, IMMICH_VISION, ValueSource};
use super::model_file::ModelFile;
use super::onnx_graph::{ElementType, TensorDecl};
use super::special_tokens::special_tokens;
use photon_core::{
    ChannelOrder, ModelFamily, ModelSpec, Normalization, Preprocessing, ResizeFilter, ResizeMode,
    TextSpec, TokenType,
};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// OpenCLIP's `OPENAI_DATASET_MEAN`/`STD`, its preprocessing default.
const OPENAI_MEAN_STD: ([f32; 3], [f32; 3]) = (
    [0.481_454_66, 0.457_827_5, 0.408_210_73],
    [0.268_629_54, 0.261_302_6, 0.275_777_1],
);
const OPEN_CLIP: &str = "OpenCLIP";

/// OpenCLIP's `config.json`.
struct OpenClipConfig {
    path: PathBuf,
    json: Value,
    filled: Vec<Filled>,
}

impl OpenClipConfig {
    fn read(dir: &Path) -> Result<Self, ModelSpecError> {
        let path = dir.join("config.json");
        let json = read_json(&path)?;
        if json.get("embed_dim").is_none() && json.get("vision_cfg").is_none() {
            return Err(invalid(
                &path,
                "not OpenCLIP's config (no embed_dim, vision_cfg)",
            ));
        }
        Ok(Self {
            path,
            json,
            filled: Vec::new(),
        })
    }

    /// SigLIP when the config carries a logit bias or names a SigLIP tokenizer or tower.
    fn family(&self) -> ModelFamily {
        let names = [
            &self.json["text_cfg"]["hf_tokenizer_name"],
            &self.json["vision_cfg"]["timm_model_name"],
        ];
        let siglip_name = names
            .iter()
            .filter_map(|v| v.as_str())
            .any(|n| n.to_ascii_lowercase().contains("siglip"));
        if siglip_name || self.json.get("init_logit_bias").is_some() {
            ModelFamily::Siglip
        } else {
            ModelFamily::Clip
        }
    }

    fn note(&mut self, field: &str, value: impl ToString, source: ValueSource) {
        self.filled.push(Filled {
            field: field.to_owned(),
            value: value.to_string(),
            source,
        });
    }

    /// `embed_dim`, which must agree with what the tower's output declares; either alone will do.
    fn embedding_dim(&mut self, output: &TensorDecl, file: &Path) -> Result<usize, ModelSpecError> {
        let stated = self.json["embed_dim"].as_u64();
        match (output.last_dim(), stated) {
            (Some(graph), Some(config)) if graph != config => Err(invalid(
                &self.path,
                format!(
                    "embed_dim is {config} but {} outputs {graph} values",
                    file.display()
                ),
            )),
            (_, Some(config)) => Ok(config as usize),
            (Some(graph), None) => {
                self.note("embed_dim", graph, ValueSource::Graph(file.into()));
                Ok(graph as usize)
            }
            (None, None) => Err(invalid(&self.path, "no embed_dim")),
        }
    }
}

/// The first output: immich's embedding, whatever the export called it.
fn first_output(file: &ModelFile) -> Result<&TensorDecl, ModelSpecError> {
    file.graph
        .outputs
        .first()
        .ok_or_else(|| invalid(&file.path, "the graph has no output"))
}

/// The image tower of an immich folder.
pub(crate) fn immich_vision_tower(dir: &Path) -> Result<(ModelSpec, Vec<Filled>), ModelSpecError> {
    let mut config = OpenClipConfig::read(dir)?;
    let file = ModelFile::read(dir.join(IMMICH_VISION))?;
    let input = image_input(&file)?;
    let output = first_output(&file)?;
    let dim = config.embedding_dim(output, &file.path)?;
    let preprocessing = preprocess_cfg(dir, &mut config, input, &file.path)?;
    check_input_size(input, &preprocessing, &file.path)?;
    let id = file.id(dir, "immich", "");
    let spec = file.image_spec(id, preprocessing, dim, input, output);
    Ok((spec, config.filled))
}

/// `visual/preprocess_cfg.json` (OpenCLIP's `PreprocessCfg`): size, mean, std, interpolation and
/// resize mode, each defaulting as OpenCLIP does.
fn preprocess_cfg(
    dir: &Path,
    config: &mut OpenClipConfig,
    input: &TensorDecl,
    model: &Path,
) -> Result<Preprocessing, ModelSpecError> {
    let path = dir.join("visual/preprocess_cfg.json");
    let json = if path.is_file() {
        read_json(&path)?
    } else {
        Value::Null
    };
    let size = input_size(&json, config, input, model, &path)?;
    let mut triple = |key: &str, default: [f32; 3]| -> Result<[f32; 3], ModelSpecError> {
        match json[key].as_array() {
            Some(v) if v.len() == 3 && v.iter().all(Value::is_number) => {
                Ok([0, 1, 2].map(|i| v[i].as_f64().unwrap_or_default() as f32))
            }
            Some(_) => Err(invalid(&path, format!("{key} must be 3 numbers"))),
            None => {
                config.note(key, format!("{default:?}"), ValueSource::Default(OPEN_CLIP));
                Ok(default)
            }
        }
    };
    let mean = triple("mean", OPENAI_MEAN_STD.0)?;
    let std = triple("std", OPENAI_MEAN_STD.1)?;
    let filter = filter_of(&json, &path)?;
    let resize = resize_of(&json, size, &path)?;
    Ok(Preprocessing::new(size, size)
        .resize(resize)
        .filter(filter)
        .normalization(Normalization::MeanStd { mean, std })
        .channel_order(ChannelOrder::Rgb))
}

/// The input's side: `preprocess_cfg.json`'s `size`, else the config's `image_size`, else what
/// the graph declares (noted).
fn input_size(
    json: &Value,
    config: &mut OpenClipConfig,
    input: &TensorDecl,
    model: &Path,
    path: &Path,
) -> Result<u32, ModelSpecError> {
    let size = match &json["size"] {
        Value::Number(n) => n.as_u64(),
        Value::Array(v) => v.first().and_then(Value::as_u64),
        _ => None,
    };
    let size = match (size, config.json["vision_cfg"]["image_size"].as_u64()) {
        (Some(size), _) | (None, Some(size)) => size,
        (None, None) => {
            let declared = input.dims.get(2).copied().flatten();
            let size = declared.ok_or_else(|| invalid(path, "no size"))?;
            config.note("size", size, ValueSource::Graph(model.into()));
            size
        }
    };
    u32::try_from(size).map_err(|_| invalid(path, format!("a size of {size}")))
}

/// OpenCLIP's `interpolation`, bicubic unless it says otherwise.
fn filter_of(json: &Value, path: &Path) -> Result<ResizeFilter, ModelSpecError> {
    Ok(match json["interpolation"].as_str().unwrap_or("bicubic") {
        "bicubic" => ResizeFilter::Bicubic,
        "bilinear" => ResizeFilter::Bilinear,
        "nearest" => ResizeFilter::Nearest,
        "lanczos" => ResizeFilter::Lanczos3,
        other => return Err(invalid(path, format!("interpolation {other:?} is unknown"))),
    })
}

/// OpenCLIP's `resize_mode`, `shortest` unless it says otherwise.
fn resize_of(json: &Value, size: u32, path: &Path) -> Result<ResizeMode, ModelSpecError> {
    Ok(match json["resize_mode"].as_str().unwrap_or("shortest") {
        "shortest" => ResizeMode::ShorterSideThenCenterCrop { shorter_side: size },
        "squash" => ResizeMode::Squash,
        other => {
            return Err(invalid(
                path,
                format!("resize_mode {other:?}: Photon resizes by `shortest` or `squash`"),
            ));
        }
    })
}

/// The text tower of an immich folder.
pub(crate) fn immich_text_tower(dir: &Path) -> Result<(TextSpec, Vec<Filled>), ModelSpecError> {
    let mut config = OpenClipConfig::read(dir)?;
    let family = config.family();
    let file = ModelFile::read(dir.join(IMMICH_TEXT))?;
    let ids = token_input(&file)?;
    let output = first_output(&file)?;
    let embedding_dim = config.embedding_dim(output, &file.path)?;
    let max_len = context_length(&mut config, ids, &file.path);
    let tokenizer_file = dir.join("textual/tokenizer.json");
    let (pad_id, eos_id) = pad_and_end(&mut config, family, &tokenizer_file)?;
    let mut spec = TextSpec::new(
        file.id(dir, "immich", "/text"),
        family,
        file.path.clone(),
        tokenizer_file,
        embedding_dim,
    );
    spec.input_ids = ids.name.clone();
    spec.input_type = match ids.element {
        Some(ElementType::I32) => TokenType::I32,
        _ => TokenType::I64,
    };
    spec.attention_mask = file.graph.input("attention_mask").map(|t| t.name.clone());
    spec.output = output.name.clone();
    spec.max_len = max_len;
    spec.pad_id = pad_id;
    spec.eos_id = eos_id;
    spec.canonicalize =
        config.json["text_cfg"]["tokenizer_kwargs"]["clean"].as_str() == Some("canonicalize");
    spec.max_batch = (ids.batch_dim() == Some(1)).then_some(1);
    Ok((spec, config.filled))
}

/// The token-id input: the graph's input that is not the mask, of an integer type.
fn token_input(file: &ModelFile) -> Result<&TensorDecl, ModelSpecError> {
    let ids = file
        .graph
        .inputs
        .iter()
        .find(|t| t.name != "attention_mask")
        .ok_or_else(|| invalid(&file.path, "the graph has no token input"))?;
    match ids.element {
        Some(ElementType::I32 | ElementType::I64) | None => Ok(ids),
        Some(other) => Err(invalid(
            &file.path,
            format!("input `{}` holds {other:?}, not token ids", ids.name),
        )),
    }
}

/// `text_cfg.context_length`, else what the graph declares, else OpenCLIP's 77 (noted).
fn context_length(config: &mut OpenClipConfig, ids: &TensorDecl, model: &Path) -> usize {
    match config.json["text_cfg"]["context_length"].as_u64() {
        Some(n) => n as usize,
        None => {
            let (n, source) = match ids.dims.get(1).copied().flatten() {
                Some(n) => (n, ValueSource::Graph(model.to_path_buf())),
                None => (77, ValueSource::Default(OPEN_CLIP)),
            };
            config.note("text_cfg.context_length", n, source);
            n as usize
        }
    }
}

/// The pad and end-of-text tokens from the tokenizer's files (noted), OpenCLIP's zero padding
/// when they name none.
fn pad_and_end(
    config: &mut OpenClipConfig,
    family: ModelFamily,
    tokenizer_file: &Path,
) -> Result<(u32, u32), ModelSpecError> {
    let tokens = special_tokens(tokenizer_file)?;
    let (pad_id, pad_from) = match tokens.pad {
        Some((id, file)) => (id, ValueSource::Tokenizer(file)),
        // OpenCLIP's own tokenizer pads with zeros.
        None => (0, ValueSource::Default(OPEN_CLIP)),
    };
    config.note("pad token", pad_id, pad_from);
    let eos_id = match (tokens.eos, family) {
        (Some((id, file)), _) => {
            config.note("end-of-text token", id, ValueSource::Tokenizer(file));
            id
        }
        // SigLIP never looks for it: its text is pooled at the last position.
        (None, ModelFamily::Siglip) => pad_id,
        (None, _) => {
            return Err(invalid(
                tokenizer_file,
                "no end-of-text token (eos_token in tokenizer_config.json)",
            ));
        }
    };
    Ok((pad_id, eos_id))
}
