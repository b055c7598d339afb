//! The description of a text tower, read from a Hugging Face ONNX folder.

use crate::model_spec::ModelSpecError;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The model family, which decides tokenisation and scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFamily {
    /// SigLIP: fixed length (64) padded with the pad token, no attention mask, sigmoid scores.
    Siglip,
    /// CLIP: start and end-of-text tokens, attention mask, softmax scores.
    Clip,
}

/// What a text tower needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TextSpec {
    /// Identifies the tower (folder name and model file hash).
    pub id: String,
    /// Family rules.
    pub family: TextFamily,
    /// `onnx/text_model.onnx`.
    pub model_file: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer_file: PathBuf,
    /// Name of the token-id input (int64 `[N, max_len]`).
    pub input_ids: String,
    /// Name of the attention-mask input, when the model has one (CLIP).
    pub attention_mask: Option<String>,
    /// Output holding the text embedding.
    pub output: String,
    /// Every sequence is padded (or cut) to this length.
    pub max_len: usize,
    /// Padding token id.
    pub pad_id: u32,
    /// End-of-text token id.
    pub eos_id: u32,
    /// Length of the embedding.
    pub embedding_dim: usize,
    /// Scale of the image-text logits, as its natural log (SigLIP `logit_scale`, CLIP log 100).
    pub logit_scale: Option<f32>,
    /// SigLIP's logit bias.
    pub logit_bias: Option<f32>,
}

/// Reads the text tower of a CLIP or SigLIP folder: `onnx/text_model.onnx`, `tokenizer.json`,
/// `config.json` (`model_type`, `text_config` lengths and token ids, `projection_dim`, and
/// `logit_scale`/`logit_bias` when the exporter wrote them).
pub fn load_text_dir(dir: &Path) -> Result<TextSpec, ModelSpecError> {
    let model_file = dir.join("onnx/text_model.onnx");
    if !model_file.is_file() {
        return Err(ModelSpecError::NotAModel(dir.to_path_buf()));
    }
    let config_path = dir.join("config.json");
    let invalid = |message: &str| ModelSpecError::Invalid {
        path: config_path.clone(),
        message: message.into(),
    };
    let text = std::fs::read_to_string(&config_path).map_err(|source| ModelSpecError::Io {
        path: config_path.clone(),
        source,
    })?;
    let config: Value = serde_json::from_str(&text).map_err(|e| invalid(&e.to_string()))?;
    let text_config = config.get("text_config").unwrap_or(&Value::Null);
    let family = if config["model_type"]
        .as_str()
        .unwrap_or_default()
        .contains("clip")
    {
        TextFamily::Clip
    } else {
        TextFamily::Siglip
    };
    let number = |v: &Value, key: &str| v.get(key).and_then(Value::as_u64);
    let (max_len_default, output, attention_mask) = match family {
        TextFamily::Siglip => (64, "pooler_output", None),
        TextFamily::Clip => (77, "text_embeds", Some("attention_mask".to_owned())),
    };
    let embedding_dim = match family {
        TextFamily::Clip => number(&config, "projection_dim"),
        TextFamily::Siglip => number(text_config, "hidden_size"),
    }
    .ok_or_else(|| invalid("no text embedding size (text_config.hidden_size / projection_dim)"))?
        as usize;
    let pad_id = number(text_config, "pad_token_id")
        .ok_or_else(|| invalid("no text_config.pad_token_id"))? as u32;
    let eos_id = number(text_config, "eos_token_id")
        .ok_or_else(|| invalid("no text_config.eos_token_id"))? as u32;
    let float = |key: &str| config.get(key).and_then(Value::as_f64).map(|v| v as f32);
    let bytes = std::fs::read(&model_file).map_err(|source| ModelSpecError::Io {
        path: model_file.clone(),
        source,
    })?;
    let name = dir
        .file_name()
        .map_or_else(|| "text".to_owned(), |n| n.to_string_lossy().into_owned());
    Ok(TextSpec {
        id: format!("{name}/text@{}", &blake3::hash(&bytes).to_hex()[..12]),
        family,
        model_file,
        tokenizer_file: dir.join("tokenizer.json"),
        input_ids: "input_ids".into(),
        attention_mask,
        output: output.into(),
        max_len: number(text_config, "max_position_embeddings")
            .map_or(max_len_default, |v| v as usize),
        pad_id,
        eos_id,
        embedding_dim,
        logit_scale: float("logit_scale").or((family == TextFamily::Clip).then(|| 100f32.ln())),
        logit_bias: float("logit_bias"),
    })
}
