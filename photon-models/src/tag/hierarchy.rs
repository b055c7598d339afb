//! What the classifier and zero-shot taggers share: WordNet paths for tags and de-duplication of
//! tags related in WordNet.

use super::wordnet::{WordNet, offset_of};
use photon_core::{AncestorDedup, Label, TagOptions};
use std::sync::Arc;

/// WordNet, and how tags use it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TagHierarchy {
    pub(crate) wordnet: Option<Arc<WordNet>>,
    pub(crate) path_depth: usize,
    pub(crate) dedup: AncestorDedup,
    pub(crate) paths: bool,
}

impl TagHierarchy {
    /// Paths on, depth and de-duplication from the tagger's options.
    pub(crate) fn new(wordnet: Option<WordNet>, options: &TagOptions) -> Self {
        Self {
            wordnet: wordnet.map(Arc::new),
            path_depth: options.path_depth,
            dedup: options.dedup,
            paths: true,
        }
    }

    /// `ancestor > ... > label` with at most `path_depth` ancestors, for synset labels.
    pub(crate) fn path(&self, label: &Label) -> Option<String> {
        let wordnet = self.wordnet.as_ref().filter(|_| self.paths)?;
        let chain = wordnet.path_to(offset_of(label.synset.as_deref()?)?);
        let (_, ancestors) = chain.split_last()?;
        let keep = ancestors.len().saturating_sub(self.path_depth);
        let mut parts: Vec<&str> = ancestors[keep..]
            .iter()
            .filter_map(|s| s.words.first().map(String::as_str))
            .collect();
        parts.push(&label.name);
        Some(parts.join(" > "))
    }

    /// Drops, from `picked` (label index, confidence), the tags the dedup rule removes.
    pub(crate) fn dedup(&self, labels: &[Label], picked: &mut Vec<(usize, f32)>) {
        let Some(wordnet) = &self.wordnet else { return };
        if self.dedup == AncestorDedup::Keep {
            return;
        }
        let offsets: Vec<Option<u32>> = picked
            .iter()
            .map(|(i, _)| labels[*i].synset.as_deref().and_then(offset_of))
            .collect();
        let ancestors: Vec<_> = offsets
            .iter()
            .map(|o| o.map(|o| wordnet.ancestors(o)).unwrap_or_default())
            .collect();
        let is_ancestor_of =
            |a: usize, b: usize| offsets[a].is_some_and(|o| ancestors[b].contains(&o));
        let drop: Vec<bool> = (0..picked.len())
            .map(|i| {
                (0..picked.len()).any(|j| {
                    j != i
                        && match self.dedup {
                            AncestorDedup::DropAncestors => is_ancestor_of(i, j),
                            AncestorDedup::DropDescendants => is_ancestor_of(j, i),
                            _ => false,
                        }
                })
            })
            .collect();
        let mut keep = drop.iter().map(|d| !d);
        picked.retain(|_| keep.next().unwrap_or(true));
    }
}
