//! The text tower of a Hugging Face ONNX export: `onnx/text_model.onnx` with `config.json` and
//! the tokenizer's files.

use super::defaults::Tower;
use super::error::{ModelSpecError, invalid};
use super::hf_config::HfConfig;
use super::layout::{Filled, HF_TEXT, ValueSource};
use super::model_file::ModelFile;
use super::onnx_graph::{ElementType, TensorDecl};
use super::special_tokens::special_tokens;
use photon_core::{ModelFamily, TextSpec, TokenType};
use std::path::{Path, PathBuf};

/// `onnx/text_model.onnx` with `config.json` and `tokenizer.json`.
pub(crate) fn hf_text_tower(dir: &Path) -> Result<(TextSpec, Vec<Filled>), ModelSpecError> {
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
fn text_output(file: &ModelFile, family: ModelFamily) -> Result<&TensorDecl, ModelSpecError> {
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
