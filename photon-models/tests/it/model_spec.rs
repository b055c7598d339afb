//! Model folders become the right specs: CLIP and SigLIP Hugging Face layouts (complete, and
//! as minimal as published ones), immich's layout, Photon's own descriptor, and clear errors
//! for anything else.

use photon_core::{ModelFamily, Normalization, ResizeFilter, ResizeMode, TokenType};
use photon_models::folder::DESCRIPTOR_FILE;
use photon_models::folder::ValueSource;
use photon_models::{Layout, describe_model_dir, load_text_dir};
use photon_models::{ModelSpecError, efficientnet_lite0, load_model_dir};
use std::path::{Path, PathBuf};

fn tiny(model: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/models")
        .join(model)
}

/// A folder of text files, and `copies` of tiny-model files (`(source, name)`).
fn folder_with(files: &[(&str, &str)], copies: &[(PathBuf, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let place = |name: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        path
    };
    for (name, text) in files {
        std::fs::write(place(name), text).unwrap();
    }
    for (source, name) in copies {
        std::fs::copy(source, place(name)).unwrap();
    }
    dir
}

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    folder_with(files, &[])
}

/// The tiny CLIP (projection 24, input 32x32) or SigLIP (hidden 32) vision tower.
fn vision(model: &str) -> Vec<(PathBuf, &'static str)> {
    vec![(
        tiny(model).join("onnx/vision_model.onnx"),
        "onnx/vision_model.onnx",
    )]
}

#[test]
fn a_clip_tower_crops_and_embeds_with_its_projection() {
    let dir = folder_with(
        &[
            (
                "config.json",
                r#"{"model_type": "clip", "projection_dim": 24, "vision_config": {"hidden_size": 32, "image_size": 32}}"#,
            ),
            (
                "preprocessor_config.json",
                r#"{"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}, "do_center_crop": true,
                   "resample": 3, "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711]}"#,
            ),
        ],
        &vision("tiny-clip"),
    );
    let spec = load_model_dir(dir.path()).unwrap();
    assert_eq!(
        (spec.embedding_output.as_str(), spec.embedding_dim),
        ("image_embeds", 24)
    );
    let p = spec.preprocessing;
    assert_eq!((p.width, p.height), (32, 32));
    assert_eq!(
        p.resize,
        ResizeMode::ShorterSideThenCenterCrop { shorter_side: 32 }
    );
    assert_eq!(p.filter, ResizeFilter::Bicubic);
    let Normalization::MeanStd { mean, .. } = p.normalization else {
        panic!()
    };
    assert!((mean[0] - 0.481_454_66).abs() < 1e-6);
}

#[test]
fn a_siglip_tower_without_preprocessor_config_uses_siglip_defaults() {
    let dir = folder_with(
        &[(
            "config.json",
            r#"{"model_type": "siglip", "vision_config": {"hidden_size": 32, "image_size": 32}}"#,
        )],
        &vision("tiny-siglip"),
    );
    let spec = load_model_dir(dir.path()).unwrap();
    assert_eq!(
        (spec.embedding_output.as_str(), spec.embedding_dim),
        ("pooler_output", 32)
    );
    assert_eq!(
        (spec.preprocessing.width, spec.preprocessing.resize),
        (32, ResizeMode::Squash)
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
    assert!(message.contains("not an ONNX model"), "{message}");
    let unknown = folder_with(
        &[("config.json", "{\"model_type\": \"bert\"}")],
        &vision("tiny-siglip"),
    );
    let message = load_model_dir(unknown.path()).unwrap_err().to_string();
    assert!(
        message.contains("\"bert\" is none of clip, siglip"),
        "{message}"
    );
}

/// google/siglip-base-patch16-224's `config.json` as published: transformers wrote only what
/// differs from its defaults.
const PUBLISHED_SIGLIP: &str = r#"{"architectures": ["SiglipModel"], "initializer_factor": 1.0,
  "model_type": "siglip", "text_config": {"model_type": "siglip_text_model"},
  "torch_dtype": "float32", "transformers_version": "4.37.0.dev0",
  "vision_config": {"model_type": "siglip_vision_model"}}"#;

#[test]
fn a_published_minimal_siglip_config_is_filled_from_graph_tokenizer_and_defaults() {
    let copies = vec![
        (
            tiny("tiny-siglip/onnx/vision_model.onnx"),
            "onnx/vision_model.onnx",
        ),
        (
            tiny("tiny-siglip/onnx/text_model.onnx"),
            "onnx/text_model.onnx",
        ),
        (tiny("tiny-siglip/tokenizer.json"), "tokenizer.json"),
        (
            tiny("tiny-siglip/preprocessor_config.json"),
            "preprocessor_config.json",
        ),
    ];
    let files = [
        ("config.json", PUBLISHED_SIGLIP),
        (
            "special_tokens_map.json",
            r#"{"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}"#,
        ),
    ];
    let dir = folder_with(&files, &copies);
    let folder = describe_model_dir(dir.path()).unwrap();
    assert_eq!(folder.layout, Layout::HuggingFace);
    assert_eq!(folder.image.embedding_dim, 32);
    let text = folder.text.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(text.family, ModelFamily::Siglip);
    assert_eq!((text.embedding_dim, text.max_len), (32, 64));
    assert_eq!(
        (text.pad_id, text.eos_id),
        (0, 1),
        "from special_tokens_map.json"
    );
    let source = |field: &str| {
        folder
            .filled
            .iter()
            .find(|f| f.field == field)
            .unwrap_or_else(|| panic!("{field} not reported: {:?}", folder.filled))
            .source
            .clone()
    };
    assert!(matches!(
        source("vision_config.hidden_size"),
        ValueSource::Graph(_)
    ));
    assert!(matches!(
        source("text_config.pad_token_id"),
        ValueSource::Tokenizer(_)
    ));
    // The tiny text graph fixes its length, as SigLIP's exports do.
    assert!(matches!(
        source("text_config.max_position_embeddings"),
        ValueSource::Graph(_)
    ));

    // The specs equal those of the complete config, but for the paths and the ids' folder names.
    let full = load_text_dir(&tiny("tiny-siglip")).unwrap();
    let mut text = text.clone();
    text.id = full.id.clone();
    text.model_file = full.model_file.clone();
    text.tokenizer_file = full.tokenizer_file.clone();
    text.logit_scale = full.logit_scale;
    text.logit_bias = full.logit_bias;
    assert_eq!(text, full);
    let mut image = folder.image.clone();
    let full = load_model_dir(&tiny("tiny-siglip")).unwrap();
    image.id = full.id.clone();
    image.model_file = full.model_file.clone();
    assert_eq!(image, full);
}

