//! One place that resizes pixels, with SIMD (fast_image_resize), for every stage that needs it.

use fast_image_resize::{ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

/// A source rectangle `(left, top, width, height)` in source pixels.
pub(crate) type CropRect = (f64, f64, f64, f64);

/// Resizes `src` (or its `crop` rectangle) to exactly `width` × `height`.
pub(crate) fn resize_rgb(
    src: &RgbImage,
    width: u32,
    height: u32,
    algorithm: ResizeAlg,
    crop: Option<CropRect>,
) -> Result<RgbImage, String> {
    let mut dst = RgbImage::new(width.max(1), height.max(1));
    let mut options = ResizeOptions::new().resize_alg(algorithm);
    if let Some((left, top, w, h)) = crop {
        options = options.crop(left, top, w, h);
    }
    Resizer::new()
        .resize(src, &mut dst, &options)
        .map_err(|e| e.to_string())?;
    Ok(dst)
}

/// The size that fits `(width, height)` inside a `max_side` square, keeping the aspect ratio
/// and never enlarging.
pub(crate) fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side || longest == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let w = (f64::from(width) * scale).round().max(1.0) as u32;
    let h = (f64::from(height) * scale).round().max(1.0) as u32;
    (w.min(max_side), h.min(max_side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit_within(4000, 3000, 256), (256, 192));
        assert_eq!(fit_within(3000, 4000, 256), (192, 256));
        assert_eq!(fit_within(100, 50, 256), (100, 50));
        assert_eq!(fit_within(10_000, 1, 256), (256, 1));
    }
}
