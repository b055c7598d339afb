//! The description of a text tower, read from a model folder in any layout that has one.

use super::special_tokens::special_tokens;
use crate::model::folder::{Filled, HF_TEXT, Layout, ModelFile, ValueSource};
use crate::model::hf_config::{HfConfig, Tower};
use crate::model::{ElementType, ModelFamily, ModelSpecError, immich_text_tower, invalid};
use std::path::{Path, PathBuf};

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

/// Whether the model folder `dir` has a text tower.
pub fn has_text_tower(dir: &Path) -> bool {
    Layout::of_text(dir)
        .and_then(|layout| layout.text_model(dir))
        .is_some_and(|file| file.is_file())
}

/// Reads the text tower of a CLIP or SigLIP folder, Hugging Face's layout or immich's: the
/// model file, its tokenizer, and the lengths, token ids and scale its config gives, with
/// transformers' defaults, the graph and the tokenizer's files filling the gaps.
pub fn load_text_dir(dir: &Path) -> Result<TextSpec, ModelSpecError> {
    let layout =
        Layout::of_text(dir).ok_or_else(|| ModelSpecError::NotAModel(dir.to_path_buf()))?;
    text_tower(dir, layout).map(|(spec, _)| spec)
}

/// The text tower of a folder in `layout`, with the gaps its config left.
pub(crate) fn text_tower(
    dir: &Path,
    layout: Layout,
) -> Result<(TextSpec, Vec<Filled>), ModelSpecError> {
    match layout.text_model(dir) {
        Some(file) if file.is_file() => {}
        _ => return Err(ModelSpecError::NotAModel(dir.to_path_buf())),
    }
    match layout {
        Layout::Immich => immich_text_tower(dir),
        _ => hf_text_tower(dir),
    }
}

/// `onnx/text_model.onnx` with `config.json` and `tokenizer.json`.
fn hf_text_tower(dir: &Path) -> Result<(TextSpec, Vec<Filled>), ModelSpecError> {
    let mut config = HfConfig::read(dir)?;
    let family = config.family();
    let file = ModelFile::read(dir.join(HF_TEXT))?;
    let output = text_output(&file, family)?.clone();
    let ids = file
        .graph
        .input("input_ids")
        .ok_or_else(|| invalid(&file.path, "no `input_ids` input"))?;
    let declared = output.last_dim().map(|d| (d, file.path.as_path()));
    let embedding_dim = config.embedding_dim(Tower::Text, declared)?;
    let tokenizer_file = dir.join("tokenizer.json");
    let mut spec = TextSpec::new(
        file.id(dir, "text", "/text"),
        family,
        file.path.clone(),
        tokenizer_file.clone(),
        embedding_dim,
    );
    spec.output = output.name;
    spec.input_type = match ids.element {
        Some(ElementType::I32) => TokenType::I32,
        _ => TokenType::I64,
    };
    spec.attention_mask = file.graph.input("attention_mask").map(|t| t.name.clone());
    spec.max_batch = (ids.batch_dim() == Some(1)).then_some(1);
    spec.max_len = match config.explicit(Tower::Text, "max_position_embeddings") {
        Some(n) => n as usize,
        None => match ids.dims.get(1).copied().flatten() {
            Some(n) => {
                let source = ValueSource::Graph(file.path.clone());
                config.note(Tower::Text, "max_position_embeddings", n, source);
                n as usize
            }
            None => config
                .count(Tower::Text, "max_position_embeddings")
                .map_or(spec.max_len, |n| n as usize),
        },
    };
    let tokens = special_tokens(&tokenizer_file)?;
    spec.pad_id = token_id(&mut config, "pad_token_id", tokens.pad)?;
    spec.eos_id = token_id(&mut config, "eos_token_id", tokens.eos)?;
    spec.logit_scale = config
        .float("logit_scale")
        .or_else(|| (family == ModelFamily::Clip).then(|| 100f32.ln()));
    spec.logit_bias = config.float("logit_bias");
    Ok((spec, config.filled))
}

/// The text embedding: `text_embeds` (CLIP's projection; SigLIP's equals its pooled output),
/// else SigLIP's `pooler_output` (its head is inside the text model). CLIP's `pooler_output` is
/// the state before `text_projection`, in another space than the images: refused.
fn text_output(
    file: &ModelFile,
    family: ModelFamily,
) -> Result<&crate::TensorDecl, ModelSpecError> {
    let graph = &file.graph;
    if let Some(output) = graph.output("text_embeds") {
        return Ok(output);
    }
    let why = match (family, graph.output("pooler_output")) {
        (ModelFamily::Siglip, Some(output)) => return Ok(output),
        (ModelFamily::Siglip, None) => {
            "SigLIP's text embedding is `pooler_output`, its head's output; `last_hidden_state` \
             alone lacks the head"
        }
        (_, Some(_)) => {
            "CLIP's text embedding is `text_embeds`, `pooler_output` times `text_projection`, which \
             this export left out; export CLIPTextModelWithProjection"
        }
        (_, None) => "CLIP's text embedding is `text_embeds`; export CLIPTextModelWithProjection",
    };
    Err(invalid(
        &file.path,
        format!(
            "no `text_embeds` output (it has {:?}): {why}",
            graph.output_names()
        ),
    ))
}

/// A special token id: the config's, else the tokenizer files', else transformers' default;
/// CLIP's legacy `eos_token_id` 2 (which transformers itself ignores) counts as absent.
fn token_id(
    config: &mut HfConfig,
    key: &str,
    from_tokenizer: Option<(u32, PathBuf)>,
) -> Result<u32, ModelSpecError> {
    let explicit = config.explicit(Tower::Text, key);
    let legacy =
        config.family() == ModelFamily::Clip && key == "eos_token_id" && explicit == Some(2);
    if let Some(id) = explicit.filter(|_| !legacy) {
        return u32::try_from(id).map_err(|_| invalid(config.path(), format!("{key} is {id}")));
    }
    if let Some((id, file)) = from_tokenizer {
        config.note(Tower::Text, key, id, ValueSource::Tokenizer(file));
        return Ok(id);
    }
    config
        .count(Tower::Text, key)
        .map(|id| id as u32)
        .ok_or_else(|| {
            invalid(
                config.path(),
                format!("no {}", config.field(Tower::Text, key)),
            )
        })
}
