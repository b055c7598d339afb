//! Tags from a classifier head: softmax over logits, top-k above a confidence, names from the
//! label file, WordNet paths and ancestor de-duplication for ImageNet-style synset labels.

use super::hierarchy::TagHierarchy;
use super::wordnet::WordNet;
use super::{Tag, Tagger};
use crate::model::ModelOutput;
use std::path::Path;
use std::sync::Arc;

/// One class of the classifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// WordNet-style synset id (`n02123159`), when the label file has one.
    pub synset: Option<String>,
    /// Human-readable name (`tiger cat`).
    pub name: String,
}

/// Reads a label file: `synset<TAB>name` lines (ImageNet) or one name per line.
pub fn read_labels(path: &Path) -> std::io::Result<Vec<Label>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| match line.split_once('\t') {
            Some((id, name)) => Label {
                synset: Some(id.trim().to_owned()),
                name: name.trim().to_owned(),
            },
            None => Label {
                synset: None,
                name: line.trim().to_owned(),
            },
        })
        .collect())
}

/// Which of two related tags to keep when one is a WordNet ancestor of the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AncestorDedup {
    /// Keep both.
    #[default]
    Keep,
    /// Drop the more general tag (its name is in the specific tag's path anyway).
    DropAncestors,
    /// Drop the more specific tag: a tag is dropped when one of its ancestors is also present.
    DropDescendants,
}

/// Settings of a [`ClassifierTagger`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassifierOptions {
    /// Most tags per image.
    pub top_k: usize,
    /// Tags below this softmax probability are dropped.
    pub min_confidence: f32,
    /// Levels of WordNet path kept above the tag (the path always ends with the tag itself).
    pub path_depth: usize,
    /// How related tags are de-duplicated.
    pub dedup: AncestorDedup,
}

impl Default for ClassifierOptions {
    /// Top 5 above 5 %, paths 4 levels deep, no de-duplication.
    fn default() -> Self {
        Self {
            top_k: 5,
            min_confidence: 0.05,
            path_depth: 4,
            dedup: AncestorDedup::Keep,
        }
    }
}

/// A [`Tagger`] for models with classifier logits.
#[derive(Debug, Clone)]
pub struct ClassifierTagger {
    labels: Arc<Vec<Label>>,
    hierarchy: TagHierarchy,
    options: ClassifierOptions,
}

impl ClassifierTagger {
    /// A tagger over `labels`, with WordNet paths when `wordnet` is given.
    pub fn new(labels: Vec<Label>, wordnet: Option<WordNet>, options: ClassifierOptions) -> Self {
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
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

/// Indices of the `k` largest values, largest first, by partial selection (O(n), then sorting
/// only the `k` chosen).
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
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
            .map(|(i, confidence)| Tag {
                name: self.labels[i].name.clone(),
                confidence,
                path: self.hierarchy.path(&self.labels[i]),
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
