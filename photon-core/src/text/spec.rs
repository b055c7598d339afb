//! The description of a text tower, read from a model folder in any layout that has one.

use crate::model::ModelFamily;
use std::path::PathBuf;

/// The integer type a text tower takes its token ids in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TokenType {
    /// int64, as transformers exports.
    #[default]
    I64,
    /// int32, as immich's exports take.
    I32,
}

/// What a text tower needs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TextSpec {
    /// Identifies the tower (folder name and model file hash).
    pub id: String,
    /// Family rules: tokenisation and scoring.
    pub family: ModelFamily,
    /// The ONNX file.
    pub model_file: PathBuf,
    /// `tokenizer.json`.
    pub tokenizer_file: PathBuf,
    /// Name of the token-id input (`[N, max_len]`).
    pub input_ids: String,
    /// The integer type of the token ids.
    pub input_type: TokenType,
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
    /// Lower-case the text and drop its punctuation before tokenising (OpenCLIP's
    /// `canonicalize` cleaning, which its SigLIP models were trained with).
    pub canonicalize: bool,
    /// Most texts the graph takes at once (`Some(1)` for exports with a fixed batch).
    pub max_batch: Option<usize>,
}

impl TextSpec {
    /// A tower of `family` in `model_file`: transformers' input and output names for the
    /// family, its length (CLIP 77, SigLIP 64), token ids 0, no logit scale or bias; set the
    /// other fields as needed.
    pub fn new(
        id: impl Into<String>,
        family: ModelFamily,
        model_file: PathBuf,
        tokenizer_file: PathBuf,
        embedding_dim: usize,
    ) -> Self {
        let (max_len, output, attention_mask) = match family {
            ModelFamily::Clip => (77, "text_embeds", Some("attention_mask".to_owned())),
            _ => (64, "pooler_output", None),
        };
        Self {
            id: id.into(),
            family,
            model_file,
            tokenizer_file,
            input_ids: "input_ids".into(),
            input_type: TokenType::I64,
            attention_mask,
            output: output.into(),
            max_len,
            pad_id: 0,
            eos_id: 0,
            embedding_dim,
            logit_scale: None,
            logit_bias: None,
            canonicalize: false,
            max_batch: None,
        }
    }
}
