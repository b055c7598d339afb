//! Tags from a classifier head: softmax over logits, top-k above a confidence, names from the
//! label file, WordNet paths and ancestor de-duplication for ImageNet-style synset labels.

use super::hierarchy::TagHierarchy;
use super::wordnet::WordNet;
use photon_core::{Label, ModelOutput, Tag, TagOptions, Tagger};
use std::sync::Arc;

/// A [`Tagger`] for models with classifier logits.
#[derive(Debug, Clone)]
pub struct ClassifierTagger {
    labels: Arc<Vec<Label>>,
    hierarchy: TagHierarchy,
    options: TagOptions,
}

impl ClassifierTagger {
    /// A tagger over `labels`, with WordNet paths when `wordnet` is given.
    pub fn new(labels: Vec<Label>, wordnet: Option<WordNet>, options: TagOptions) -> Self {
        let hierarchy = TagHierarchy::new(wordnet, &options);
        Self {
            labels: Arc::new(labels),
            hierarchy,
            options,
        }
    }

    /// Whether tags carry WordNet paths (on by default when WordNet is given); WordNet may
    /// still serve de-duplication without them.
    pub fn with_paths(mut self, on: bool) -> Self {
        self.hierarchy.paths = on;
        self
    }

    /// The classes, in logit order.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }
}

/// Numerically stable softmax.
fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Indices of the `k` largest values, largest first, by partial selection (O(n), then sorting
/// only the `k` chosen).
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..values.len()).collect();
    let k = k.min(values.len());
    if k == 0 {
        return Vec::new();
    }
    let by_value_desc = |a: &usize, b: &usize| values[*b].total_cmp(&values[*a]);
    if k < indices.len() {
        indices.select_nth_unstable_by(k - 1, by_value_desc);
        indices.truncate(k);
    }
    indices.sort_unstable_by(by_value_desc);
    indices
}

impl Tagger for ClassifierTagger {
    fn tag(&self, output: &ModelOutput) -> Vec<Tag> {
        let Some(logits) = output.logits.as_deref() else {
            return Vec::new();
        };
        if logits.len() != self.labels.len() {
            return Vec::new();
        }
        let probabilities = softmax(logits);
        let mut picked: Vec<(usize, f32)> = top_k(&probabilities, self.options.top_k)
            .into_iter()
            .map(|i| (i, probabilities[i]))
            .filter(|(_, p)| *p >= self.options.min_confidence)
            .collect();
        self.hierarchy.dedup(&self.labels, &mut picked);
        picked
            .into_iter()
            .map(|(i, confidence)| {
                let mut tag = Tag::new(self.labels[i].name.clone(), confidence);
                tag.path = self.hierarchy.path(&self.labels[i]);
                tag
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_picks_the_largest_in_order() {
        let v = [0.1, 0.7, 0.05, 0.9, 0.3];
        assert_eq!(top_k(&v, 3), vec![3, 1, 4]);
        assert_eq!(top_k(&v, 10), vec![3, 1, 4, 0, 2]);
        assert!(top_k(&v, 0).is_empty());
    }

    #[test]
    fn softmax_is_stable_and_sums_to_one() {
        let p = softmax(&[1000.0, 1000.0, 999.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!((p[0] - p[1]).abs() < 1e-7 && p[2] < p[0]);
    }
}
