//! Per-stage cost on real photos: `cargo bench -p benches --bench stages`. The 4000x3000 group
//! uses the generated benchmark corpus (made on first use, as by the throughput bench); the
//! HEIC group the HEIC set benches/throughput.sh makes from it.

#[path = "pipeline_throughput/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use criterion::{Criterion, criterion_group, criterion_main};
use photon_core::Label;
use photon_core::{DecodeRequest, Decoder, ImageCrateDecoder};
use photon_core::{ThumbnailOptions, encode_thumbnail};
use photon_decode::TurboJpegDecoder;
use photon_decode::{HeifDecoder, JxlDecoder, LibTiffDecoder, RawDecoder, RawPolicy};
use photon_models::LabelBank;
use photon_models::ZeroShotScoring;
use photon_models::efficientnet_lite0;
use std::hint::black_box;
use std::path::PathBuf;

fn photo(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn small_photo(c: &mut Criterion) {
    let jpeg = photo("horses.jpg");
    let pixels = ImageCrateDecoder
        .decode(&jpeg, &DecodeRequest::default())
        .unwrap()
        .pixels;
    let efficientnet = efficientnet_lite0("".as_ref()).preprocessing;

    let mut g = c.benchmark_group("stages/horses.jpg 773x512");
    g.bench_function("blake3", |b| {
        b.iter(|| photon_core::content_hash(black_box(&jpeg)))
    });
    g.bench_function("exif", |b| {
        b.iter(|| photon_core::read_exif(black_box(&jpeg)))
    });
    g.bench_function("decode jpeg", |b| {
        b.iter(|| ImageCrateDecoder.decode(black_box(&jpeg), &DecodeRequest::default()))
    });
    for (scale, min_side) in [("1/1", 512), ("1/2", 256), ("1/4", 128), ("1/8", 64)] {
        let request = DecodeRequest::default().with_min_side(Some(min_side));
        g.bench_function(format!("decode jpeg libjpeg-turbo {scale}"), |b| {
            b.iter(|| TurboJpegDecoder.decode(black_box(&jpeg), &request))
        });
    }
    g.bench_function("perceptual hash", |b| {
        b.iter(|| photon_core::perceptual_hash(black_box(&pixels)))
    });
    g.bench_function("thumbnail 256 q80", |b| {
        b.iter(|| encode_thumbnail(black_box(&pixels), &ThumbnailOptions::default()))
    });
    g.bench_function("preprocess 224 crop", |b| {
        b.iter(|| efficientnet.apply(black_box(&pixels)))
    });
    g.finish();
}

fn tag_scoring(c: &mut Criterion) {
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
        b.iter(|| bank.score(black_box(&image), siglip, 5))
    });
    g.finish();
}

fn png(c: &mut Criterion) {
    let png = photo("chelsea.png");
    let mut g = c.benchmark_group("stages/chelsea.png 451x300");
    g.bench_function("decode png", |b| {
        b.iter(|| ImageCrateDecoder.decode(black_box(&png), &DecodeRequest::default()))
    });
    g.bench_function("exif+xmp", |b| {
        b.iter(|| photon_core::read_exif(black_box(&png)))
    });
    g.finish();
}

/// A 4000x3000 camera JPEG (grain, EXIF) from the generated corpus: what a photo library is
/// made of.
fn camera_jpeg() -> Vec<u8> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let (large, _) = corpus::ensure(&repo, &repo.join("target/bench/corpus"));
    std::fs::read(&large.files[0]).expect("corpus photo")
}

/// Reading a camera JPEG: hash, EXIF, and decoding at each scale.
fn camera_decode(c: &mut Criterion) {
    let jpeg = camera_jpeg();
    let mut g = c.benchmark_group("stages/camera 4000x3000");
    g.sample_size(20);
    g.bench_function("blake3", |b| {
        b.iter(|| photon_core::content_hash(black_box(&jpeg)))
    });
    g.bench_function("exif", |b| {
        b.iter(|| photon_core::read_exif(black_box(&jpeg)))
    });
    g.bench_function("decode image crate (zune-jpeg) 1/1", |b| {
        b.iter(|| ImageCrateDecoder.decode(black_box(&jpeg), &DecodeRequest::default()))
    });
    for (scale, min_side) in [("1/1", 3000), ("1/2", 1500), ("1/4", 750), ("1/8", 256)] {
        let request = DecodeRequest::default().with_min_side(Some(min_side));
        g.bench_function(format!("decode libjpeg-turbo {scale}"), |b| {
            b.iter(|| TurboJpegDecoder.decode(black_box(&jpeg), &request))
        });
    }
    g.finish();
}

