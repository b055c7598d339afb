//! Zero-shot tags: an image embedding scored against a [`LabelBank`] of text embeddings, by the
//! model's [`ZeroShotScoring`].

use super::hierarchy::TagHierarchy;
use super::label_bank::LabelBank;
use super::scoring::ZeroShotScoring;
use super::wordnet::WordNet;
use photon_core::{ModelOutput, Tag, TagOptions, Tagger};
use std::sync::Arc;

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
        self.bank.score(embedding, self.scoring, k)
    }
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
            .map(|(i, confidence)| {
                let mut tag = Tag::new(labels[i].name.clone(), confidence);
                tag.path = self.hierarchy.path(&labels[i]);
                tag
            })
            .collect()
    }
}
