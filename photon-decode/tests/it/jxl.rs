//! JPEG XL through jxl-oxide (feature `jxl`, on in the CLI and so in `cargo test --workspace`):
//! bare codestreams and the container, the codestream's orientation authoritative (an EXIF
//! orientation never turns the picture), EXIF from the `Exif` box. The fixtures come from
//! scripts/make_jxl_fixtures.py.
use photon_core::{DecodeRequest, Decoder, Pipeline, Record};
use photon_decode::JxlDecoder;

use photon_testkit::{hopper_middle as reference, mean_abs_diff};

fn fixture(name: &str) -> Vec<u8> {
    photon_testkit::fixture("jxl", name)
}

#[test]
fn the_container_and_a_bare_codestream_decode_to_the_picture() {
    let reference = reference();
    for (name, tolerance) in [("exif6.jxl", 0.5), ("lossy.jxl", 6.0)] {
        let decoded = JxlDecoder
            .decode(&fixture(name), &DecodeRequest::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(decoded.upright, "{name}");
        assert_eq!(decoded.format, "jxl");
        let diff = mean_abs_diff(&decoded.pixels, &reference);
        assert!(diff < tolerance, "{name}: mean difference {diff:.2}");
    }
}

#[tokio::test]
async fn exif_comes_from_its_box_and_never_turns_the_picture() {
    let path = photon_testkit::testdata().join("jxl/exif6.jxl");
    let Record::Image(record) = Pipeline::builder()
        .decoder(photon_decode::default_decoder())
        .build()
        .process(path)
        .await
    else {
        panic!("exif6.jxl failed")
    };
    assert_eq!(record.format, "jxl");
    assert_eq!((record.width, record.height), (96, 128));
    let exif = record.exif.expect("the Exif box is read");
    assert_eq!(exif.camera_make.as_deref(), Some("Apple"));
    assert_eq!(exif.orientation, Some(6), "kept as the file says it");
}

#[test]
fn cut_and_flipped_files_are_errors_never_panics() {
    let mut state = 11u64;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize % n
    };
    for name in ["exif6.jxl", "lossy.jxl"] {
        let bytes = fixture(name);
        for cut in (1..40).map(|k| bytes.len() * k / 40) {
            assert!(
                JxlDecoder
                    .decode(&bytes[..cut], &DecodeRequest::default())
                    .is_err(),
                "{name} cut at {cut} decoded"
            );
        }
        for _ in 0..40 {
            let mut flipped = bytes.clone();
            for _ in 0..1 + next(6) {
                let at = next(flipped.len());
                flipped[at] ^= 1 << next(8);
            }
            let _ = JxlDecoder.decode(&flipped, &DecodeRequest::default());
        }
    }
}
