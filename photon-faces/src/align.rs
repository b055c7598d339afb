//! A face aligned for recognition as insightface's `face_align.norm_crop` aligns it: the five
//! landmarks mapped onto ArcFace's template by the least-squares similarity transform
//! (skimage's `SimilarityTransform.estimate`, Umeyama's method), and the crop sampled as
//! OpenCV's `warpAffine` samples (bilinear, black outside the image).

use photon_core::RgbImage;

/// Where ArcFace's recognition models expect the five landmarks in a 112x112 crop.
pub const ARCFACE_TEMPLATE: [[f32; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Side of the crop ArcFace's recognition models take.
pub const ARCFACE_SIZE: u32 = 112;

/// A rotation, uniform scale and translation: `[[a, -b, tx], [b, a, ty]]` maps `(x, y, 1)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity(pub [[f64; 3]; 2]);

impl Similarity {
    /// The similarity that maps `from` onto `to` with the least squared error; `None` when the
    /// `from` points all coincide.
    pub fn estimate(from: &[[f32; 2]], to: &[[f32; 2]]) -> Option<Self> {
        let n = from.len().min(to.len()) as f64;
        let mean = |points: &[[f32; 2]]| {
            points.iter().fold([0.0, 0.0], |acc, p| {
                [acc[0] + f64::from(p[0]) / n, acc[1] + f64::from(p[1]) / n]
            })
        };
        let (mf, mt) = (mean(from), mean(to));
        // In complex numbers, the best `a` in `to = a·from + t` is Σ conj(f)·t / Σ |f|².
        let (mut re, mut im, mut norm) = (0.0, 0.0, 0.0);
        for (f, t) in from.iter().zip(to) {
            let (fx, fy) = (f64::from(f[0]) - mf[0], f64::from(f[1]) - mf[1]);
            let (tx, ty) = (f64::from(t[0]) - mt[0], f64::from(t[1]) - mt[1]);
            re += fx * tx + fy * ty;
            im += fx * ty - fy * tx;
            norm += fx * fx + fy * fy;
        }
        if norm <= f64::EPSILON {
            return None;
        }
        let (a, b) = (re / norm, im / norm);
        Some(Self([
            [a, -b, mt[0] - (a * mf[0] - b * mf[1])],
            [b, a, mt[1] - (b * mf[0] + a * mf[1])],
        ]))
    }

    /// The inverse map, as OpenCV inverts it (a singular matrix gives zeros).
    fn inverse(&self) -> [[f64; 3]; 2] {
        let [[m0, m1, m2], [m3, m4, m5]] = self.0;
        let det = m0 * m4 - m1 * m3;
        let d = if det != 0.0 { 1.0 / det } else { 0.0 };
        let (a11, a22, a12, a21) = (m4 * d, m0 * d, -m1 * d, -m3 * d);
        [
            [a11, a12, -a11 * m2 - a12 * m5],
            [a21, a22, -a21 * m2 - a22 * m5],
        ]
    }
}

/// The `size`×`size` crop of `image` whose landmarks lie on ArcFace's template (scaled to
/// `size`), as `norm_crop(image, landmarks, size)`; `None` for coincident landmarks.
pub fn norm_crop(image: &RgbImage, landmarks: &[[f32; 2]; 5], size: u32) -> Option<RgbImage> {
    let ratio = size as f32 / ARCFACE_SIZE as f32;
    let template = ARCFACE_TEMPLATE.map(|[x, y]| [x * ratio, y * ratio]);
    let similarity = Similarity::estimate(landmarks, &template)?;
    Some(warp_affine(image, &similarity, size))
}

/// `cv2.warpAffine(image, similarity, (size, size))` with bilinear sampling and black borders.
///
/// OpenCV 5 samples at the exact source position in floating point (OpenCV 4 rounded it to
/// 1/32 pixel first, which moves values by up to four levels at sharp edges).
pub fn warp_affine(image: &RgbImage, similarity: &Similarity, size: u32) -> RgbImage {
    let [[m0, m1, m2], [m3, m4, m5]] = similarity.inverse();
    let mut out = RgbImage::new(size, size);
    for (x, y, pixel) in out.enumerate_pixels_mut() {
        let (x, y) = (f64::from(x), f64::from(y));
        pixel.0 = sample(image, m0 * x + m1 * y + m2, m3 * x + m4 * y + m5);
    }
    out
}

/// The bilinear sample at (`sx`, `sy`), pixels outside the image black.
fn sample(image: &RgbImage, sx: f64, sy: f64) -> [u8; 3] {
    let (x0, y0) = (sx.floor(), sy.floor());
    let (fx, fy) = (sx - x0, sy - y0);
    let (ix, iy) = (x0 as i64, y0 as i64);
    let weights = [
        (1.0 - fx) * (1.0 - fy),
        fx * (1.0 - fy),
        (1.0 - fx) * fy,
        fx * fy,
    ];
    let (width, height) = (i64::from(image.width()), i64::from(image.height()));
    let pixel = |x: i64, y: i64| {
        if (0..width).contains(&x) && (0..height).contains(&y) {
            image.get_pixel(x as u32, y as u32).0
        } else {
            [0; 3]
        }
    };
    let corners = [
        pixel(ix, iy),
        pixel(ix + 1, iy),
        pixel(ix, iy + 1),
        pixel(ix + 1, iy + 1),
    ];
    std::array::from_fn(|c| {
        let sum: f64 = corners
            .iter()
            .zip(weights)
            .map(|(p, w)| f64::from(p[c]) * w)
            .sum();
        sum.round_ties_even().clamp(0.0, 255.0) as u8
    })
}

/// Crops as one `[n, 3, size, size]` RGB tensor, each value `(v - mean) / std` (ArcFace's
/// `(v - 127.5) / 127.5`).
pub fn crops_tensor(crops: &[RgbImage], mean: f32, std: f32) -> Vec<f32> {
    let mut tensor = Vec::with_capacity(crops.iter().map(|c| c.len()).sum());
    for crop in crops {
        for channel in 0..3 {
            tensor.extend(
                crop.pixels()
                    .map(|p| (f32::from(p.0[channel]) - mean) / std),
            );
        }
    }
    tensor
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_maps_onto_itself_and_a_scaled_copy_back() {
        let same = Similarity::estimate(&ARCFACE_TEMPLATE, &ARCFACE_TEMPLATE).unwrap();
        let identity = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        for (row, want) in same.0.iter().zip(identity) {
            for (v, w) in row.iter().zip(want) {
                assert!((v - w).abs() < 1e-6, "{:?}", same.0);
            }
        }
        // Landmarks twice as large, turned 90° and moved: the transform undoes exactly that.
        let moved = ARCFACE_TEMPLATE.map(|[x, y]| [-2.0 * y + 300.0, 2.0 * x + 10.0]);
        let back = Similarity::estimate(&moved, &ARCFACE_TEMPLATE).unwrap();
        let [[a, b, _], [c, d, _]] = back.0;
        assert!(
            (a - 0.0).abs() < 1e-6 && (b - 0.5).abs() < 1e-6,
            "{:?}",
            back.0
        );
        assert!(
            (c + 0.5).abs() < 1e-6 && (d - 0.0).abs() < 1e-6,
            "{:?}",
            back.0
        );
        assert!(Similarity::estimate(&[[1.0, 1.0]; 5], &ARCFACE_TEMPLATE).is_none());
    }

    #[test]
    fn an_identity_warp_copies_and_outside_is_black() {
        let values = (0..64u8)
            .flat_map(|i| [i % 8 * 30, i / 8 * 30, 0])
            .collect();
        let image = RgbImage::from_raw(8, 8, values).unwrap();
        let identity = Similarity([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        assert_eq!(warp_affine(&image, &identity, 8), image);
        let shifted = Similarity([[1.0, 0.0, 4.0], [0.0, 1.0, 0.0]]);
        let warped = warp_affine(&image, &shifted, 8);
        assert_eq!(warped.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(warped.get_pixel(4, 3), image.get_pixel(0, 3));
        // Half a pixel right: each value the mean of two neighbours, rounded.
        let half = Similarity([[1.0, 0.0, -0.5], [0.0, 1.0, 0.0]]);
        let warped = warp_affine(&image, &half, 8);
        assert_eq!(warped.get_pixel(2, 0).0[0], 75);
    }

    #[test]
    fn crops_become_planes() {
        let crop = RgbImage::from_raw(1, 1, vec![255, 127, 0]).unwrap();
        let tensor = crops_tensor(&[crop.clone(), crop], 127.5, 127.5);
        assert_eq!(tensor.len(), 6);
        assert_eq!(tensor[0], 1.0);
        assert_eq!(tensor[2], -1.0);
    }
}
