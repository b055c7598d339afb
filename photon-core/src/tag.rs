//! Tags and the [`Tagger`] plugin trait that derives them from model output, with what every
//! tagger shares: [`Label`]s, [`TagOptions`] and the [`AncestorDedup`] policy. photon-models has
//! Photon's taggers (a classifier's, and zero-shot against a label bank).

use crate::model::ModelOutput;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// A label with a confidence, optionally placed in a hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tag {
    /// The label, e.g. `tiger cat`.
    pub name: String,
    /// Confidence in 0..=1.
    pub confidence: f32,
    /// Where the label sits in a hierarchy, e.g. `animal > cat > tiger cat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Tag {
    /// A tag with no hierarchy path.
    pub fn new(name: impl Into<String>, confidence: f32) -> Self {
        Self {
            name: name.into(),
            confidence,
            path: None,
        }
    }

    /// The same tag placed in a hierarchy (`animal > cat > tiger cat`).
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

/// Turns one image's model output into tags, best first.
///
/// # The contract
///
/// - The output's embedding is already L2-normalised, and of the model's length.
/// - `tag` runs on a blocking thread, never on an async worker, a batch's images one after the
///   other: it may take milliseconds (scoring 80 000 zero-shot labels takes ~13 ms) without
///   holding up the run's other work. Several batches may be tagged at once.
/// - A panic fails only that image, with an error of stage `tag`.
///
/// `Arc<T>`, `Box<T>` and `&T` are taggers when `T` is.
///
/// ```
/// use photon_core::{ModelOutput, Tag, Tagger};
///
/// /// Tags an image "bright" when its first embedding value is positive.
/// struct Bright;
/// impl Tagger for Bright {
///     fn tag(&self, out: &ModelOutput) -> Vec<Tag> {
///         let v = out.embedding.first().copied().unwrap_or(0.0);
///         (v > 0.0).then(|| Tag::new("bright", v.min(1.0))).into_iter().collect()
///     }
/// }
///
/// let out = ModelOutput::new(vec![0.5]);
/// assert_eq!(Bright.tag(&out)[0].name, "bright");
/// ```
pub trait Tagger: Send + Sync {
    /// Tags for one image, best first. An empty list is a valid answer.
    fn tag(&self, output: &ModelOutput) -> Vec<Tag>;
}

macro_rules! forward_tagger {
    ($($wrapper:ty),*) => {$(
        impl<T: Tagger + ?Sized> Tagger for $wrapper {
            fn tag(&self, output: &ModelOutput) -> Vec<Tag> {
                (**self).tag(output)
            }
        }
    )*};
}

forward_tagger!(Arc<T>, Box<T>, &T);

/// One class of a classifier, or one term of a zero-shot vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// WordNet-style synset id (`n02123159`), when the label has one: it places the tag in the
    /// WordNet hierarchy.
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
#[non_exhaustive]
pub enum AncestorDedup {
    /// Keep both.
    #[default]
    Keep,
    /// Drop the more general tag (its name is in the specific tag's path anyway).
    DropAncestors,
    /// Drop the more specific tag: a tag is dropped when one of its ancestors is also present.
    DropDescendants,
}

/// How many tags a tagger keeps and how it presents them; both taggers take these.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct TagOptions {
    /// Most tags per image.
    pub top_k: usize,
    /// Tags below this confidence are dropped.
    pub min_confidence: f32,
    /// Levels of WordNet path kept above the tag (the path always ends with the tag itself).
    pub path_depth: usize,
    /// How related tags are de-duplicated.
    pub dedup: AncestorDedup,
}

impl Default for TagOptions {
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

impl TagOptions {
    /// Sets [`top_k`](Self::top_k).
    pub fn top_k(mut self, k: usize) -> Self {
        self.top_k = k;
        self
    }

    /// Sets [`min_confidence`](Self::min_confidence).
    pub fn min_confidence(mut self, confidence: f32) -> Self {
        self.min_confidence = confidence;
        self
    }

    /// Sets [`path_depth`](Self::path_depth).
    pub fn path_depth(mut self, levels: usize) -> Self {
        self.path_depth = levels;
        self
    }

    /// Sets [`dedup`](Self::dedup).
    pub fn dedup(mut self, policy: AncestorDedup) -> Self {
        self.dedup = policy;
        self
    }
}
