//! HEIF/HEIC and AVIF through libheif (feature `heif`, on in the CLI and so in
//! `cargo test --workspace`): the container's transformations applied once, never EXIF's on top,
//! grids whole, 10-bit to 8-bit, the thumbnail item when it is large enough. The fixtures come
//! from scripts/make_heif_fixtures.py.
use photon_core::{DecodeRequest, Decoder, Pipeline, Record};
use photon_decode::HeifDecoder;

use photon_testkit::{hopper_middle as reference, mean_abs_diff};

fn fixture(name: &str) -> Vec<u8> {
    photon_testkit::fixture("heif", name)
}

#[test]
fn heic_and_avif_decode_upright_once() {
    let reference = reference();
    for name in ["rot_exif6.heic", "rot_exif6.avif", "tenbit.heic"] {
        let decoded = HeifDecoder
            .decode(&fixture(name), &DecodeRequest::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(decoded.upright, "{name}");
        assert_eq!(decoded.pixels.dimensions(), (96, 128), "{name}");
        let diff = mean_abs_diff(&decoded.pixels, &reference);
        // Lossy at quality 90+: a few levels; turned the wrong way it is 40 or more.
        assert!(diff < 8.0, "{name}: mean difference {diff:.2}");
    }
}

#[tokio::test]
async fn records_keep_the_container_orientation_and_the_camera_fields() {
    for (name, format) in [("rot_exif6.heic", "heif"), ("rot_exif6.avif", "avif")] {
        let path = photon_testkit::testdata().join("heif").join(name);
        let Record::Image(record) = Pipeline::builder()
            .decoder(photon_decode::default_decoder())
            .build()
            .process(path)
            .await
        else {
            panic!("{name} failed")
        };
        assert_eq!(record.format, format);
        // irot made it portrait; EXIF's orientation 6 must not turn it again.
        assert_eq!((record.width, record.height), (96, 128), "{name}");
        let exif = record.exif.expect("the Exif item is read");
        assert_eq!(exif.camera_make.as_deref(), Some("Apple"), "{name}");
        assert!(record.perceptual_hash.is_some() && record.thumbnail.is_some());
    }
}

#[test]
fn a_grid_comes_out_whole_and_its_thumbnail_serves_small_requests() {
    let grid = fixture("grid_thumb.heic");
    let full = HeifDecoder
        .decode(&grid, &DecodeRequest::default())
        .unwrap();
    assert_eq!(full.pixels.dimensions(), (192, 256));
    let big = image::imageops::resize(
        &reference(),
        192,
        256,
        image::imageops::FilterType::Triangle,
    );
    assert!(mean_abs_diff(&full.pixels, &big) < 8.0, "tiles in place");
    let small = DecodeRequest::default().with_min_side(Some(40));
    let thumb = HeifDecoder.decode(&grid, &small).unwrap();
    assert_eq!(thumb.pixels.dimensions(), (48, 64), "the thumbnail item");
    assert_eq!((thumb.stored_width, thumb.stored_height), (192, 256));
    let too_big = DecodeRequest::default().with_min_side(Some(100));
    let fallback = HeifDecoder.decode(&grid, &too_big).unwrap();
    assert_eq!(fallback.pixels.dimensions(), (192, 256));
}

#[test]
fn cut_and_flipped_files_are_errors_never_crashes() {
    let mut rng = 7u64;
    let mut next = move |n: usize| {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) as usize % n
    };
    let mut decoded = 0;
    for name in ["rot_exif6.heic", "rot_exif6.avif", "grid_thumb.heic"] {
        let bytes = fixture(name);
        for cut in (1..40).map(|k| bytes.len() * k / 40) {
            assert!(
                HeifDecoder
                    .decode(&bytes[..cut], &DecodeRequest::default())
                    .is_err()
            );
        }
        for _ in 0..40 {
            let mut flipped = bytes.clone();
            for _ in 0..1 + next(6) {
                let at = next(flipped.len());
                flipped[at] ^= 1 << next(8);
            }
            decoded += usize::from(
                HeifDecoder
                    .decode(&flipped, &DecodeRequest::default())
                    .is_ok(),
            );
        }
    }
    assert!(
        decoded < 120,
        "every flipped file decoded: the flips missed"
    );
}
