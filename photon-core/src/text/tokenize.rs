//! Tokenising by each family's rules, with the `tokenizers` crate reading `tokenizer.json`.

use super::{TextError, TextSpec};
use crate::model::ModelFamily;

/// Token ids of several texts, each exactly `seq_len` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBatch {
    /// Number of texts.
    pub len: usize,
    /// Length of every sequence.
    pub seq_len: usize,
    /// `len × seq_len` ids, text after text.
    pub ids: Vec<i64>,
    /// 1 for real tokens, 0 for padding (only for families that take a mask).
    pub attention_mask: Option<Vec<i64>>,
}

impl TokenBatch {
    /// The ids of text `i`.
    pub fn text(&self, i: usize) -> &[i64] {
        &self.ids[i * self.seq_len..(i + 1) * self.seq_len]
    }
}

/// A model's tokenizer plus its family's padding rules.
#[derive(Debug, Clone)]
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
    family: ModelFamily,
    max_len: usize,
    pad_id: u32,
    eos_id: u32,
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
        let inner = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| shown(&e))?;
        let fingerprint = fingerprint(&bytes, spec);
        Ok(Self {
            inner,
            family: spec.family,
            max_len: spec.max_len,
            pad_id: spec.pad_id,
            eos_id: spec.eos_id,
            canonicalize: spec.canonicalize,
            fingerprint,
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
    /// length (CLIP keeps its end-of-text token last), padded with the pad token; CLIP gets an
    /// attention mask, SigLIP none.
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
            let mut tokens: Vec<u32> = encoding
                .get_ids()
                .iter()
                .copied()
                .take(self.max_len)
                .collect();
            if self.family == ModelFamily::Clip && tokens.len() == self.max_len {
                // A cut text still ends with end-of-text: CLIP pools at that token.
                tokens[self.max_len - 1] = self.eos_id;
            }
            let real = tokens.len();
            tokens.resize(self.max_len, self.pad_id);
            ids.extend(tokens.iter().map(|&t| i64::from(t)));
            mask.extend((0..self.max_len).map(|i| i64::from(i < real)));
        }
        Ok(TokenBatch {
            len: texts.len(),
            seq_len: self.max_len,
            ids,
            attention_mask: (self.family == ModelFamily::Clip).then_some(mask),
        })
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
