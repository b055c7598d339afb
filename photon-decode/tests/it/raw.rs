//! Camera raws through rawler (feature `raw`, on in the CLI): the embedded preview when it
//! serves every stage, the sensor data developed otherwise or when asked; the raw's orientation
//! applied once; the developed image's upright size either way; camera fields from the raw's own
//! TIFF structure. Fixtures and LibRaw's development of them (`expected.tsv`) come from
//! scripts/make_raw_fixtures.py.
use photon_core::{DecodeRequest, DecodedFrom, Decoder, Pipeline, Record};
use photon_decode::{RawDecoder, RawPolicy, default_router_with};

fn fixture(name: &str) -> Vec<u8> {
    photon_testkit::fixture("raw", name)
}

/// LibRaw's development of `name`: upright size and channel means.
fn libraw(name: &str) -> ((u32, u32), [f64; 3]) {
    let tsv = std::fs::read_to_string(photon_testkit::testdata().join("raw/expected.tsv")).unwrap();
    let line = tsv.lines().find(|l| l.starts_with(name)).unwrap();
    let f: Vec<&str> = line.split('\t').collect();
    let n = |i: usize| f[i].parse::<f64>().unwrap();
    (
        (f[1].parse().unwrap(), f[2].parse().unwrap()),
        [n(3), n(4), n(5)],
    )
}

/// The photo the fixtures' sensor data was made from, at their size.
fn source_photo() -> image::RgbImage {
    let photo = image::open(photon_testkit::testdata().join("photos/dog.jpg"))
        .unwrap()
        .into_rgb8();
    image::imageops::resize(&photo, 256, 192, image::imageops::Lanczos3)
}

fn means(image: &image::RgbImage) -> [f64; 3] {
    let mut sums = [0f64; 3];
    for p in image.pixels() {
        for (sum, level) in sums.iter_mut().zip(p.0) {
            *sum += f64::from(level);
        }
    }
    sums.map(|s| s / f64::from(image.width() * image.height()))
}

