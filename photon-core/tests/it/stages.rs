//! The pixel and byte stages on real photos: content id, format detection, perceptual hash,
//! thumbnails, model preprocessing.

use base64::Engine;
use image::{ImageFormat, RgbImage};
use photon_core::{ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode};
use photon_core::{PerceptualHash, hamming_distance, perceptual_hash};
use photon_core::{Pipeline, Record, Source};
use photon_core::{ThumbnailOptions, ThumbnailOutput};
use std::io::Cursor;

fn photo(name: &str) -> RgbImage {
    image::open(photon_testkit::testdata().join("photos").join(name))
        .unwrap()
        .into_rgb8()
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        // GIF has no RGB8 encoder path; go through RGBA.
        ImageFormat::Gif => image::DynamicImage::ImageRgb8(img.clone())
            .into_rgba8()
            .write_to(&mut out, format),
        _ => img.write_to(&mut out, format),
    }
    .unwrap();
    out.into_inner()
}

async fn process(name: &str, bytes: Vec<u8>) -> Box<photon_core::ImageRecord> {
    match Pipeline::default()
        .process(Source::Bytes {
            name: name.into(),
            bytes,
        })
        .await
    {
        Record::Image(r) => r,
        other => panic!("{name}: {other:?}"),
    }
}

#[tokio::test]
async fn content_hash_is_blake3_of_the_file_bytes() {
    let path = photon_testkit::testdata().join("photos/dog.jpg");
    let bytes = std::fs::read(&path).unwrap();
    let record = process("dog.jpg", bytes.clone()).await;
    assert_eq!(record.content_hash, blake3::hash(&bytes).to_hex().as_str());
    assert_eq!(record.file_size, bytes.len() as u64);
    assert_eq!(
        photon_core::content_hash(b"abc"),
        "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
    );
}

#[tokio::test]
async fn every_supported_format_is_detected_from_content_not_the_name() {
    let img = image::imageops::thumbnail(&photo("rocket.jpg"), 64, 43);
    for (format, name) in [
        (ImageFormat::Jpeg, "jpeg"),
        (ImageFormat::Png, "png"),
        (ImageFormat::WebP, "webp"),
        (ImageFormat::Gif, "gif"),
        (ImageFormat::Bmp, "bmp"),
        (ImageFormat::Tiff, "tiff"),
    ] {
        // Every file claims to be a JPEG by its name.
        let record = process("misnamed.jpg", encode(&img, format)).await;
        assert_eq!(record.format, name);
        assert_eq!((record.width, record.height), (64, 43), "{name}");
    }
}

#[test]
fn perceptual_hash_survives_recompression_and_resizing_but_tells_photos_apart() {
    let horses = photo("horses.jpg");
    let original = perceptual_hash(&horses).unwrap();
    let small = image::imageops::resize(&horses, 386, 256, image::imageops::FilterType::Triangle);
    let mut lossy = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut lossy, 40)
        .encode_image(&small)
        .unwrap();
    let recompressed =
        perceptual_hash(&image::load_from_memory(&lossy).unwrap().into_rgb8()).unwrap();
    assert!(
        original.distance(recompressed) <= 6,
        "distance {}",
        original.distance(recompressed)
    );

    let names = [
        "astronaut.png",
        "chelsea.png",
        "coffee.png",
        "dog.jpg",
        "eagle.jpg",
        "horses.jpg",
        "rocket.jpg",
    ];
    let hashes: Vec<PerceptualHash> = names
        .iter()
        .map(|n| perceptual_hash(&photo(n)).unwrap())
        .collect();
    for i in 0..hashes.len() {
        for j in i + 1..hashes.len() {
            let d = hashes[i].distance(hashes[j]);
            assert!(d >= 16, "{} and {} are {d} bits apart", names[i], names[j]);
        }
    }
    let hex = original.to_string();
    assert_eq!(hex.len(), 16);
    assert_eq!(
        hamming_distance(&hex, &recompressed.to_string()),
        Some(original.distance(recompressed))
    );
    assert_eq!(hamming_distance(&hex, "not hex"), None);
}

