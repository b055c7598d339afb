//! Zero-shot scoring against label banks: both formulas against hand-computed values, top-k on
//! an 80 000 × 768 bank, the on-disk cache keyed by model, vocabulary and template, and the
//! WordNet vocabulary.

use async_trait::async_trait;
use photon_core::Tagger;
use photon_core::{EmbedError, ModelOutput};
use photon_core::{Label, TagOptions};
use photon_core::{TextEncoder, TextSpec, TokenBatch};
use photon_models::LabelBank;
use photon_models::WordNet;
use photon_models::tag::DEBIAN_DATA_NOUN;
use photon_models::tag::{DEFAULT_TEMPLATE, wordnet_vocabulary};
use photon_models::{TextTokenizer, load_text_dir};
use photon_models::{ZeroShotScoring, ZeroShotTagger};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn label(name: &str) -> Label {
    Label {
        synset: None,
        name: name.into(),
    }
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

#[test]
fn both_formulas_match_hand_computed_values() {
    // Three labels in 2-D at 0°, 60° and 90° from the image: cosines 1, 0.5, 0.
    let rows = [
        unit(&[1.0, 0.0]),
        unit(&[0.5, 0.75f32.sqrt()]),
        unit(&[0.0, 1.0]),
    ]
    .concat();
    let bank = LabelBank::new(vec![label("same"), label("near"), label("far")], 2, rows).unwrap();
    let image = [1.0, 0.0];

    let sigmoid = |x: f32| 1.0 / (1.0 + (-x).exp());
    let siglip = bank.score(
        &image,
        ZeroShotScoring::Sigmoid {
            scale: 10.0,
            bias: -5.0,
        },
        3,
    );
    let want = [
        (0, sigmoid(10.0 - 5.0)),
        (1, sigmoid(5.0 - 5.0)),
        (2, sigmoid(-5.0)),
    ];
    assert_eq!(siglip.len(), want.len());
    for ((i, c), (wi, wc)) in siglip.iter().zip(want) {
        assert_eq!(*i, wi);
        assert!((c - wc).abs() < 1e-6, "sigmoid: {c} vs {wc}");
    }

    let clip = bank.score(&image, ZeroShotScoring::Softmax { scale: 100.0 }, 3);
    let z: f32 = [100.0f32, 50.0, 0.0]
        .iter()
        .map(|l| (l - 100.0).exp())
        .sum();
    let want = [
        (0, 1.0 / z),
        (1, (-50.0f32).exp() / z),
        (2, (-100.0f32).exp() / z),
    ];
    assert_eq!(clip.len(), want.len());
    for ((i, c), (wi, wc)) in clip.iter().zip(want) {
        assert_eq!(*i, wi);
        assert!((c - wc).abs() < 1e-6, "softmax: {c} vs {wc}");
    }
}

/// Deterministic pseudo-random unit vectors.
fn random_bank(n: usize, dim: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..n)
        .flat_map(|_| unit(&(0..dim).map(|_| next()).collect::<Vec<_>>()))
        .collect()
}

#[test]
fn an_80000_label_bank_returns_the_true_top_k() {
    let (n, dim) = (80_000, 768);
    let mut rows = random_bank(n, dim);
    let image = rows[5 * dim..6 * dim].to_vec();
    // Plant labels that are close to the image, at known ranks.
    for (label, weight) in [(70_001usize, 0.9f32), (12_345, 0.8), (40_000, 0.7)] {
        let mixed: Vec<f32> = (0..dim)
            .map(|j| weight * image[j] + (1.0 - weight) * rows[label * dim + j])
            .collect();
        rows[label * dim..(label + 1) * dim].copy_from_slice(&unit(&mixed));
    }
    let labels: Vec<Label> = (0..n).map(|i| label(&format!("label {i}"))).collect();
    let bank = LabelBank::new(labels, dim, rows).unwrap();
    let top = bank.score(&image, ZeroShotScoring::Softmax { scale: 100.0 }, 5);
    let picked: Vec<usize> = top.iter().map(|(i, _)| *i).collect();
    assert_eq!(&picked[..4], &[5, 70_001, 12_345, 40_000]);
    // The same order as sorting every cosine.
    let mut all: Vec<(usize, f32)> = bank
        .vectors()
        .chunks_exact(dim)
        .map(|r| r.iter().zip(&image).map(|(a, b)| a * b).sum())
        .enumerate()
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(picked, all[..5].iter().map(|(i, _)| *i).collect::<Vec<_>>());
    assert!(top.windows(2).all(|w| w[0].1 >= w[1].1));
}

/// A text encoder that hashes token ids into vectors and counts its calls.
struct CountingEncoder {
    spec: TextSpec,
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl TextEncoder for CountingEncoder {
    fn spec(&self) -> &TextSpec {
        &self.spec
    }
    async fn encode(&self, tokens: TokenBatch) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok((0..tokens.len)
            .map(|i| {
                (0..self.spec.embedding_dim)
                    .map(|j| {
                        1.0 + (tokens.text(i).iter().sum::<i64>() as f32 * (j + 1) as f32).sin()
                    })
                    .collect()
            })
            .collect())
    }
}

fn tiny_siglip() -> (TextSpec, TextTokenizer) {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/models/tiny-siglip");
    let spec = load_text_dir(&dir).unwrap();
    let tokenizer = TextTokenizer::from_spec(&spec).unwrap();
    (spec, tokenizer)
}

