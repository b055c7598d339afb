//! Decompression bombs are refused from their headers, before any canvas is allocated: the
//! process's peak memory stays far below what decoding them would take.
//!
//! This file holds a single test so that nothing else shares its process's peak-memory figure.

mod common;

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

#[tokio::test]
async fn bombs_are_refused_without_allocating_their_canvas() {
    let mut bombs: Vec<(String, Vec<u8>)> = ["decompression_bomb.gif", "png_decompression_dos.png"]
        .iter()
        .map(|n| {
            (
                n.to_string(),
                std::fs::read(common::testdata().join("hostile").join(n)).unwrap(),
            )
        })
        .collect();
    // Within the side limits but far over the allocation limit (25k² RGB = 1.9 GB), and over
    // the side limits.
    bombs.push(("png-25k.png".into(), png_claiming(25_000, 25_000)));
    bombs.push(("png-1M-wide.png".into(), png_claiming(1_000_000, 16)));
    bombs.push(("jpeg-25k.jpg".into(), jpeg_claiming(25_000, 25_000)));
    bombs.push(("jpeg-60k-wide.jpg".into(), jpeg_claiming(60_000, 16)));

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
        assert_eq!(
            e.error.kind, "limits_exceeded",
            "{name}: {}",
            e.error.message
        );
    }
    let after = peak_rss_mib();
    // The smallest canvas above would need 250 MB; refusing them all must cost next to nothing.
    assert!(
        after - before < 64.0,
        "peak RSS grew from {before:.0} to {after:.0} MiB"
    );
    assert!(after < 200.0, "peak RSS {after:.0} MiB");
}
