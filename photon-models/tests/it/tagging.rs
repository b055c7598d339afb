//! The classifier tagger on WordNet (Debian wordnet-base, installed by scripts/setup.sh):
//! softmax, top-k, minimum confidence, hypernym paths and ancestor de-duplication.

use photon_core::ModelOutput;
use photon_core::Tagger;
use photon_core::{AncestorDedup, Label, TagOptions};
use photon_models::ClassifierTagger;
use photon_models::WordNet;
use photon_models::tag::DEBIAN_DATA_NOUN;

fn wordnet() -> WordNet {
    WordNet::open(DEBIAN_DATA_NOUN.as_ref())
        .unwrap_or_else(|e| panic!("{DEBIAN_DATA_NOUN}: {e}: run scripts/setup.sh"))
}

fn labels() -> Vec<Label> {
    [
        ("n02123159", "tiger cat"),
        ("n02121808", "domestic cat"),
        ("n02123045", "tabby"),
        ("n07920052", "espresso"),
    ]
    .map(|(id, name)| Label {
        synset: Some(id.into()),
        name: name.into(),
    })
    .to_vec()
}

/// Logits whose softmax is 0.4, 0.3, 0.2, 0.1.
fn output() -> ModelOutput {
    ModelOutput::new(vec![1.0]).with_logits([0.4f32, 0.3, 0.2, 0.1].map(f32::ln).to_vec())
}

fn names(tagger: &ClassifierTagger) -> Vec<String> {
    tagger.tag(&output()).into_iter().map(|t| t.name).collect()
}

#[test]
fn tags_are_the_top_k_above_the_threshold_with_paths() {
    let options = TagOptions::default()
        .top_k(3)
        .min_confidence(0.25)
        .path_depth(2)
        .dedup(AncestorDedup::Keep);
    let tagger = ClassifierTagger::new(labels(), Some(wordnet()), options);
    let tags = tagger.tag(&output());
    assert_eq!(tags.len(), 2, "0.2 is under the threshold: {tags:?}");
    assert_eq!(tags[0].name, "tiger cat");
    assert!((tags[0].confidence - 0.4).abs() < 1e-6);
    assert_eq!(
        tags[0].path.as_deref(),
        Some("cat > domestic cat > tiger cat")
    );
    assert_eq!(tags[1].path.as_deref(), Some("feline > cat > domestic cat"));
}

#[test]
fn related_tags_are_deduplicated_either_way() {
    let options = |dedup| {
        TagOptions::default()
            .top_k(4)
            .min_confidence(0.0)
            .path_depth(0)
            .dedup(dedup)
    };
    let tagger = |dedup| ClassifierTagger::new(labels(), Some(wordnet()), options(dedup));
    assert_eq!(
        names(&tagger(AncestorDedup::Keep)),
        ["tiger cat", "domestic cat", "tabby", "espresso"]
    );
    assert_eq!(
        names(&tagger(AncestorDedup::DropAncestors)),
        ["tiger cat", "tabby", "espresso"]
    );
    assert_eq!(
        names(&tagger(AncestorDedup::DropDescendants)),
        ["domestic cat", "espresso"]
    );
    let no_paths = tagger(AncestorDedup::Keep).with_paths(false).tag(&output());
    assert!(no_paths.iter().all(|t| t.path.is_none()));
}

#[test]
fn a_label_count_mismatch_gives_no_tags_rather_than_wrong_ones() {
    let tagger = ClassifierTagger::new(labels()[..3].to_vec(), None, TagOptions::default());
    assert!(tagger.tag(&output()).is_empty());
}
