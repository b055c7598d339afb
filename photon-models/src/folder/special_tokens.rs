//! The pad and end-of-text tokens as a folder's tokenizer files name them, for configs that
//! leave the ids out: `tokenizer_config.json`, then `special_tokens_map.json` (each a token
//! string, or an object with `content`), then `tokenizer.json` itself (its padding, and the last
//! special token its post-processor appends).

use super::error::{ModelSpecError, read_json};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A token id and the file that gave it.
pub(crate) type Found = Option<(u32, PathBuf)>;

/// What the tokenizer files say.
#[derive(Debug, Default)]
pub(crate) struct SpecialTokens {
    pub(crate) pad: Found,
    pub(crate) eos: Found,
}

/// Reads the special tokens from the files beside `tokenizer_file`.
pub(crate) fn special_tokens(tokenizer_file: &Path) -> Result<SpecialTokens, ModelSpecError> {
    let dir = tokenizer_file.parent().unwrap_or(Path::new("."));
    let tokenizer = if tokenizer_file.is_file() {
        read_json(tokenizer_file)?
    } else {
        Value::Null
    };
    let mut found = SpecialTokens::default();
    for name in ["tokenizer_config.json", "special_tokens_map.json"] {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        let json = read_json(&path)?;
        let id =
            |key: &str| token_id(&tokenizer, token_name(&json[key])?).map(|id| (id, path.clone()));
        found.pad = found.pad.or_else(|| id("pad_token"));
        found.eos = found.eos.or_else(|| id("eos_token"));
    }
    let from_tokenizer = |id: Option<u32>| id.map(|id| (id, tokenizer_file.to_path_buf()));
    found.pad = found.pad.or_else(|| from_tokenizer(padding_id(&tokenizer)));
    found.eos = found
        .eos
        .or_else(|| from_tokenizer(appended_token(&tokenizer)));
    Ok(found)
}

/// A token as `tokenizer_config.json` writes it: a string, or `{"content": ...}`.
fn token_name(entry: &Value) -> Option<&str> {
    entry.as_str().or_else(|| entry["content"].as_str())
}

/// The id of `token` in `tokenizer.json`: an added token, else the model's vocabulary.
fn token_id(tokenizer: &Value, token: &str) -> Option<u32> {
    let added = tokenizer["added_tokens"].as_array().and_then(|tokens| {
        tokens
            .iter()
            .find(|t| t["content"].as_str() == Some(token))
            .and_then(|t| t["id"].as_u64())
    });
    let vocab = &tokenizer["model"]["vocab"];
    let in_vocab = || match vocab {
        // WordLevel, WordPiece and BPE: a map of token to id.
        Value::Object(map) => map.get(token).and_then(Value::as_u64),
        // Unigram (SentencePiece): a list of [token, score], the index being the id.
        Value::Array(pieces) => pieces
            .iter()
            .position(|p| p[0].as_str() == Some(token))
            .map(|i| i as u64),
        _ => None,
    };
    added
        .or_else(in_vocab)
        .and_then(|id| u32::try_from(id).ok())
}

/// `padding.pad_id` of a tokenizer saved with padding on.
fn padding_id(tokenizer: &Value) -> Option<u32> {
    tokenizer["padding"]["pad_id"]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
}

/// The special token the post-processor puts last in a single sequence (`</s>`,
/// `<|endoftext|>`): the end-of-text token.
fn appended_token(tokenizer: &Value) -> Option<u32> {
    let processor = &tokenizer["post_processor"];
    let last = processor["single"].as_array()?.last()?;
    let name = last["SpecialToken"]["id"].as_str()?;
    processor["special_tokens"][name]["ids"][0]
        .as_u64()
        .and_then(|id| u32::try_from(id).ok())
        .or_else(|| token_id(tokenizer, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_configs_then_maps_then_the_tokenizer() {
        let dir = tempfile::tempdir().unwrap();
        let tokenizer = dir.path().join("tokenizer.json");
        let vocab = serde_json::json!({
            "added_tokens": [{"id": 0, "content": "<pad>"}, {"id": 1, "content": "</s>"}],
            "model": {"type": "Unigram", "vocab": [["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0], ["x", -1.0]]},
            "post_processor": {"type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A"}}, {"SpecialToken": {"id": "</s>"}}],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [1]}}},
        });
        std::fs::write(&tokenizer, vocab.to_string()).unwrap();
        let found = special_tokens(&tokenizer).unwrap();
        assert_eq!(found.pad, None);
        assert_eq!(found.eos, Some((1, tokenizer.clone())));

        let map = dir.path().join("special_tokens_map.json");
        std::fs::write(
            &map,
            r#"{"pad_token": {"content": "<unk>"}, "eos_token": "</s>"}"#,
        )
        .unwrap();
        let config = dir.path().join("tokenizer_config.json");
        std::fs::write(&config, r#"{"pad_token": "<pad>"}"#).unwrap();
        let found = special_tokens(&tokenizer).unwrap();
        assert_eq!(found.pad, Some((0, config)));
        assert_eq!(found.eos, Some((1, map)));
    }
}
