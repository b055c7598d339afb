//! The description of a text tower, read from a Hugging Face ONNX folder.

use crate::model::hf_config::{HfConfig, Tower, folder_name};
use crate::model::{ModelFamily, ModelSpecError};
use std::path::{Path, PathBuf};

/// What a text tower needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TextSpec {
    /// Identifies the tower (folder name and model file hash).
    pub id: String,
    /// Family rules: tokenisation and scoring.
    pub family: ModelFamily,
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
    let config = HfConfig::read(dir)?;
    let family = config.family();
    let (max_len_default, output, attention_mask) = match family {
        ModelFamily::Clip => (77, "text_embeds", Some("attention_mask".to_owned())),
        _ => (64, "pooler_output", None),
    };
    let bytes = std::fs::read(&model_file).map_err(|source| ModelSpecError::Io {
        path: model_file.clone(),
        source,
    })?;
    let id = format!(
        "{}/text@{}",
        folder_name(dir, "text"),
        &blake3::hash(&bytes).to_hex()[..12]
    );
    let clip_scale = (family == ModelFamily::Clip).then(|| 100f32.ln());
    Ok(TextSpec {
        id,
        family,
        model_file,
        tokenizer_file: dir.join("tokenizer.json"),
        input_ids: "input_ids".into(),
        attention_mask,
        output: output.into(),
        max_len: config
            .count(Tower::Text, "max_position_embeddings")
            .map_or(max_len_default, |v| v as usize),
        pad_id: config.require(Tower::Text, "pad_token_id")? as u32,
        eos_id: config.require(Tower::Text, "eos_token_id")? as u32,
        embedding_dim: config.embedding_dim(Tower::Text)?,
        logit_scale: config.float("logit_scale").or(clip_scale),
        logit_bias: config.float("logit_bias"),
    })
}
