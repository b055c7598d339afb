//! Zero-shot tags: an image embedding scored against a [`LabelBank`] of text embeddings.
//! SigLIP scores each label on its own, `sigmoid(cos · exp(logit_scale) + logit_bias)`; CLIP
//! takes a softmax over `exp(logit_scale) · cos` (100 · cos). Top-k is a single pass that keeps
//! only the k best, with no sort and no allocation per label.

use super::hierarchy::TagHierarchy;
use super::label_bank::LabelBank;
use super::wordnet::WordNet;
use super::{Tag, TagOptions, Tagger};
use crate::model::ModelFamily;
use crate::model::ModelOutput;
use crate::text::TextSpec;
use crate::vector::{TopK, dot};
use std::sync::Arc;

/// How cosine similarities become confidences.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ZeroShotScoring {
    /// SigLIP: `sigmoid(cos · scale + bias)`, each label independent.
    Sigmoid {
        /// `exp(logit_scale)`.
        scale: f32,
        /// `logit_bias`.
        bias: f32,
    },
    /// CLIP: softmax of `cos · scale` over the whole bank.
    Softmax {
        /// `exp(logit_scale)`, 100 for CLIP.
        scale: f32,
    },
}

impl ZeroShotScoring {
    /// The scoring a text tower's config implies: its logit scale and bias, or SigLIP base's
    /// trained values (scale e^4.77 ≈ 117.3, bias −12.9) when the config has none.
    pub fn for_model(spec: &TextSpec) -> Self {
        match spec.family {
            ModelFamily::Siglip => Self::Sigmoid {
                scale: spec.logit_scale.unwrap_or(4.7664).exp(),
                bias: spec.logit_bias.unwrap_or(-12.932),
            },
            ModelFamily::Clip => Self::Softmax {
                scale: spec.logit_scale.unwrap_or(100f32.ln()).exp(),
            },
        }
    }
}

/// A [`Tagger`] that scores image embeddings against a label bank.
#[derive(Debug, Clone)]
pub struct ZeroShotTagger {
    bank: Arc<LabelBank>,
    scoring: ZeroShotScoring,
    hierarchy: TagHierarchy,
    options: TagOptions,
}

impl ZeroShotTagger {
    /// A tagger over `bank`; `wordnet` adds paths and de-duplication for synset labels.
    pub fn new(
        bank: Arc<LabelBank>,
        scoring: ZeroShotScoring,
        wordnet: Option<WordNet>,
        options: TagOptions,
    ) -> Self {
        let hierarchy = TagHierarchy::new(wordnet, &options);
        Self {
            bank,
            scoring,
            hierarchy,
            options,
        }
    }

    /// Whether tags carry WordNet paths.
    pub fn with_paths(mut self, on: bool) -> Self {
        self.hierarchy.paths = on;
        self
    }

    /// The best `k` labels for `embedding` (unit length) with their confidences, best first.
    pub fn score(&self, embedding: &[f32], k: usize) -> Vec<(usize, f32)> {
        score_bank(&self.bank, embedding, self.scoring, k)
    }
}

/// Scores a whole bank in one pass: cosine per label, the k best kept in a small buffer, and for
/// softmax a running log-sum-exp. Returns `(label index, confidence)`, best first.
pub(crate) fn score_bank(
    bank: &LabelBank,
    embedding: &[f32],
    scoring: ZeroShotScoring,
    k: usize,
) -> Vec<(usize, f32)> {
    if embedding.len() != bank.dim() || k == 0 {
        return Vec::new();
    }
    let scale = match scoring {
        ZeroShotScoring::Sigmoid { scale, .. } | ZeroShotScoring::Softmax { scale } => scale,
    };
    let mut best = TopK::new(k);
    let (mut max, mut sum) = (f32::NEG_INFINITY, 0.0f32);
    for (i, row) in bank.vectors().chunks_exact(bank.dim()).enumerate() {
        let logit = dot(row, embedding) * scale;
        best.offer(i, logit);
        if logit > max {
            sum = sum * (max - logit).exp() + 1.0;
            max = logit;
        } else {
            sum += (logit - max).exp();
        }
    }
    let log_sum = max + sum.ln();
    best.into_sorted()
        .into_iter()
        .map(|(i, logit)| {
            let confidence = match scoring {
                ZeroShotScoring::Sigmoid { bias, .. } => 1.0 / (1.0 + (-(logit + bias)).exp()),
                ZeroShotScoring::Softmax { .. } => (logit - log_sum).exp(),
            };
            (i, confidence)
        })
        .collect()
}

impl Tagger for ZeroShotTagger {
    fn tag(&self, output: &ModelOutput) -> Vec<Tag> {
        let mut picked: Vec<(usize, f32)> = self
            .score(&output.embedding, self.options.top_k)
            .into_iter()
            .filter(|(_, c)| *c >= self.options.min_confidence)
            .collect();
        let labels = self.bank.labels();
        self.hierarchy.dedup(labels, &mut picked);
        picked
            .into_iter()
            .map(|(i, confidence)| Tag {
                name: labels[i].name.clone(),
                confidence,
                path: self.hierarchy.path(&labels[i]),
            })
            .collect()
    }
}
