//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::path::PathBuf;

/// The repository's test data folder (copies of real photos and edge-case files).
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Files of one testdata subfolder, sorted.
pub fn files_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join(dir))
        .unwrap_or_else(|e| panic!("testdata/{dir} is missing: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "testdata/{dir} is empty");
    files
}

/// Mean absolute difference per sample of two images of the same size.
pub fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

/// hopper's middle, 96x128, upright: the picture the HEIF and JPEG XL fixtures hold.
pub fn hopper_middle() -> image::RgbImage {
    let hopper = image::open(testdata().join("exif/hopper.jpg"))
        .unwrap()
        .into_rgb8();
    image::imageops::crop_imm(&hopper, 16, 0, 96, 128).to_image()
}

/// A file of `testdata/<dir>/`.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    std::fs::read(testdata().join(dir).join(name)).unwrap()
}
