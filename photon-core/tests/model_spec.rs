//! Model folders become the right specs: CLIP and SigLIP Hugging Face layouts, Photon's own
//! descriptor, and clear errors for anything else.

use photon_core::{DESCRIPTOR_FILE, ModelSpecError, efficientnet_lite0, load_model_dir};
use photon_core::{Normalization, ResizeFilter, ResizeMode};

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn a_clip_tower_crops_and_embeds_with_its_projection() {
    let dir = folder(&[
        ("onnx/vision_model.onnx", "weights"),
        (
            "config.json",
            r#"{"model_type": "clip", "projection_dim": 512, "vision_config": {"hidden_size": 768, "image_size": 224}}"#,
        ),
        (
            "preprocessor_config.json",
            r#"{"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224}, "do_center_crop": true,
               "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}"#,
        ),
    ]);
    let spec = load_model_dir(dir.path()).unwrap();
    assert_eq!(
        (spec.embedding_output.as_str(), spec.embedding_dim),
        ("image_embeds", 512)
    );
    let p = spec.preprocessing;
    assert_eq!((p.width, p.height), (224, 224));
    assert_eq!(
        p.resize,
        ResizeMode::ShorterSideThenCenterCrop { shorter_side: 224 }
    );
    assert_eq!(p.filter, ResizeFilter::Bicubic);
    let Normalization::MeanStd { mean, .. } = p.normalization else {
        panic!()
    };
    assert!((mean[0] - 0.481_454_66).abs() < 1e-6);
}

#[test]
fn a_siglip_tower_without_preprocessor_config_uses_siglip_defaults() {
    let dir = folder(&[
        ("onnx/vision_model.onnx", "weights"),
        (
            "config.json",
            r#"{"model_type": "siglip", "vision_config": {"hidden_size": 768, "image_size": 256}}"#,
        ),
    ]);
    let spec = load_model_dir(dir.path()).unwrap();
    assert_eq!(
        (spec.embedding_output.as_str(), spec.embedding_dim),
        ("pooler_output", 768)
    );
    assert_eq!(
        (spec.preprocessing.width, spec.preprocessing.resize),
        (256, ResizeMode::Squash)
    );
    assert_eq!(
        spec.preprocessing.normalization,
        Normalization::MeanStd {
            mean: [0.5; 3],
            std: [0.5; 3]
        }
    );
    assert!(
        spec.id.contains('@'),
        "the id names the weights: {}",
        spec.id
    );
}

#[test]
fn photon_descriptors_round_trip_with_relative_paths() {
    let dir = folder(&[("model.onnx", "weights")]);
    let spec = efficientnet_lite0("".as_ref());
    std::fs::write(
        dir.path().join(DESCRIPTOR_FILE),
        serde_json::to_string(&spec).unwrap(),
    )
    .unwrap();
    let loaded = load_model_dir(dir.path()).unwrap();
    assert_eq!(
        loaded.model_file.as_deref(),
        Some(dir.path().join("model.onnx").as_path())
    );
    assert_eq!(
        loaded.labels_file.as_deref(),
        Some(dir.path().join("labels.tsv").as_path())
    );
    assert_eq!(loaded.preprocessing, spec.preprocessing);
    assert_eq!(
        loaded.id,
        format!(
            "efficientnet-lite0@{}",
            &blake3::hash(b"weights").to_hex()[..12]
        )
    );
}

#[test]
fn anything_else_is_a_clear_error() {
    let empty = folder(&[]);
    assert!(matches!(
        load_model_dir(empty.path()),
        Err(ModelSpecError::NotAModel(_))
    ));
    let broken = folder(&[
        ("onnx/vision_model.onnx", "w"),
        ("config.json", "{\"model_type\": \"siglip\"}"),
    ]);
    let message = load_model_dir(broken.path()).unwrap_err().to_string();
    assert!(message.contains("hidden_size"), "{message}");
}
