//! Photon's two taggers: [`ClassifierTagger`] (a classifier head's logits against its labels) and
//! [`ZeroShotTagger`] (an image embedding against a [`LabelBank`] of text embeddings, scored as
//! the model family says), both drawing paths from [`WordNet`].

mod classifier;
mod hierarchy;
mod label_bank;
mod scoring;
mod wordnet;
mod zero_shot;

pub use classifier::ClassifierTagger;
pub use label_bank::{DEFAULT_TEMPLATE, LabelBank, read_vocabulary, wordnet_vocabulary};
pub use scoring::ZeroShotScoring;
pub use wordnet::{DEBIAN_DATA_NOUN, WordNet};
pub use zero_shot::ZeroShotTagger;
