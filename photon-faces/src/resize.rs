//! OpenCV's `resize` with `INTER_LINEAR` on 8-bit images, in its fixed-point arithmetic.
//!
//! insightface resizes the detector's input with it. Unlike a convolution resampler (the
//! `fast_image_resize` the other stages use), it reads only the two nearest source pixels on
//! each axis whatever the scale, so a box found here matches insightface's only if the pixels
//! are sampled the same way.

use photon_core::RgbImage;

/// Coefficients are fixed point with this many fractional bits (OpenCV's
/// `INTER_RESIZE_COEF_BITS`).
const COEF_BITS: u32 = 11;
const COEF_SCALE: f32 = (1 << COEF_BITS) as f32;

/// For each output position along one axis: the first source index (possibly -1 or the last
/// index, read as the edge pixel) and the two weights. Columns clamp the position to the image
/// first (their weights become 1 and 0 at the edges); rows do not, and read the edge row twice
/// with the computed weights, as OpenCV does.
fn taps(source: u32, target: u32, clamp: bool) -> Vec<(i64, i32, i32)> {
    let scale = f64::from(source) / f64::from(target);
    (0..target)
        .map(|d| {
            let position = ((f64::from(d) + 0.5) * scale - 0.5) as f32;
            let mut index = position.floor() as i64;
            let mut fraction = position - index as f32;
            if clamp && index < 0 {
                (index, fraction) = (0, 0.0);
            }
            if clamp && index >= i64::from(source) - 1 {
                (index, fraction) = (i64::from(source) - 1, 0.0);
            }
            let first = ((1.0 - fraction) * COEF_SCALE).round_ties_even() as i32;
            (index, first, (1 << COEF_BITS) - first)
        })
        .collect()
}

/// `image` resized to `width` × `height` as `cv2.resize(image, (width, height))` does.
pub(crate) fn resize_bilinear(image: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (source_width, source_height) = image.dimensions();
    if (source_width, source_height) == (width, height) {
        return image.clone();
    }
    let columns = taps(source_width, width, true);
    let rows = taps(source_height, height, false);
    let clip = |i: i64, len: u32| i.clamp(0, i64::from(len) - 1) as usize;
    let raw = image.as_raw();
    let stride = source_width as usize * 3;
    // One source row resized horizontally: values scaled by 2^11.
    let horizontal = |row: usize| -> Vec<i32> {
        let line = &raw[row * stride..(row + 1) * stride];
        let mut out = Vec::with_capacity(width as usize * 3);
        for &(x, a, b) in &columns {
            let (x, next) = (clip(x, source_width), clip(x + 1, source_width));
            for c in 0..3 {
                out.push(i32::from(line[x * 3 + c]) * a + i32::from(line[next * 3 + c]) * b);
            }
        }
        out
    };
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for &(y, a, b) in &rows {
        let top = horizontal(clip(y, source_height));
        let bottom = horizontal(clip(y + 1, source_height));
        for (t, u) in top.iter().zip(&bottom) {
            // OpenCV's VResizeLinear for 8-bit: each term shifted down before the sum.
            let value = (((a * (t >> 4)) >> 16) + ((b * (u >> 4)) >> 16) + 2) >> 2;
            pixels.push(value.clamp(0, 255) as u8);
        }
    }
    RgbImage::from_raw(width, height, pixels).expect("width × height × 3 values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_image_stays_flat_and_halving_averages_pairs() {
        let flat = RgbImage::from_raw(4, 4, vec![200; 48]).unwrap();
        assert!(
            resize_bilinear(&flat, 3, 5)
                .as_raw()
                .iter()
                .all(|v| *v == 200)
        );
        // 2x downscale samples halfway between each pair of source pixels.
        let ramp: Vec<u8> = (0..4).flat_map(|x| [x * 10; 3]).collect();
        let ramp = RgbImage::from_raw(4, 1, ramp).unwrap();
        let half = resize_bilinear(&ramp, 2, 1);
        assert_eq!(half.as_raw(), &[5, 5, 5, 25, 25, 25]);
    }
}
