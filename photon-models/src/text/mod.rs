//! Text towers' inputs: tokenising by each family's rules ([`TextTokenizer`], over the
//! `tokenizers` crate) and [`embed_text`] for search queries and label prompts, in the same space
//! as image embeddings.

mod tokenize;

pub use tokenize::TextTokenizer;

use photon_core::vector::l2_normalize;
use photon_core::{EmbedError, TextEncoder};
use thiserror::Error;

/// Why text could not be embedded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TextError {
    /// The tokenizer file could not be loaded or refused a text.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The encoder failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
}

/// Embeds `texts` (search queries, label prompts): tokenised by the model's rules, encoded, and
/// L2-normalised, so a dot product with an image embedding from the same model is their cosine.
pub async fn embed_text(
    encoder: &dyn TextEncoder,
    tokenizer: &TextTokenizer,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>, TextError> {
    let tokens = tokenizer.encode(texts)?;
    let n = tokens.len;
    let mut vectors = encoder.encode(tokens).await?;
    if vectors.len() != n {
        return Err(EmbedError::OutputCount {
            expected: n,
            got: vectors.len(),
        }
        .into());
    }
    vectors.iter_mut().for_each(|v| l2_normalize(v));
    Ok(vectors)
}
