//! Photon against references of independent origin, the Python libraries people compare it
//! with (tests/references/reference.py, in the environment scripts/py-env.sh makes from
//! scripts/python/references.txt): imagehash's pHash, transformers' CLIP and SigLIP image
//! processors, and transformers' tokenizers over the same tokenizer.json.

use photon_core::{
    ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode, perceptual_hash,
};
use photon_models::{TextTokenizer, load_model_dir, load_text_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use photon_testkit::{python_env, testdata};

/// The references environment's interpreter, made once per test process.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| python_env("references"))
}

fn reference(args: &[&str]) -> Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/references/reference.py");
    let run = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "reference.py {args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

const PHOTOS: [&str; 7] = [
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "dog.jpg",
    "eagle.jpg",
    "horses.jpg",
    "rocket.jpg",
];

/// imagehash writes the 64 bits row by row, most significant bit first in each byte; Photon
/// (as image_hasher) least significant first. The same bits, in Photon's order.
fn in_photon_bit_order(imagehash_hex: &str) -> u64 {
    let bits = u64::from_str_radix(imagehash_hex, 16).unwrap();
    u64::from_be_bytes(bits.to_be_bytes().map(u8::reverse_bits))
}

#[test]
fn perceptual_hashes_agree_with_imagehash_on_the_same_pixels() {
    let files: Vec<PathBuf> = PHOTOS
        .iter()
        .map(|p| testdata().join("photos").join(p))
        .collect();
    let args: Vec<&str> = std::iter::once("phash")
        .chain(files.iter().map(|f| f.to_str().unwrap()))
        .collect();
    let theirs = reference(&args);
    for file in &files {
        let pixels = image::open(file).unwrap().to_rgb8();
        let ours = perceptual_hash(&pixels).unwrap();
        let theirs = in_photon_bit_order(theirs[file.to_str().unwrap()].as_str().unwrap());
        // imagehash shrinks to 32x32 with Lanczos, image_hasher to 16x16 after Photon's box
        // filter to 64x64: the low frequencies agree but for a few bits near the median.
        let distance = (ours.0 ^ theirs).count_ones();
        assert!(
            distance <= 6,
            "{}: {ours} vs {theirs:016x}, {distance} bits",
            file.display()
        );
    }
    // And the exact value, so that a change of the hash shows.
    let dog = image::open(testdata().join("photos/dog.jpg"))
        .unwrap()
        .to_rgb8();
    assert_eq!(
        perceptual_hash(&dog).unwrap().to_string(),
        "2d81c37ece939295"
    );
}

/// Compares Photon's tensor for `image` with the transformers processor's on `config`.
fn compare_preprocessing(
    family: &str,
    config: &str,
    preprocessing: &Preprocessing,
    image: &Path,
) -> (f64, f64) {
    let theirs = reference(&["preprocess", family, config, image.to_str().unwrap()]);
    let shape: Vec<u64> = serde_json::from_value(theirs["shape"].clone()).unwrap();
    assert_eq!(
        shape,
        [
            3,
            u64::from(preprocessing.height),
            u64::from(preprocessing.width)
        ]
    );
    let theirs: Vec<f64> = serde_json::from_value(theirs["values"].clone()).unwrap();
    let pixels = image::open(image).unwrap().to_rgb8();
    let ours = preprocessing.apply(&pixels).unwrap();
    assert_eq!(ours.len(), theirs.len());
    let diffs: Vec<f64> = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .collect();
    let max = diffs.iter().copied().fold(0.0, f64::max);
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    (max, mean)
}

#[test]
fn preprocessing_agrees_with_the_transformers_image_processors() {
    const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
    const CLIP_STD: [f32; 3] = [0.268_629_54, 0.261_302_6, 0.275_777_1];
    let clip_224 = Preprocessing::new(224, 224)
        .resize(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 224 })
        .filter(ResizeFilter::Bicubic)
        .normalization(Normalization::MeanStd {
            mean: CLIP_MEAN,
            std: CLIP_STD,
        })
        .channel_order(ChannelOrder::Rgb);
    let siglip_224 = Preprocessing::new(224, 224)
        .resize(ResizeMode::Squash)
        .filter(ResizeFilter::Bicubic)
        .normalization(Normalization::MeanStd {
            mean: [0.5; 3],
            std: [0.5; 3],
        })
        .channel_order(ChannelOrder::Rgb);
    let clip_config = r#"{"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224},
        "do_center_crop": true, "resample": 3}"#;
    let siglip_config = r#"{"size": {"height": 224, "width": 224}, "resample": 3}"#;
    // Through the folder loaders too: the tiny models' own preprocessor configs.
    let tiny = |name: &str| {
        let dir = testdata().join("models").join(name);
        let config = std::fs::read_to_string(dir.join("preprocessor_config.json")).unwrap();
        (load_model_dir(&dir).unwrap().preprocessing, config)
    };
    let (tiny_clip, tiny_clip_config) = tiny("tiny-clip");
    let (tiny_siglip, tiny_siglip_config) = tiny("tiny-siglip");
    let cases = [
        ("clip", clip_config, &clip_224, 0.02),
        ("siglip", siglip_config, &siglip_224, 0.005),
        ("clip", tiny_clip_config.as_str(), &tiny_clip, 0.01),
        ("siglip", tiny_siglip_config.as_str(), &tiny_siglip, 0.002),
    ];
    for image in ["chelsea.png", "astronaut.png", "coffee.png"] {
        let path = testdata().join("photos").join(image);
        for (family, config, preprocessing, mean_bound) in &cases {
            let (max, mean) = compare_preprocessing(family, config, preprocessing, &path);
            eprintln!(
                "{image} {family} {}px: max {max:.4}, mean {mean:.5}",
                preprocessing.width
            );
            // Normalised values span about 4 units (CLIP) or 2 (SigLIP): the resampling
            // kernels agree to thousandths on average and hundredths at sharp edges.
            assert!(
                mean < *mean_bound,
                "{image} {family}: mean difference {mean}"
            );
            assert!(max < 0.3, "{image} {family}: max difference {max}");
        }
    }
}

#[test]
fn token_ids_agree_with_transformers_tokenizers() {
    let long = "a photo of the red car ".repeat(30);
    let texts = [
        "a photo of a cat",
        "Red SNEAKERS, at the beach!",
        "espresso",
        "",
        long.as_str(),
    ];
    for (model, pad) in [("tiny-clip", "<|endoftext|>"), ("tiny-siglip", "<pad>")] {
        let spec = load_text_dir(&testdata().join("models").join(model)).unwrap();
        let ours = TextTokenizer::from_spec(&spec)
            .unwrap()
            .encode(&texts)
            .unwrap();
        let max_len = spec.max_len.to_string();
        let tokenizer = spec.tokenizer_file.to_str().unwrap();
        let args: Vec<&str> = ["tokens", tokenizer, &max_len, pad]
            .into_iter()
            .chain(texts)
            .collect();
        let theirs = reference(&args);
        let ids: Vec<Vec<i64>> = serde_json::from_value(theirs["ids"].clone()).unwrap();
        assert_eq!(ids.len(), texts.len());
        for (i, expected) in ids.iter().enumerate() {
            assert_eq!(ours.text(i), expected.as_slice(), "{model}: {:?}", texts[i]);
        }
        if let Some(mask) = &ours.attention_mask {
            let theirs: Vec<Vec<i64>> = serde_json::from_value(theirs["mask"].clone()).unwrap();
            let flat: Vec<i64> = theirs.concat();
            assert_eq!(mask, &flat, "{model} attention mask");
        }
    }
}
