//! The text side of CLIP/SigLIP-style models: what a text tower expects ([`TextSpec`]),
//! tokenising by each family's rules ([`TextTokenizer`]), the [`TextEncoder`] plugin trait, and
//! [`embed_text`] for search queries, in the same space as image embeddings.

mod spec;
mod special_tokens;
mod tokenize;

pub(crate) use spec::text_tower;
pub use spec::{TextSpec, TokenType, has_text_tower, load_text_dir};
pub(crate) use special_tokens::special_tokens;
pub use tokenize::{TextTokenizer, TokenBatch};

use crate::model::EmbedError;
use crate::vector::l2_normalize;
use async_trait::async_trait;
use std::sync::Arc;
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

/// Runs a text tower on tokenised batches.
///
/// The contract mirrors [`Embedder`](crate::Embedder)'s: one vector per text, in order, each
/// `spec().embedding_dim` long (not yet normalised; [`embed_text`] normalises); inference off the
/// async threads. `Arc<E>`, `Box<E>` and `&E` are text encoders when `E` is.
#[async_trait]
pub trait TextEncoder: Send + Sync {
    /// The text tower's description.
    fn spec(&self) -> &TextSpec;

    /// The engine's name (`ort`, `tract`, ...).
    fn backend(&self) -> &str {
        "custom"
    }

    /// One embedding per text of `tokens`, in order (not yet normalised).
    async fn encode(&self, tokens: TokenBatch) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Forwards every method, the defaulted `backend` included.
macro_rules! forward_text_encoder {
    ($($wrapper:ty),*) => {$(
        #[async_trait]
        impl<E: TextEncoder + ?Sized> TextEncoder for $wrapper {
            fn spec(&self) -> &TextSpec {
                (**self).spec()
            }
            fn backend(&self) -> &str {
                (**self).backend()
            }
            async fn encode(&self, tokens: TokenBatch) -> Result<Vec<Vec<f32>>, EmbedError> {
                (**self).encode(tokens).await
            }
        }
    )*};
}

forward_text_encoder!(Arc<E>, Box<E>, &E);

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
