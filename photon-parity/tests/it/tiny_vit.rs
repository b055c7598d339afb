//! The generated tiny SigLIP-shaped model (testdata/models/tiny-siglip): both engines match the
//! Python onnxruntime reference and each other, batching is transparent, and its Hugging Face
//! configuration becomes the right spec.

use photon_core::ImageBatch;
use photon_core::{Normalization, ResizeFilter, ResizeMode};
use photon_models::load_model_dir;
use photon_parity::*;

fn model_dir() -> std::path::PathBuf {
    repo().join("testdata/models/tiny-siglip")
}

/// The input `scripts/make_tiny_vit.py` used: sin(0.1(n+1)(c+1) + 0.05h - 0.03w).
fn test_batch(n: usize) -> ImageBatch {
    let mut data = Vec::with_capacity(n * 3 * 32 * 32);
    for b in 0..n {
        for c in 0..3 {
            for h in 0..32 {
                for w in 0..32 {
                    let v =
                        0.1 * (b + 1) as f64 * (c + 1) as f64 + 0.05 * h as f64 - 0.03 * w as f64;
                    data.push(v.sin() as f32);
                }
            }
        }
    }
    ImageBatch::new(32, 32, data).unwrap()
}

fn reference() -> Vec<Vec<f32>> {
    let text = std::fs::read_to_string(model_dir().join("reference.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    serde_json::from_value(json["pooler_output"].clone()).unwrap()
}

#[test]
fn the_hugging_face_layout_becomes_the_right_spec() {
    let spec = load_model_dir(&model_dir()).unwrap();
    assert_eq!(
        (spec.input_name.as_str(), spec.embedding_output.as_str()),
        ("pixel_values", "pooler_output")
    );
    assert_eq!(spec.embedding_dim, 32);
    let p = spec.preprocessing;
    assert_eq!(
        (p.width, p.height, p.resize, p.filter),
        (32, 32, ResizeMode::Squash, ResizeFilter::Bilinear)
    );
    assert_eq!(
        p.normalization,
        Normalization::MeanStd {
            mean: [0.5; 3],
            std: [0.5; 3]
        }
    );
    let loaded = load_model_dir(&model_dir()).unwrap();
    assert!(loaded.id.starts_with("tiny-siglip@"), "{}", loaded.id);
}

#[tokio::test]
async fn both_engines_match_the_python_reference_and_each_other() {
    let spec = load_model_dir(&model_dir()).unwrap();
    let (ort, tract) = both_engines(&spec);
    let batch = test_batch(3);
    let expected = reference();
    let from_ort = embed(&ort, &batch).await;
    let from_tract = embed(&tract, &batch).await;
    for i in 0..3 {
        let (o, t) = (&from_ort[i].embedding, &from_tract[i].embedding);
        assert!(
            max_abs_diff(o, &expected[i]) <= 1e-4,
            "ort vs python: {}",
            max_abs_diff(o, &expected[i])
        );
        assert!(
            max_abs_diff(t, &expected[i]) <= 1e-4,
            "tract vs python: {}",
            max_abs_diff(t, &expected[i])
        );
        assert!(
            max_abs_diff(o, t) <= 1e-4,
            "ort vs tract: {}",
            max_abs_diff(o, t)
        );
    }
}

#[tokio::test]
async fn an_image_alone_or_in_a_batch_of_seven_embeds_the_same() {
    let spec = load_model_dir(&model_dir()).unwrap();
    let (ort, tract) = both_engines(&spec);
    let mut symbolic = photon_tract::TractOptions::default();
    symbolic.batch_plan = photon_tract::BatchPlan::Symbolic;
    let tract_symbolic = photon_tract::TractEmbedder::new(spec.clone(), &symbolic).unwrap();
    let seven = test_batch(7);
    let reference = embed(&ort, &seven).await;
    let batched = embed(&tract_symbolic, &seven).await;
    assert_eq!((reference.len(), batched.len()), (7, 7));
    for (a, b) in reference.iter().zip(&batched) {
        assert!(
            max_abs_diff(&a.embedding, &b.embedding) <= 1e-4,
            "tract with a symbolic batch vs ort"
        );
    }
    for engine in [&ort as &dyn photon_core::Embedder, &tract, &tract_symbolic] {
        let together = embed(engine, &seven).await;
        for (i, in_batch) in together.iter().enumerate() {
            let alone = ImageBatch::stack(32, 32, [seven.image(i)]).unwrap();
            let alone = embed(engine, &alone).await;
            let diff = max_abs_diff(&alone[0].embedding, &in_batch.embedding);
            assert!(
                diff <= 1e-5,
                "{}: image {i} differs by {diff} alone vs in a batch",
                engine.backend()
            );
        }
    }
}

/// Cosine of two vectors.
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[tokio::test]
async fn a_float16_export_embeds_as_the_float32_one_on_both_engines() {
    // tiny-siglip converted to float16 throughout, its input and output included.
    let half = load_model_dir(&repo().join("testdata/models/tiny-siglip-fp16")).unwrap();
    let full = load_model_dir(&model_dir()).unwrap();
    let (ort, tract) = both_engines(&half);
    let batch = test_batch(3);
    let expected = reference();
    let from_ort = embed(&ort, &batch).await;
    let from_tract = embed(&tract, &batch).await;
    let from_full = embed(
        &photon_ort::OrtEmbedder::new(full, &ort_options()).unwrap(),
        &batch,
    )
    .await;
    assert_eq!((from_ort.len(), from_tract.len()), (3, 3));
    for i in 0..3 {
        let (o, t) = (&from_ort[i].embedding, &from_tract[i].embedding);
        assert_eq!(o.len(), 32);
        assert!(max_abs_diff(&from_full[i].embedding, &expected[i]) <= 1e-4);
        assert!(
            cosine(o, &expected[i]) > 0.999,
            "ort fp16: {}",
            cosine(o, &expected[i])
        );
        assert!(
            cosine(t, &expected[i]) > 0.999,
            "tract fp16: {}",
            cosine(t, &expected[i])
        );
        assert!(
            max_abs_diff(o, &expected[i]) > 0.0,
            "float16 rounds somewhere"
        );
    }
}