#[tokio::test]
async fn the_cache_is_keyed_by_model_tokenizer_vocabulary_and_template() {
    let (spec, tokenizer) = tiny_siglip();
    let calls = Arc::new(AtomicUsize::new(0));
    let encoder = CountingEncoder {
        spec,
        calls: calls.clone(),
    };
    let cache = tempfile::tempdir().unwrap();
    let vocabulary = || vec![label("cat"), label("dog"), label("car")];
    let mut progress = Vec::new();
    let build = |labels: Vec<Label>, template: &'static str| {
        let (encoder, tokenizer, cache) = (&encoder, &tokenizer, cache.path());
        async move {
            LabelBank::load_or_build(cache, encoder, tokenizer, labels, template, 2, |_, _| {})
                .await
                .unwrap()
        }
    };

    let (first, built) = LabelBank::load_or_build(
        cache.path(),
        &encoder,
        &tokenizer,
        vocabulary(),
        DEFAULT_TEMPLATE,
        2,
        |d, t| progress.push((d, t)),
    )
    .await
    .unwrap();
    assert!(built);
    assert_eq!(progress, [(2, 3), (3, 3)], "progress after each batch of 2");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let (again, built) = build(vocabulary(), DEFAULT_TEMPLATE).await;
    assert!(!built, "same model, vocabulary and template: loaded");
    assert_eq!(again, first);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let (_, built) = build(vec![label("cat"), label("dog")], DEFAULT_TEMPLATE).await;
    assert!(built, "another vocabulary rebuilds");
    let (other, built) = build(vocabulary(), "a blurry photo of a {}").await;
    assert!(built, "another template rebuilds");
    assert_ne!(other.vectors(), first.vectors());

    // Another tokenizer (one more word in tokenizer.json), or another tokenising config (a pad
    // token, a length), with the same text model file: rebuilt, never the stale bank.
    let (spec, _) = tiny_siglip();
    let moved = tempfile::tempdir().unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spec.tokenizer_file).unwrap()).unwrap();
    json["model"]["vocab"]["zebra"] = 36.into();
    let edited = moved.path().join("tokenizer.json");
    std::fs::write(&edited, json.to_string()).unwrap();
    let mut respelled = spec.clone();
    respelled.tokenizer_file = edited;
    let mut repadded = spec.clone();
    repadded.pad_id = 2;
    let mut shortened = spec.clone();
    shortened.max_len = 16;
    for (what, changed) in [
        ("tokenizer.json", respelled),
        ("pad token", repadded),
        ("length", shortened),
    ] {
        let tokenizer = TextTokenizer::from_spec(&changed).unwrap();
        let (bank, built) = LabelBank::load_or_build(
            cache.path(),
            &encoder,
            &tokenizer,
            vocabulary(),
            DEFAULT_TEMPLATE,
            2,
            |_, _| {},
        )
        .await
        .unwrap();
        assert!(built, "another {what} rebuilds");
        if what == "pad token" {
            // (This encoder sums the ids, so only the pad shows in its vectors.)
            assert_ne!(bank.vectors(), first.vectors(), "the pad changes the ids");
        }
    }
    // Another text model (its id names its file's hash): rebuilt.
    let mut other_model = encoder.spec.clone();
    other_model.id = "tiny-siglip/text@000000000000".into();
    let other_encoder = CountingEncoder {
        spec: other_model,
        calls: calls.clone(),
    };
    let (_, built) = LabelBank::load_or_build(
        cache.path(),
        &other_encoder,
        &tokenizer,
        vocabulary(),
        DEFAULT_TEMPLATE,
        2,
        |_, _| {},
    )
    .await
    .unwrap();
    assert!(built, "another text model rebuilds");

    // A stale or damaged file where the bank should be is never used.
    let key = LabelBank::cache_key(
        &encoder.spec().id,
        &tokenizer,
        &vocabulary(),
        DEFAULT_TEMPLATE,
    );
    let path = LabelBank::cache_path(cache.path(), &key);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    let (repaired, built) = build(vocabulary(), DEFAULT_TEMPLATE).await;
    assert!(built && repaired == first);
    assert!(LabelBank::load(&path, "another key").unwrap().is_none());
}

#[test]
fn the_tagger_thresholds_and_keeps_the_top_k() {
    let rows = [unit(&[1.0, 0.0]), unit(&[0.6, 0.8]), unit(&[0.0, 1.0])].concat();
    let bank = Arc::new(LabelBank::new(vec![label("a"), label("b"), label("c")], 2, rows).unwrap());
    let options = TagOptions::default()
        .top_k(2)
        .min_confidence(0.5)
        .path_depth(0);
    let tagger = ZeroShotTagger::new(
        bank,
        ZeroShotScoring::Sigmoid {
            scale: 10.0,
            bias: -6.5,
        },
        None,
        options,
    );
    let tags = tagger.tag(&ModelOutput::new(vec![1.0, 0.0]));
    // a: sigmoid(3.5) kept; b: sigmoid(-0.5) under 0.5; c never in the top 2.
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "a");
}

#[test]
fn the_wordnet_vocabulary_holds_things_a_camera_sees() {
    let wordnet =
        WordNet::open(DEBIAN_DATA_NOUN.as_ref()).expect("run scripts/setup.sh (wordnet-base)");
    let vocabulary = wordnet_vocabulary(&wordnet);
    let has = |name: &str| vocabulary.iter().any(|l| l.name == name);
    assert!(vocabulary.len() > 30_000, "{} terms", vocabulary.len());
    for visual in [
        "tiger cat",
        "espresso",
        "sneaker",
        "beach",
        "oak",
        "astronaut",
    ] {
        assert!(has(visual), "{visual} missing");
    }
    for abstract_noun in ["happiness", "democracy", "arithmetic"] {
        assert!(!has(abstract_noun), "{abstract_noun} is not visual");
    }
}