/// Resizing a camera photo, full size or from the 1/8 decode, and the pixel stages after it.
fn camera_pixels(c: &mut Criterion) {
    let jpeg = camera_jpeg();
    let full = ImageCrateDecoder
        .decode(&jpeg, &DecodeRequest::default())
        .unwrap()
        .pixels;
    let eighth = TurboJpegDecoder
        .decode(&jpeg, &DecodeRequest::default().with_min_side(Some(256)))
        .unwrap()
        .pixels;
    assert_eq!(eighth.dimensions(), (500, 375));
    let efficientnet = efficientnet_lite0("".as_ref()).preprocessing;
    let mut siglip = efficientnet;
    siglip.resize = photon_core::ResizeMode::Squash;
    let catmull_rom = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::CatmullRom),
    );

    let mut g = c.benchmark_group("stages/camera 4000x3000");
    g.sample_size(20);
    g.bench_function("resize 4000x3000 to 256x192 (fast_image_resize)", |b| {
        let mut dst = image::RgbImage::new(256, 192);
        let mut resizer = fast_image_resize::Resizer::new();
        b.iter(|| resizer.resize(black_box(&full), &mut dst, &catmull_rom))
    });
    g.bench_function("resize 4000x3000 to 256x192 (image::imageops)", |b| {
        let filter = image::imageops::FilterType::CatmullRom;
        b.iter(|| image::imageops::resize(black_box(&full), 256, 192, filter))
    });
    g.bench_function("resize 500x375 (1/8 decode) to 256x192", |b| {
        let mut dst = image::RgbImage::new(256, 192);
        let mut resizer = fast_image_resize::Resizer::new();
        b.iter(|| resizer.resize(black_box(&eighth), &mut dst, &catmull_rom))
    });
    g.bench_function("thumbnail 256 q80 from the 1/8 decode", |b| {
        b.iter(|| encode_thumbnail(black_box(&eighth), &ThumbnailOptions::default()))
    });
    g.bench_function("perceptual hash from the 1/8 decode", |b| {
        b.iter(|| photon_core::perceptual_hash(black_box(&eighth)))
    });
    g.bench_function("preprocess 224 squash (SigLIP) from the 1/8 decode", |b| {
        b.iter(|| siglip.apply(black_box(&eighth)))
    });
    g.bench_function(
        "preprocess 224 crop (EfficientNet) from the 1/8 decode",
        |b| b.iter(|| efficientnet.apply(black_box(&eighth))),
    );
    g.finish();
}

fn testdata(path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the pipeline asks for without a model: a 256 px thumbnail and the 64 px perceptual hash.
fn thumbnail_request() -> DecodeRequest {
    DecodeRequest::default()
        .with_min_side(Some(64))
        .with_min_long_side(Some(256))
}

/// Each decoder added for phone and camera formats, on the repository's fixtures.
fn format_decoders(c: &mut Criterion) {
    let full = DecodeRequest::default();
    let cases: [(&str, &str, &dyn Decoder); 7] = [
        ("heic 96x128 (x265)", "heif/rot_exif6.heic", &HeifDecoder),
        ("avif 96x128 (aom)", "heif/rot_exif6.avif", &HeifDecoder),
        ("jxl 96x128", "jxl/exif6.jxl", &JxlDecoder),
        (
            "tiff 128x128 lzma",
            "variants/hopper_lzma.tif",
            &LibTiffDecoder,
        ),
        (
            "tiff 480x360 ycbcr jpeg",
            "variants/tiff_strip_ycbcr_jpeg_2x2_sampling.tif",
            &LibTiffDecoder,
        ),
        (
            "tiff 100x40 tiled planar 16-bit",
            "variants/tiff_tiled_planar_16bit_RGB.tiff",
            &LibTiffDecoder,
        ),
        (
            "dng 256x192 develop",
            "raw/plain.dng",
            &RawDecoder::new(RawPolicy::Develop),
        ),
    ];
    let mut g = c.benchmark_group("decoders/fixtures");
    for (name, file, decoder) in cases {
        let bytes = testdata(file);
        g.bench_function(name, |b| {
            b.iter(|| decoder.decode(black_box(&bytes), &full))
        });
    }
    let dng = testdata("raw/preview.dng");
    let preview = DecodeRequest::default().with_min_side(Some(64));
    g.bench_function("dng 256x192 embedded preview 128x96", |b| {
        b.iter(|| RawDecoder::default().decode(black_box(&dng), &preview))
    });
    g.finish();
}

/// A 12 MP HEIC as a phone writes it (benches/throughput.sh makes the set): the full image,
/// and the 320x240 thumbnail item that serves a 256 px thumbnail.
fn camera_heic(c: &mut Criterion) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let heic = corpus::heic(&repo.join("target/bench/corpus"));
    let bytes = std::fs::read(&heic.files[0]).expect("HEIC corpus file");
    let mut g = c.benchmark_group("decoders/heic 4000x3000 q85");
    g.sample_size(10);
    g.bench_function("full image", |b| {
        b.iter(|| HeifDecoder.decode(black_box(&bytes), &DecodeRequest::default()))
    });
    let request = thumbnail_request();
    g.bench_function("thumbnail item 320x240", |b| {
        b.iter(|| HeifDecoder.decode(black_box(&bytes), &request))
    });
    g.finish();
}

/// What describing adds per photo: the decode at 1/4 rather than 1/8 (the 768 px JPEG needs a
/// long side of 768; see "decode libjpeg-turbo" in `camera_decode`), then this re-encode.
fn describe_reencode(c: &mut Criterion) {
    let quarter = TurboJpegDecoder
        .decode(
            &camera_jpeg(),
            &DecodeRequest::default().with_min_side(Some(576)),
        )
        .unwrap()
        .pixels;
    assert_eq!(quarter.dimensions(), (1000, 750));
    let catmull_rom = fast_image_resize::ResizeOptions::new().resize_alg(
        fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::CatmullRom),
    );
    let mut g = c.benchmark_group("stages/camera 4000x3000");
    g.bench_function(
        "describe JPEG 768 q85 from the 1/4 decode (resize + libjpeg-turbo)",
        |b| {
            let encoder = photon_decode::default_jpeg_encoder();
            let mut dst = image::RgbImage::new(768, 576);
            let mut resizer = fast_image_resize::Resizer::new();
            b.iter(|| {
                resizer
                    .resize(black_box(&quarter), &mut dst, &catmull_rom)
                    .unwrap();
                encoder.encode(&dst, 85).unwrap()
            })
        },
    );
    g.finish();
}

criterion_group!(
    benches,
    small_photo,
    tag_scoring,
    png,
    camera_decode,
    camera_pixels,
    describe_reencode,
    format_decoders,
    camera_heic
);
criterion_main!(benches);