#[test]
fn sensor_data_develops_as_libraw_develops_it() {
    for name in ["plain.dng", "preview.dng", "jpeg_preview.dng"] {
        let decoded = RawDecoder::new(RawPolicy::Develop)
            .decode(&fixture(name), &DecodeRequest::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (size, reference) = libraw(name);
        assert_eq!(decoded.decoded_from, Some(DecodedFrom::Raw), "{name}");
        assert_eq!(decoded.format, "dng");
        assert!(
            decoded.upright,
            "{name}: the raw's orientation is applied here"
        );
        assert_eq!(decoded.pixels.dimensions(), size, "{name}");
        assert_eq!((decoded.stored_width, decoded.stored_height), size);
        let ours = means(&decoded.pixels);
        let photo = means(&source_photo());
        for c in 0..3 {
            // The sensor data is the photo in linear light: developed right, the photo comes
            // back to within rounding; an undeveloped mosaic, a wrong CFA phase or no white
            // balance is off by tens. LibRaw's tone curve (BT.709, not sRGB) leaves it ~12
            // levels darker.
            assert!(
                (ours[c] - photo[c]).abs() < 3.0,
                "{name} channel {c}: {:.1}, the photo {:.1}",
                ours[c],
                photo[c]
            );
            assert!(
                (ours[c] - reference[c]).abs() < 16.0,
                "{name} channel {c}: {:.1}, LibRaw {:.1}",
                ours[c],
                reference[c]
            );
        }
    }
}

#[test]
fn the_preview_serves_when_it_is_large_enough() {
    let bytes = fixture("preview.dng");
    let decoder = RawDecoder::default();
    let small = decoder
        .decode(&bytes, &DecodeRequest::default().with_min_side(Some(64)))
        .unwrap();
    assert_eq!(small.decoded_from, Some(DecodedFrom::Preview));
    // 128x96 preview turned upright; the stored size is still the developed image's.
    assert_eq!(small.pixels.dimensions(), (96, 128));
    assert_eq!((small.stored_width, small.stored_height), (192, 256));
    let developed = RawDecoder::new(RawPolicy::Develop)
        .decode(&bytes, &DecodeRequest::default())
        .unwrap();
    let reduced = image::imageops::resize(&developed.pixels, 96, 128, image::imageops::Triangle);
    let diff = photon_testkit::mean_abs_diff(&small.pixels, &reduced);
    // The same picture either way (LibRaw-like tone vs the photo's own): turned the wrong way it
    // differs by 40 or more.
    assert!(diff < 20.0, "preview vs developed: {diff:.1}");

    let too_small = decoder
        .decode(&bytes, &DecodeRequest::default().with_min_side(Some(100)))
        .unwrap();
    assert_eq!(too_small.decoded_from, Some(DecodedFrom::Raw));
    assert_eq!(too_small.pixels.dimensions(), (192, 256));
}

#[test]
fn an_embedded_jpeg_is_decoded_at_the_scale_the_stages_need() {
    let bytes = fixture("jpeg_preview.dng");
    let request = DecodeRequest::default()
        .with_min_side(Some(64))
        .with_min_long_side(Some(128));
    let decoded = RawDecoder::default().decode(&bytes, &request).unwrap();
    assert_eq!(decoded.decoded_from, Some(DecodedFrom::Preview));
    // The 256x192 JPEG at half scale (DCT scaling with libjpeg-turbo, full size without),
    // turned by Orientation 8.
    let (w, h) = decoded.pixels.dimensions();
    assert!((w, h) == (96, 128) || (w, h) == (192, 256), "{w}x{h}");
    assert_eq!((decoded.stored_width, decoded.stored_height), (192, 256));
    let developed = RawDecoder::new(RawPolicy::Develop)
        .decode(&bytes, &DecodeRequest::default())
        .unwrap();
    assert_eq!(developed.pixels.dimensions(), (192, 256));
    let reduced = image::imageops::resize(&developed.pixels, w, h, image::imageops::Triangle);
    let diff = photon_testkit::mean_abs_diff(&decoded.pixels, &reduced);
    assert!(diff < 12.0, "preview vs developed: {diff:.1}");
}

#[tokio::test]
async fn records_say_where_the_pixels_came_from() {
    let dir = photon_testkit::testdata().join("raw");
    for (policy, from) in [
        (RawPolicy::PreviewFirst, "raw"), // the 96 px preview is too small for a 256 px thumbnail
        (RawPolicy::Develop, "raw"),
    ] {
        let pipeline = Pipeline::builder()
            .decoder(default_router_with(policy))
            .build();
        let record = pipeline.process(dir.join("preview.dng")).await;
        let Record::Image(image) = &record else {
            panic!("{record:?}");
        };
        assert_eq!((image.width, image.height), (192, 256));
        assert_eq!(image.format, "dng");
        let json = serde_json::to_value(image).unwrap();
        assert_eq!(json["decoded_from"], from);
        let exif = image.exif.as_ref().unwrap();
        assert_eq!(exif.camera_make.as_deref(), Some("Photon"));
        assert_eq!(exif.camera_model.as_deref(), Some("Bayer Test Camera"));
        assert_eq!(exif.iso, Some(200));
    }
}

#[test]
fn camera_fields_come_from_raws_under_their_own_tiff_magic() {
    // Olympus ORF (IIRO) and Panasonic RW2 (IIU) are TIFF structures with another magic number.
    for magic in [b"IIRO", b"IIU\0"] {
        let mut raw = fixture("plain.dng");
        raw[..4].copy_from_slice(magic);
        let exif = photon_core::read_exif(&raw).expect("EXIF from the raw's own TIFF structure");
        assert_eq!(exif.camera_make.as_deref(), Some("Photon"));
        assert_eq!(exif.shutter_speed, Some(0.008));
    }
}

#[tokio::test]
async fn a_camera_the_raw_reader_does_not_know_still_shows_its_own_jpeg() {
    let pipeline = Pipeline::builder()
        .decoder(default_router_with(RawPolicy::Develop))
        .build();
    let record = pipeline
        .process(photon_testkit::testdata().join("raw/unknown_camera.nef"))
        .await;
    let Record::Image(image) = &record else {
        panic!("{record:?}");
    };
    let json = serde_json::to_value(image).unwrap();
    assert_eq!(json["decoded_from"], "preview", "no sensor data to develop");
    assert_eq!(image.format, "raw");
    // The 256x192 JPEG turned by the raw's Orientation 6.
    assert_eq!((image.width, image.height), (192, 256));
    let exif = image.exif.as_ref().unwrap();
    assert_eq!(exif.camera_model.as_deref(), Some("NIKON Z 99"));
}

#[test]
fn anything_but_a_camera_raw_is_refused_before_the_raw_reader_sees_it() {
    // rawler also parses plain JPEGs, and looped forever on one the fuzzer found: a JPEG (or
    // anything else that is not a raw) handed straight to `RawDecoder` is refused at once.
    let jpeg = photon_testkit::fixture("photos", "dog.jpg");
    let mut broken = jpeg.clone();
    broken.truncate(4437);
    for bytes in [jpeg, broken, b"not an image".to_vec()] {
        for policy in [RawPolicy::PreviewFirst, RawPolicy::Develop] {
            let error = RawDecoder::new(policy)
                .decode(&bytes, &DecodeRequest::default())
                .unwrap_err();
            assert!(
                matches!(error, photon_core::DecodeError::UnsupportedFormat(_)),
                "{error}"
            );
        }
    }
}
