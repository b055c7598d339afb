//! The variants of TIFF and the other formats that archives, scanners and old tools write, as
//! Pillow reads them (testdata/variants, from Pillow's own test images): YCbCr JPEG and
//! old-style JPEG TIFFs, LZMA, BigTIFF, CIELAB, 2- and 4-bit grey, tiled planar 16-bit,
//! multipage (the first page), 12- and 32-bit grey; a GIF without a colour table, a JPEG with a
//! short APP14 segment; BMPs with an OS/2 2.x header, a bad plane count, top-down RLE or RLE runs
//! that go wrong (decoded as far as they go, as Pillow does); TGA,
//! QOI, ICO and the PNM family. Each must decode to Pillow's size and,
//! channel by channel, to Pillow's mean level (`expected.tsv`, written by
//! scripts/make_variant_expectations.py).
use photon_core::DecodeRequest;
use photon_decode::default_decoder;

/// Files whose deep grey levels Photon stretches to the full 8-bit range, where Pillow clips
/// them: only their size is compared.
const OWN_LEVELS: [&str; 2] = ["12bit.cropped.tif", "10ct_32bit_128.tiff"];

struct Expected {
    file: String,
    size: (u32, u32),
    means: [f64; 3],
}

fn expectations() -> Vec<Expected> {
    let tsv =
        std::fs::read_to_string(photon_testkit::testdata().join("variants/expected.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let number = |i: usize| f[i].parse::<f64>().unwrap();
            Expected {
                file: f[0].to_owned(),
                size: (f[1].parse().unwrap(), f[2].parse().unwrap()),
                means: [number(3), number(4), number(5)],
            }
        })
        .collect()
}

fn channel_means(image: &image::RgbImage) -> [f64; 3] {
    let mut sums = [0u64; 3];
    for pixel in image.pixels() {
        for (sum, level) in sums.iter_mut().zip(pixel.0) {
            *sum += u64::from(level);
        }
    }
    let n = f64::from(image.width() * image.height());
    sums.map(|s| s as f64 / n)
}

#[test]
fn every_variant_decodes_as_pillow_reads_it() {
    let expected = expectations();
    assert_eq!(expected.len(), 23, "expected.tsv lists every fixture");
    let decoder = default_decoder();
    for e in &expected {
        let bytes = photon_testkit::fixture("variants", &e.file);
        let decoded = decoder
            .decode(&bytes, &DecodeRequest::default())
            .unwrap_or_else(|err| panic!("{}: {err}", e.file));
        assert_eq!(decoded.pixels.dimensions(), e.size, "{}", e.file);
        if OWN_LEVELS.contains(&e.file.as_str()) {
            let means = channel_means(&decoded.pixels);
            assert!(
                means[0] > 5.0,
                "{}: stretched, not black: {means:?}",
                e.file
            );
            continue;
        }
        let means = channel_means(&decoded.pixels);
        for (channel, (ours, theirs)) in means.iter().zip(e.means).enumerate() {
            // Rounding and chroma upsampling differ by a level or two; a wrong colour space,
            // white point, bit order or plane layout by tens (CIELAB through libtiff's own
            // conversion, D50 taken for D65: blue 17 low).
            assert!(
                (ours - theirs).abs() < 3.0,
                "{} channel {channel}: {ours:.2} where Pillow reads {theirs:.2}",
                e.file
            );
        }
    }
}

#[test]
fn formats_are_named_from_the_content() {
    let decoder = default_decoder();
    let format = |file: &str| {
        decoder
            .decode(
                &photon_testkit::fixture("variants", file),
                &DecodeRequest::default(),
            )
            .unwrap()
            .format
    };
    assert_eq!(format("hopper_bigtiff.tif"), "tiff");
    assert_eq!(format("200x32_rgb_tl_rle.tga"), "tga");
    assert_eq!(format("hopper.qoi"), "qoi");
    assert_eq!(format("hopper.ico"), "ico");
    assert_eq!(format("hopper_8bit.pgm"), "pnm");
    assert_eq!(format("no_palette.gif"), "gif");
}
