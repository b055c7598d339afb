//! The text side of CLIP/SigLIP-style models: what a text tower expects ([`TextSpec`]), what it
//! is given ([`TokenBatch`]) and the [`TextEncoder`] plugin trait that runs it. photon-models
//! reads text towers from model folders and tokenises by each family's rules.

mod spec;

pub use spec::{TextSpec, TokenType};

use crate::model::EmbedError;
use async_trait::async_trait;
use std::sync::Arc;

/// Token ids of several texts, each exactly `seq_len` long. Build it with [`TokenBatch::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenBatch {
    /// Number of texts.
    pub len: usize,
    /// Length of every sequence.
    pub seq_len: usize,
    /// `len × seq_len` ids, text after text.
    pub ids: Vec<i64>,
    /// 1 for real tokens, 0 for padding; engines feed it to towers that take a mask.
    pub attention_mask: Option<Vec<i64>>,
}

impl TokenBatch {
    /// `ids.len() / seq_len` texts of `seq_len` ids each, with their mask if the tower takes one.
    ///
    /// ```
    /// let batch = photon_core::TokenBatch::new(3, vec![1, 7, 0, 1, 8, 9], None);
    /// assert_eq!((batch.len, batch.text(1)), (2, &[1, 8, 9][..]));
    /// ```
    pub fn new(seq_len: usize, ids: Vec<i64>, attention_mask: Option<Vec<i64>>) -> Self {
        let len = ids.len().checked_div(seq_len).unwrap_or(0);
        Self {
            len,
            seq_len,
            ids,
            attention_mask,
        }
    }

    /// The ids of text `i`.
    pub fn text(&self, i: usize) -> &[i64] {
        &self.ids[i * self.seq_len..(i + 1) * self.seq_len]
    }
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
