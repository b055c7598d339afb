//! The text towers of the generated tiny SigLIP and CLIP models: each family's tokenisation and
//! padding rules, both engines against Python onnxruntime and each other, and zero-shot tags and
//! text search in the image embeddings' space.

use photon_core::Embedder;
use photon_core::Label;
use photon_core::{ModelFamily, TextEncoder};
use photon_models::LabelBank;
use photon_models::ZeroShotScoring;
use photon_models::load_model_dir;
use photon_models::{TextTokenizer, embed_text, load_text_dir};
use photon_ort::OrtTextEncoder;
use photon_parity::*;
use photon_tract::{TractOptions, TractTextEncoder};

fn dir(family: &str) -> std::path::PathBuf {
    repo()
        .join("testdata/models")
        .join(format!("tiny-{family}"))
}

fn reference(family: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir(family).join("text_reference.json")).unwrap())
        .unwrap()
}

fn prompts(reference: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(reference["prompts"].clone()).unwrap()
}

#[test]
fn siglip_pads_to_64_with_its_pad_token_and_has_no_mask() {
    let spec = load_text_dir(&dir("siglip")).unwrap();
    assert_eq!(
        (spec.family, spec.max_len, spec.attention_mask.as_deref()),
        (ModelFamily::Siglip, 64, None)
    );
    let tokens = TextTokenizer::from_spec(&spec)
        .unwrap()
        .encode(&["A photo of a CAT"])
        .unwrap();
    // The tower takes no mask (the spec names none, so engines feed none); the batch still
    // says which tokens are real.
    let mask = tokens.attention_mask.as_deref().unwrap();
    assert_eq!(mask.iter().sum::<i64>(), 6, "five words and </s>");
    let ids = tokens.text(0);
    assert_eq!(ids.len(), 64);
    // five words (lower-cased), then </s>, then <pad> to the end
    assert_eq!(ids[5], i64::from(spec.eos_id));
    assert!(ids[..5].iter().all(|&t| t > 2), "{ids:?}");
    assert!(ids[6..].iter().all(|&t| t == i64::from(spec.pad_id)));
    let expected: Vec<Vec<i64>> =
        serde_json::from_value(reference("siglip")["input_ids"].clone()).unwrap();
    let refs = prompts(&reference("siglip"));
    let all = TextTokenizer::from_spec(&spec)
        .unwrap()
        .encode(&refs.iter().map(String::as_str).collect::<Vec<_>>())
        .unwrap();
    assert_eq!((all.len, expected.len()), (refs.len(), refs.len()));
    for (i, want) in expected.iter().enumerate() {
        assert_eq!(all.text(i), want.as_slice(), "{}", refs[i]);
    }
}

#[test]
fn clip_wraps_in_start_and_end_tokens_with_a_mask_and_keeps_end_of_text_when_cut() {
    let spec = load_text_dir(&dir("clip")).unwrap();
    assert_eq!((spec.family, spec.max_len), (ModelFamily::Clip, 77));
    let tokenizer = TextTokenizer::from_spec(&spec).unwrap();
    let long = vec!["cat"; 100].join(" ");
    let tokens = tokenizer.encode(&["a red car", &long]).unwrap();
    let mask = tokens.attention_mask.as_ref().unwrap();
    let short = tokens.text(0);
    assert_eq!(
        short[4],
        i64::from(spec.eos_id),
        "bos, 3 words, eos: {short:?}"
    );
    assert_eq!(&mask[..77].iter().sum::<i64>(), &5);
    let cut = tokens.text(1);
    assert_eq!(
        cut[76],
        i64::from(spec.eos_id),
        "a cut text still ends with end-of-text"
    );
    assert_eq!(mask[77..].iter().sum::<i64>(), 77);
}

