//! Tags and the [`Tagger`] plugin trait that derives them from model output; the classifier
//! tagger and the WordNet hierarchy it draws paths from.

pub mod classifier;
mod hierarchy;
pub mod label_bank;
pub mod wordnet;
pub mod zero_shot;

use crate::model::ModelOutput;
use serde::{Deserialize, Serialize};

/// A label with a confidence, optionally placed in a hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The label, e.g. `tiger cat`.
    pub name: String,
    /// Confidence in 0..=1.
    pub confidence: f32,
    /// Where the label sits in a hierarchy, e.g. `animal > cat > tiger cat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Turns one image's model output into tags, best first.
///
/// ```
/// use photon_core::{model::ModelOutput, tag::{Tag, Tagger}};
///
/// /// Tags an image "bright" when its first embedding value is positive.
/// struct Bright;
/// impl Tagger for Bright {
///     fn tag(&self, out: &ModelOutput) -> Vec<Tag> {
///         let v = out.embedding.first().copied().unwrap_or(0.0);
///         (v > 0.0).then(|| Tag { name: "bright".into(), confidence: v.min(1.0), path: None })
///             .into_iter().collect()
///     }
/// }
///
/// let out = ModelOutput { embedding: vec![0.5], logits: None };
/// assert_eq!(Bright.tag(&out)[0].name, "bright");
/// ```
pub trait Tagger: Send + Sync {
    /// Tags for one image, best first. An empty list is a valid answer.
    fn tag(&self, output: &ModelOutput) -> Vec<Tag>;
}
