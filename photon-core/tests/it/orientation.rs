//! Every EXIF orientation (2-8) comes out upright: each hopper_orientation_N.jpg matches
//! hopper.jpg pixel for pixel, up to JPEG noise.

use photon_testkit::mean_abs_diff;

use image::RgbImage;
use photon_core::apply_orientation;
use photon_core::read_orientation;
use photon_core::{DecodeRequest, Decoder, ImageCrateDecoder};
use photon_core::{Pipeline, Record, Source};

fn upright(name: &str) -> (RgbImage, RgbImage) {
    upright_in("exif", name)
}

/// The picture in `testdata/<dir>/<name>` with its orientation applied, and as stored.
fn upright_in(dir: &str, name: &str) -> (RgbImage, RgbImage) {
    let bytes = std::fs::read(photon_testkit::testdata().join(dir).join(name)).unwrap();
    let stored = ImageCrateDecoder
        .decode(&bytes, &DecodeRequest::default())
        .unwrap()
        .pixels;
    let orientation = read_orientation(&bytes).unwrap_or(1);
    (apply_orientation(stored.clone(), orientation), stored)
}

#[test]
fn every_orientation_matches_the_upright_reference() {
    let (reference, _) = upright("hopper.jpg");
    for n in 2..=8u8 {
        let name = format!("hopper_orientation_{n}.jpg");
        let (oriented, stored) = upright(&name);
        let diff = mean_abs_diff(&oriented, &reference);
        // The fixtures were re-encoded, so about 5 levels of JPEG noise remain; a wrong
        // orientation is off by 50 or more.
        assert!(
            diff < 8.0,
            "{name}: mean difference {diff:.2} after orientation"
        );
        // And the EXIF orientation is the only one of the eight that fits.
        for other in (1..=8u8).filter(|o| *o != n) {
            let wrong = apply_orientation(stored.clone(), other);
            if wrong.dimensions() == reference.dimensions() {
                let off = mean_abs_diff(&wrong, &reference);
                assert!(
                    off > 5.0 * diff,
                    "{name}: orientation {other} fits too ({off:.2})"
                );
            }
        }
    }
}

#[tokio::test]
async fn records_report_the_upright_size() {
    // A 3x2 JPEG stored with orientation 6 must be reported 2x3.
    let bytes =
        std::fs::read(photon_testkit::testdata().join("exif/hopper_orientation_6.jpg")).unwrap();
    let stored = ImageCrateDecoder
        .decode(&bytes, &DecodeRequest::default())
        .unwrap()
        .pixels;
    let cropped = image::imageops::crop_imm(&stored, 0, 0, 96, 64).to_image();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg)
        .encode_image(&cropped)
        .unwrap();
    // Splice the original APP1 (EXIF, orientation 6) right after the new file's SOI.
    let exif_at = bytes
        .windows(6)
        .position(|w| w == b"Exif\0\0")
        .expect("fixture has EXIF")
        - 4;
    assert_eq!(&bytes[exif_at..exif_at + 2], &[0xFF, 0xE1]);
    let app1_len = usize::from(u16::from_be_bytes([bytes[exif_at + 2], bytes[exif_at + 3]])) + 2;
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend_from_slice(&bytes[exif_at..exif_at + app1_len]);
    with_exif.extend_from_slice(&jpeg[2..]);
    let record = Pipeline::default()
        .process(Source::Bytes {
            name: "wide.jpg".into(),
            bytes: with_exif,
        })
        .await;
    let Record::Image(record) = record else {
        panic!("{record:?}")
    };
    assert_eq!((record.width, record.height), (64, 96));
    assert_eq!(record.exif.unwrap().orientation, Some(6));
}

/// Made by scripts/make_orientation_fixtures.py: hopper stored rotated, orientation 6 written
/// as real writers write it.
const ORIENTATION_FIXTURES: [&str; 6] = [
    "webp_exif_chunk.webp",
    "webp_exif_prefixed.webp",
    "jpeg_orientation_long_le.jpg",
    "jpeg_orientation_long_be.jpg",
    "tiff_orientation.tif",
    "stereo.mpo",
];

#[test]
fn orientation_is_read_from_every_container_and_encoding() {
    let (reference, _) = upright("hopper.jpg");
    for name in ORIENTATION_FIXTURES {
        let bytes =
            std::fs::read(photon_testkit::testdata().join("orientation").join(name)).unwrap();
        assert_eq!(read_orientation(&bytes), Some(6), "{name}");
        let (oriented, stored) = upright_in("orientation", name);
        let diff = mean_abs_diff(&oriented, &reference);
        assert!(
            diff < 8.0,
            "{name}: mean difference {diff:.2} after orientation"
        );
        let unturned = mean_abs_diff(&stored, &reference);
        assert!(
            unturned > 5.0 * diff,
            "{name}: the stored picture fits as well ({unturned:.2})"
        );
    }
}

#[tokio::test]
async fn the_pipeline_turns_every_fixture_and_names_its_format() {
    let formats = ["webp", "webp", "jpeg", "jpeg", "tiff", "mpo"];
    assert_eq!(ORIENTATION_FIXTURES.len(), formats.len());
    for (name, format) in ORIENTATION_FIXTURES.into_iter().zip(formats) {
        let path = photon_testkit::testdata().join("orientation").join(name);
        let Record::Image(record) = Pipeline::default().process(path).await else {
            panic!("{name} failed")
        };
        assert_eq!(record.format, format, "{name}");
        assert_eq!(record.exif.and_then(|e| e.orientation), Some(6), "{name}");
        assert_eq!((record.width, record.height), (128, 128), "{name}");
    }
}