#[tokio::test]
async fn both_engines_give_the_python_reference_text_embeddings() {
    for family in ["siglip", "clip"] {
        let spec = load_text_dir(&dir(family)).unwrap();
        let tokenizer = TextTokenizer::from_spec(&spec).unwrap();
        let ort = OrtTextEncoder::new(spec.clone(), &ort_options()).unwrap();
        let tract = TractTextEncoder::new(spec.clone(), &TractOptions::default()).unwrap();
        let reference = reference(family);
        let texts = prompts(&reference);
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let expected: Vec<Vec<f32>> =
            serde_json::from_value(reference["embeddings"].clone()).unwrap();
        let tokens = tokenizer.encode(&texts).unwrap();
        let from_ort = ort.encode(tokens.clone()).await.unwrap();
        let from_tract = tract.encode(tokens).await.unwrap();
        for i in 0..texts.len() {
            assert!(
                max_abs_diff(&from_ort[i], &expected[i]) <= 1e-4,
                "{family} ort: {}",
                texts[i]
            );
            assert!(
                max_abs_diff(&from_tract[i], &expected[i]) <= 1e-4,
                "{family} tract: {}",
                texts[i]
            );
            assert!(
                max_abs_diff(&from_ort[i], &from_tract[i]) <= 1e-4,
                "{family} ort vs tract"
            );
        }
        let unit = embed_text(&ort, &tokenizer, &texts).await.unwrap();
        assert!(
            unit.iter()
                .all(|v| (v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5)
        );
    }
}

#[tokio::test]
async fn zero_shot_scores_and_text_search_share_the_image_space() {
    // CLIP: image tower and text tower project to the same 24-d space.
    let vision = load_model_dir(&dir("clip")).unwrap();
    let text = load_text_dir(&dir("clip")).unwrap();
    assert_eq!(vision.embedding_dim, text.embedding_dim);
    let (ort_vision, _) = both_engines(&vision);
    let encoder = OrtTextEncoder::new(text.clone(), &ort_options()).unwrap();
    let tokenizer = TextTokenizer::from_spec(&text).unwrap();
    let labels: Vec<Label> = ["cat", "dog", "car", "beach", "espresso"]
        .map(|n| Label {
            synset: None,
            name: n.into(),
        })
        .to_vec();
    let cache = tempfile_dir();
    let (bank, _) = LabelBank::load_or_build(
        &cache,
        &encoder,
        &tokenizer,
        labels,
        "a photo of a {}",
        2,
        |_, _| {},
    )
    .await
    .unwrap();

    let image = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
    let tensor = vision.preprocessing.apply(&image).unwrap();
    let batch = photon_core::ImageBatch::stack(32, 32, [tensor.as_slice()]).unwrap();
    let embedding = unit(ort_vision.embed(batch).await.unwrap().remove(0).embedding);

    let scoring = ZeroShotScoring::for_model(&text);
    let ZeroShotScoring::Softmax { scale } = scoring else {
        panic!("CLIP scores with a softmax")
    };
    assert!((scale - 100.0).abs() < 1e-3, "CLIP's scale is 100: {scale}");
    let top = bank.score(&embedding, scoring, 5);
    let total: f32 = top.iter().map(|(_, p)| p).sum();
    assert!(
        (total - 1.0).abs() < 1e-4,
        "softmax over the whole (5-label) bank sums to 1: {total}"
    );
    // The same ranking as cosines against freshly embedded prompts.
    let prompts: Vec<String> = bank
        .labels()
        .iter()
        .map(|l| format!("a photo of a {}", l.name))
        .collect();
    let vectors = embed_text(
        &encoder,
        &tokenizer,
        &prompts.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let mut by_cosine: Vec<(usize, f32)> = vectors
        .iter()
        .map(|v| cosine(v, &embedding))
        .enumerate()
        .collect();
    by_cosine.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert_eq!(
        top.iter().map(|t| t.0).collect::<Vec<_>>(),
        by_cosine.iter().map(|t| t.0).collect::<Vec<_>>()
    );
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("photon-parity-bank-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
