//! Per-stage cost on a real photo: `cargo bench -p benches --bench stages`.

use criterion::{Criterion, criterion_group, criterion_main};
use photon_core::decode::{DecodeRequest, Decoder, ImageCrateDecoder};
use photon_core::model_spec::efficientnet_lite0;
use photon_core::tag::classifier::Label;
use photon_core::tag::label_bank::LabelBank;
use photon_core::tag::zero_shot::{ZeroShotScoring, score_bank};
use photon_core::thumbnail::{ThumbnailOptions, encode_thumbnail};
use std::hint::black_box;
use std::path::PathBuf;

fn photo(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn stages(c: &mut Criterion) {
    let jpeg = photo("horses.jpg");
    let png = photo("chelsea.png");
    let pixels = ImageCrateDecoder
        .decode(&jpeg, &DecodeRequest::default())
        .unwrap()
        .pixels;
    let efficientnet = efficientnet_lite0("".as_ref()).preprocessing;

    let mut g = c.benchmark_group("stages/horses.jpg 773x512");
    g.bench_function("blake3", |b| {
        b.iter(|| photon_core::content_hash::content_hash(black_box(&jpeg)))
    });
    g.bench_function("exif", |b| {
        b.iter(|| photon_core::exif::read_exif(black_box(&jpeg)))
    });
    g.bench_function("decode jpeg", |b| {
        b.iter(|| ImageCrateDecoder.decode(black_box(&jpeg), &DecodeRequest::default()))
    });
    g.bench_function("perceptual hash", |b| {
        b.iter(|| photon_core::perceptual_hash::perceptual_hash(black_box(&pixels)))
    });
    g.bench_function("thumbnail 256 q80", |b| {
        b.iter(|| encode_thumbnail(black_box(&pixels), &ThumbnailOptions::default()))
    });
    g.bench_function("preprocess 224 crop", |b| {
        b.iter(|| efficientnet.apply(black_box(&pixels)))
    });
    g.finish();

    let mut g = c.benchmark_group("tag scoring");
    let (n, dim) = (80_000usize, 768usize);
    let labels: Vec<Label> = (0..n)
        .map(|i| Label {
            synset: None,
            name: format!("label {i}"),
        })
        .collect();
    let vectors: Vec<f32> = (0..n * dim)
        .map(|i| ((i * 7919 % 997) as f32 / 997.0) - 0.5)
        .collect();
    let bank = LabelBank::new(labels, dim, vectors).unwrap();
    let image: Vec<f32> = (0..dim)
        .map(|i| ((i * 31 % 17) as f32 - 8.0) / 40.0)
        .collect();
    let siglip = ZeroShotScoring::Sigmoid {
        scale: 117.3,
        bias: -12.9,
    };
    g.bench_function("80000 labels x 768, top 5, one thread", |b| {
        b.iter(|| score_bank(&bank, black_box(&image), siglip, 5))
    });
    g.finish();

    let mut g = c.benchmark_group("stages/chelsea.png 451x300");
    g.bench_function("decode png", |b| {
        b.iter(|| ImageCrateDecoder.decode(black_box(&png), &DecodeRequest::default()))
    });
    g.bench_function("exif+xmp", |b| {
        b.iter(|| photon_core::exif::read_exif(black_box(&png)))
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