#[tokio::test]
async fn thumbnails_fit_the_longest_side_and_keep_the_aspect() {
    let bytes = std::fs::read(photon_testkit::testdata().join("photos/eagle.jpg")).unwrap();
    let record = process("eagle.jpg", bytes.clone()).await;
    let jpeg = base64::engine::general_purpose::STANDARD
        .decode(record.thumbnail.unwrap())
        .unwrap();
    let thumb = image::load_from_memory_with_format(&jpeg, ImageFormat::Jpeg)
        .unwrap()
        .into_rgb8();
    assert_eq!(thumb.dimensions(), (256, 170)); // 773x512 → 256x169.6
    // It is the same picture: compare against a reference downscale.
    let reference = image::imageops::resize(
        &photo("eagle.jpg"),
        256,
        170,
        image::imageops::FilterType::CatmullRom,
    );
    assert_eq!(thumb.dimensions(), reference.dimensions());
    let diff: u64 = thumb
        .as_raw()
        .iter()
        .zip(reference.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    assert!((diff as f64 / thumb.as_raw().len() as f64) < 6.0);

    let dir = tempfile::tempdir().unwrap();
    let options = ThumbnailOptions::default()
        .max_side(64)
        .quality(60)
        .output(ThumbnailOutput::Directory(dir.path().into()));
    let pipeline = Pipeline::builder().thumbnail(Some(options)).build();
    let Record::Image(record) = pipeline
        .process(Source::Bytes {
            name: "eagle.jpg".into(),
            bytes,
        })
        .await
    else {
        panic!()
    };
    let path = std::path::PathBuf::from(record.thumbnail_path.unwrap());
    assert_eq!(
        path,
        dir.path().join(format!("{}.jpg", record.content_hash))
    );
    let small = image::open(&path).unwrap();
    assert_eq!((small.width(), small.height()), (64, 42));
    assert!(record.thumbnail.is_none());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary files left behind"
    );
}

fn efficientnet_like(resize: ResizeMode) -> Preprocessing {
    Preprocessing::new(224, 224)
        .resize(resize)
        .filter(ResizeFilter::Bicubic)
        .normalization(Normalization::ScaleOffset {
            scale: [1.0 / 128.0; 3],
            offset: [-127.0 / 128.0; 3],
        })
        .channel_order(ChannelOrder::Rgb)
}

#[test]
fn preprocessing_normalises_and_lays_out_nchw() {
    let spec = efficientnet_like(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 256 });
    let img = RgbImage::from_pixel(640, 480, image::Rgb([255, 127, 0]));
    let t = spec.apply(&img).unwrap();
    assert_eq!(t.len(), spec.tensor_len());
    let plane = 224 * 224;
    assert!(t[..plane].iter().all(|v| (v - 1.0).abs() < 1e-6));
    assert!(t[plane..2 * plane].iter().all(|v| v.abs() < 1e-6));
    assert!(
        t[2 * plane..]
            .iter()
            .all(|v| (v + 127.0 / 128.0).abs() < 1e-6)
    );

    let clip = spec
        .normalization(Normalization::MeanStd {
            mean: [0.5, 0.25, 0.0],
            std: [0.5, 0.25, 1.0],
        })
        .channel_order(ChannelOrder::Bgr);
    let t = clip.apply(&img).unwrap();
    // BGR: plane 0 is blue (0), plane 2 is red (255); normalised with the stats of its plane.
    assert!((t[0] - (0.0 - 0.5) / 0.5).abs() < 1e-6);
    assert!((t[plane] - (127.0 / 255.0 - 0.25) / 0.25).abs() < 1e-5);
    assert!((t[2 * plane] - 1.0).abs() < 1e-6);
}

#[test]
fn centre_crop_keeps_the_middle_and_squash_keeps_everything() {
    // Left third red, middle third green, right third blue.
    let img = RgbImage::from_fn(300, 100, |x, _| match x / 100 {
        0 => image::Rgb([255, 0, 0]),
        1 => image::Rgb([0, 255, 0]),
        _ => image::Rgb([0, 0, 255]),
    });
    let plane = 224 * 224;
    let green_share =
        |t: &[f32]| t[plane..2 * plane].iter().filter(|v| **v > 0.9).count() as f64 / plane as f64;
    let crop = efficientnet_like(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 224 })
        .apply(&img)
        .unwrap();
    assert!(
        green_share(&crop) > 0.99,
        "the crop is the middle square: {}",
        green_share(&crop)
    );
    let squash = efficientnet_like(ResizeMode::Squash).apply(&img).unwrap();
    let share = green_share(&squash);
    assert!(
        (0.30..0.36).contains(&share),
        "squash keeps all three thirds: {share}"
    );
}

#[test]
fn an_impossible_spec_is_an_error_not_a_panic() {
    let spec = efficientnet_like(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 100 });
    assert!(spec.apply(&RgbImage::new(10, 10)).is_err());
    let mut zero = efficientnet_like(ResizeMode::Squash);
    zero.width = 0;
    assert!(zero.apply(&RgbImage::new(10, 10)).is_err());
}

#[tokio::test]
async fn stages_can_be_switched_off() {
    let bytes = std::fs::read(photon_testkit::testdata().join("photos/dog.jpg")).unwrap();
    let pipeline = Pipeline::builder()
        .exif(false)
        .perceptual_hash(false)
        .thumbnail(None)
        .build();
    let Record::Image(r) = pipeline
        .process(Source::Bytes {
            name: "dog.jpg".into(),
            bytes,
        })
        .await
    else {
        panic!()
    };
    assert!(
        r.exif.is_none()
            && r.perceptual_hash.is_none()
            && r.thumbnail.is_none()
            && r.embedding.is_none()
    );
    assert_eq!((r.width, r.height, r.format.as_str()), (768, 576, "jpeg"));
}