#[test]
fn clip_takes_its_ids_from_the_tokenizer_when_the_config_has_legacy_ones() {
    // openai/clip-vit-base-patch32 ships bos 0, eos 2, pad 1: transformers ignores eos 2.
    let config = r#"{"model_type": "clip", "text_config": {"bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1},
                     "vision_config": {}}"#;
    let copies = vec![
        (
            tiny("tiny-clip/onnx/vision_model.onnx"),
            "onnx/vision_model.onnx",
        ),
        (
            tiny("tiny-clip/onnx/text_model.onnx"),
            "onnx/text_model.onnx",
        ),
        (tiny("tiny-clip/tokenizer.json"), "tokenizer.json"),
        (
            tiny("tiny-clip/preprocessor_config.json"),
            "preprocessor_config.json",
        ),
    ];
    let dir = folder_with(&[("config.json", config)], &copies);
    let text = load_text_dir(dir.path()).unwrap();
    let full = load_text_dir(&tiny("tiny-clip")).unwrap();
    assert_eq!(
        text.eos_id, full.eos_id,
        "the end-of-text token the tokenizer appends"
    );
    assert_eq!(text.pad_id, 1, "the config's explicit pad id stays");
    assert_eq!((text.max_len, text.embedding_dim), (77, 24));
    assert_eq!(text.attention_mask.as_deref(), Some("attention_mask"));
}

#[test]
fn a_config_that_disagrees_with_the_graph_is_refused() {
    let dir = folder_with(
        &[(
            "config.json",
            r#"{"model_type": "siglip", "vision_config": {"hidden_size": 768}}"#,
        )],
        &vision("tiny-siglip"),
    );
    let message = load_model_dir(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("hidden_size is 768 but") && message.contains("outputs 32"),
        "{message}"
    );
    let dir = folder_with(
        &[
            ("config.json", r#"{"model_type": "siglip"}"#),
            (
                "preprocessor_config.json",
                r#"{"size": {"height": 224, "width": 224}}"#,
            ),
        ],
        &vision("tiny-siglip"),
    );
    let message = load_model_dir(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("is 32x32 but the preprocessing config makes 224x224"),
        "{message}"
    );
}

#[test]
fn a_clip_text_export_without_its_projection_is_refused_by_name() {
    let dir = folder_with(
        &[("config.json", r#"{"model_type": "clip"}"#)],
        &[
            (
                tiny("tiny-clip/onnx/vision_model.onnx"),
                "onnx/vision_model.onnx",
            ),
            // A graph whose outputs are not text_embeds: the SigLIP text tower, read as CLIP's.
            (
                tiny("tiny-siglip/onnx/text_model.onnx"),
                "onnx/text_model.onnx",
            ),
            (tiny("tiny-clip/tokenizer.json"), "tokenizer.json"),
        ],
    );
    let message = load_text_dir(dir.path()).unwrap_err().to_string();
    assert!(message.contains("no `text_embeds` output"), "{message}");
    assert!(message.contains("text_projection"), "{message}");
}

#[test]
fn the_immich_fixture_reads_as_openclip_with_int32_tokens() {
    let dir = tiny("immich-siglip");
    let folder = describe_model_dir(&dir).unwrap();
    assert_eq!(folder.layout, Layout::Immich);
    let image = &folder.image;
    assert_eq!(
        (image.input_name.as_str(), image.embedding_output.as_str()),
        ("image", "embedding")
    );
    assert_eq!(image.embedding_dim, 32);
    let p = &image.preprocessing;
    assert_eq!((p.width, p.filter), (32, ResizeFilter::Bilinear));
    assert_eq!(p.resize, ResizeMode::Squash);
    let text = folder.text.unwrap().unwrap();
    assert_eq!(text.family, ModelFamily::Siglip);
    assert_eq!(
        (text.input_ids.as_str(), text.input_type),
        ("text", TokenType::I32)
    );
    assert_eq!((text.max_len, text.pad_id), (64, 0));
    assert!(text.canonicalize);
}

#[test]
fn a_folder_with_a_text_tower_alone_loads_its_text_tower() {
    let dir = folder_with(
        &[(
            "config.json",
            r#"{"model_type": "siglip", "text_config": {"pad_token_id": 0}}"#,
        )],
        &[
            (
                tiny("tiny-siglip/onnx/text_model.onnx"),
                "onnx/text_model.onnx",
            ),
            (tiny("tiny-siglip/tokenizer.json"), "tokenizer.json"),
        ],
    );
    let text = load_text_dir(dir.path()).unwrap();
    assert_eq!((text.embedding_dim, text.max_len, text.pad_id), (32, 64, 0));
    assert!(photon_models::has_text_tower(dir.path()));
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(ModelSpecError::NotAModel(_))
    ));
}
