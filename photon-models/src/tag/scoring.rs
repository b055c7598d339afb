//! How an image embedding's cosine with each label's text embedding becomes a confidence.
//! SigLIP scores each label on its own, `sigmoid(cos · exp(logit_scale) + logit_bias)`; CLIP
//! takes a softmax over `exp(logit_scale) · cos` (100 · cos). Top-k is a single pass that keeps
//! only the k best, with no sort and no allocation per label.

use photon_core::vector::{TopK, dot};
use photon_core::{ModelFamily, TextSpec};

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
            ModelFamily::Clip => Self::Softmax {
                scale: spec.logit_scale.unwrap_or(100f32.ln()).exp(),
            },
            _ => Self::Sigmoid {
                scale: spec.logit_scale.unwrap_or(4.7664).exp(),
                bias: spec.logit_bias.unwrap_or(-12.932),
            },
        }
    }
}

/// Scores a whole bank (`dim`-long rows of `vectors`) in one pass: cosine per label, the k best kept in a small buffer, and for
/// softmax a running log-sum-exp. Returns `(label index, confidence)`, best first.
pub(crate) fn score_rows(
    vectors: &[f32],
    dim: usize,
    embedding: &[f32],
    scoring: ZeroShotScoring,
    k: usize,
) -> Vec<(usize, f32)> {
    if embedding.len() != dim || dim == 0 || k == 0 {
        return Vec::new();
    }
    let scale = match scoring {
        ZeroShotScoring::Sigmoid { scale, .. } | ZeroShotScoring::Softmax { scale } => scale,
    };
    let mut best = TopK::new(k);
    let (mut max, mut sum) = (f32::NEG_INFINITY, 0.0f32);
    for (i, row) in vectors.chunks_exact(dim).enumerate() {
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
