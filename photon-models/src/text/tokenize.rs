//! Tokenising by each family's rules, with the `tokenizers` crate reading `tokenizer.json`.

use super::TextError;
use photon_core::{TextSpec, TokenBatch};
use tokenizers::{PaddingParams, PaddingStrategy, PostProcessor, TruncationParams};

/// A model's tokenizer plus its family's padding rules.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
    max_len: usize,
    canonicalize: bool,
    fingerprint: String,
}

impl TextTokenizer {
    /// Loads `spec.tokenizer_file`.
    pub fn from_spec(spec: &TextSpec) -> Result<Self, TextError> {
        let file = &spec.tokenizer_file;
        let shown =
            |e: &dyn std::fmt::Display| TextError::Tokenizer(format!("{}: {e}", file.display()));
        let bytes = std::fs::read(file).map_err(|e| shown(&e))?;
        let mut inner = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| shown(&e))?;
        // tokenizers' own truncation keeps room for the special tokens the post-processor adds
        // (CLIP's end-of-text, SigLIP's `</s>`), as transformers' processors cut; then every
        // text is padded to the model's fixed length with the model's pad token.
        let added = inner
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(false));
        if spec.max_len <= added {
            return Err(shown(&format!(
                "a length of {} leaves no room beside {added} special tokens",
                spec.max_len
            )));
        }
        let truncation = TruncationParams {
            max_length: spec.max_len,
            ..TruncationParams::default()
        };
        inner
            .with_truncation(Some(truncation))
            .map_err(|e| shown(&e))?;
        let pad_token = inner.id_to_token(spec.pad_id).unwrap_or_default();
        inner.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::Fixed(spec.max_len),
            pad_id: spec.pad_id,
            pad_token,
            ..PaddingParams::default()
        }));
        Ok(Self {
            inner,
            max_len: spec.max_len,
            canonicalize: spec.canonicalize,
            fingerprint: fingerprint(&bytes, spec),
        })
    }

    /// What decides the token ids this tokenizer gives a text, hashed: `tokenizer.json`'s
    /// bytes, the family's rules, the length, the pad and end tokens and the cleaning. Two
    /// tokenizers with the same fingerprint give every text the same ids, so it keys caches of
    /// text embeddings (the zero-shot label banks).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Tokenises `texts`: special tokens as the tokenizer defines them, cut to the model's
    /// length keeping them (a cut text still ends with its end-of-text token, where CLIP pools
    /// and SigLIP was trained to see it), padded with the pad token, with the attention mask.
    pub fn encode(&self, texts: &[&str]) -> Result<TokenBatch, TextError> {
        let mut ids = Vec::with_capacity(texts.len() * self.max_len);
        let mut mask = Vec::with_capacity(texts.len() * self.max_len);
        for text in texts {
            let cleaned;
            let text = if self.canonicalize {
                cleaned = canonicalize(text);
                cleaned.as_str()
            } else {
                text
            };
            let encoding = self
                .inner
                .encode(text, true)
                .map_err(|e| TextError::Tokenizer(e.to_string()))?;
            if encoding.get_ids().len() != self.max_len {
                return Err(TextError::Tokenizer(format!(
                    "{} tokens where the model takes {}",
                    encoding.get_ids().len(),
                    self.max_len
                )));
            }
            ids.extend(encoding.get_ids().iter().map(|&t| i64::from(t)));
            mask.extend(encoding.get_attention_mask().iter().map(|&m| i64::from(m)));
        }
        Ok(TokenBatch::new(self.max_len, ids, Some(mask)))
    }
}

/// BLAKE3 of the tokenizer file and the spec's tokenising fields.
fn fingerprint(tokenizer_json: &[u8], spec: &TextSpec) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(tokenizer_json.len() as u64).to_le_bytes());
    hasher.update(tokenizer_json);
    let rules = format!(
        "{:?} len {} pad {} eos {} canonicalize {}",
        spec.family, spec.max_len, spec.pad_id, spec.eos_id, spec.canonicalize
    );
    hasher.update(rules.as_bytes());
    hasher.finalize().to_hex().to_string()
}

/// OpenCLIP's `canonicalize_text`: underscores to spaces, ASCII punctuation dropped, lower case,
/// runs of white space to one space.
fn canonicalize(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c == '_' { ' ' } else { c })
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    kept.to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
