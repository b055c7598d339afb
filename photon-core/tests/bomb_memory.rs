//! Decompression bombs in every supported format (JPEG, PNG, GIF, WebP, BMP, TIFF) are refused
//! from their headers, before any canvas is allocated: the process's peak memory stays far
//! below what decoding them would take.
//!
//! This file holds a single test so that nothing else shares its process's peak-memory figure.

use photon_core::{Pipeline, Record, Source, Stage};
use std::io::Cursor;

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb / 1024.0
}

fn encode(format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::RgbImage::from_pixel(16, 16, image::Rgb([9, 99, 199]))
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A valid small PNG whose header claims `width` × `height`.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode(image::ImageFormat::Png);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32fast::hash(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// A valid small JPEG whose frame header claims `width` × `height`.
fn jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut jpeg = encode(image::ImageFormat::Jpeg);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF0");
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A small BMP whose info header claims `width` × `height`.
fn bmp_claiming(width: i32, height: i32) -> Vec<u8> {
    let mut bmp = encode(image::ImageFormat::Bmp);
    bmp[18..22].copy_from_slice(&width.to_le_bytes());
    bmp[22..26].copy_from_slice(&height.to_le_bytes());
    bmp
}

/// A small GIF whose screen and first frame claim `width` × `height`.
fn gif_claiming(width: u16, height: u16) -> Vec<u8> {
    let mut gif = encode(image::ImageFormat::Gif);
    gif[6..8].copy_from_slice(&width.to_le_bytes());
    gif[8..10].copy_from_slice(&height.to_le_bytes());
    let frame = gif
        .iter()
        .position(|&b| b == 0x2C)
        .expect("image descriptor");
    gif[frame + 5..frame + 7].copy_from_slice(&width.to_le_bytes());
    gif[frame + 7..frame + 9].copy_from_slice(&height.to_le_bytes());
    gif
}

/// A small lossless WebP whose VP8L header claims `width` × `height` (at most 16384 a side).
fn webp_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut webp = encode(image::ImageFormat::WebP);
    assert_eq!(&webp[12..16], b"VP8L", "simple lossless WebP");
    let old = u32::from_le_bytes(webp[21..25].try_into().unwrap());
    let bits = (old & 0xF000_0000) | (width - 1) | ((height - 1) << 14);
    webp[21..25].copy_from_slice(&bits.to_le_bytes());
    webp
}

/// A small lossless WebP in the extended format (a `VP8X` chunk) whose canvas claims
/// `width` × `height` (up to 2²⁴ a side): the size a decoder reads before any bitstream.
fn extended_webp_claiming(width: u32, height: u32) -> Vec<u8> {
    let simple = encode(image::ImageFormat::WebP);
    let bitstream = &simple[12..]; // the VP8L chunk, header included
    let mut vp8x = b"VP8X".to_vec();
    vp8x.extend_from_slice(&10u32.to_le_bytes());
    vp8x.extend_from_slice(&[0, 0, 0, 0]); // no flags: a still image without alpha or metadata
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut webp = b"RIFF".to_vec();
    webp.extend_from_slice(&((4 + vp8x.len() + bitstream.len()) as u32).to_le_bytes());
    webp.extend_from_slice(b"WEBP");
    webp.extend_from_slice(&vp8x);
    webp.extend_from_slice(bitstream);
    webp
}

/// A small TIFF whose first IFD claims `width` × `height` in one PackBits strip.
fn tiff_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut tiff = encode(image::ImageFormat::Tiff);
    assert_eq!(&tiff[..2], b"II");
    let ifd = u32::from_le_bytes(tiff[4..8].try_into().unwrap()) as usize;
    let entries = usize::from(u16::from_le_bytes([tiff[ifd], tiff[ifd + 1]]));
    for e in 0..entries {
        let at = ifd + 2 + 12 * e;
        let tag = u16::from_le_bytes([tiff[at], tiff[at + 1]]);
        // Sizes, and PackBits compression so the strip need not hold width × height bytes.
        let value = match tag {
            256 => width,
            257 => height,
            259 => 32_773,
            278 => height,
            _ => continue,
        };
        // Rewrite as one LONG, whatever type the encoder chose.
        tiff[at + 2..at + 4].copy_from_slice(&4u16.to_le_bytes());
        tiff[at + 4..at + 8].copy_from_slice(&1u32.to_le_bytes());
        tiff[at + 8..at + 12].copy_from_slice(&value.to_le_bytes());
    }
    tiff
}

#[tokio::test]
async fn bombs_are_refused_without_allocating_their_canvas() {
    let mut bombs: Vec<(String, Vec<u8>)> = ["decompression_bomb.gif", "png_decompression_dos.png"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(photon_testkit::testdata().join("hostile").join(n)).unwrap(),
            )
        })
        .collect();
    // Within the side limits but far over the allocation limit (25k² RGB = 1.9 GB), and over
    // the side limits.
    bombs.push(("png-25k.png".into(), png_claiming(25_000, 25_000)));
    bombs.push(("png-1M-wide.png".into(), png_claiming(1_000_000, 16)));
    bombs.push(("jpeg-25k.jpg".into(), jpeg_claiming(25_000, 25_000)));
    bombs.push(("jpeg-60k-wide.jpg".into(), jpeg_claiming(60_000, 16)));
    // Every other supported format, each far over the allocation limit.
    bombs.push(("bmp-25k.bmp".into(), bmp_claiming(25_000, 25_000)));
    bombs.push(("bmp-25k-top-down.bmp".into(), bmp_claiming(25_000, -25_000)));
    bombs.push(("gif-65k.gif".into(), gif_claiming(65_535, 65_535)));
    bombs.push(("webp-16k.webp".into(), webp_claiming(16_384, 16_384)));
    bombs.push((
        "webp-extended-25k.webp".into(),
        extended_webp_claiming(25_000, 25_000),
    ));
    bombs.push(("tiff-25k.tif".into(), tiff_claiming(25_000, 25_000)));

    let before = peak_rss_mib();
    let pipeline = Pipeline::default();
    for (name, bytes) in bombs {
        let record = pipeline
            .process(Source::Bytes {
                name: name.clone(),
                bytes,
            })
            .await;
        let Record::Error(e) = &record else {
            panic!("{name} was decoded: {record:?}")
        };
        assert_eq!(e.error.stage, Stage::Decode, "{name}");
        // A simple WebP's bitstream is checked against its patched header before the limits,
        // so it is refused as malformed; the extended WebP's canvas reaches the size limit, as
        // every other format's header does.
        let refused = e.error.kind == "limits_exceeded"
            || (name == "webp-16k.webp" && e.error.kind == "malformed");
        assert!(refused, "{name}: {} {}", e.error.kind, e.error.message);
    }
    let after = peak_rss_mib();
    // The smallest canvas above would need 250 MB; refusing them all must cost next to nothing.
    assert!(
        after - before < 64.0,
        "peak RSS grew from {before:.0} to {after:.0} MiB"
    );
    assert!(after < 200.0, "peak RSS {after:.0} MiB");
}
