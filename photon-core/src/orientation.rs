//! Applying EXIF orientation so every later stage sees the picture upright.

use image::{RgbImage, imageops};

/// Returns the upright image for EXIF orientation `orientation` (1-8; anything else is 1).
///
/// ```
/// let wide = image::RgbImage::new(4, 2);
/// // Orientation 6: stored rotated, displayed after a 90° clockwise turn.
/// let upright = photon_core::apply_orientation(wide, 6);
/// assert_eq!(upright.dimensions(), (2, 4));
/// ```
pub fn apply_orientation(image: RgbImage, orientation: u8) -> RgbImage {
    match orientation {
        2 => imageops::flip_horizontal(&image),
        3 => imageops::rotate180(&image),
        4 => imageops::flip_vertical(&image),
        5 => imageops::flip_horizontal(&imageops::rotate90(&image)),
        6 => imageops::rotate90(&image),
        7 => imageops::flip_horizontal(&imageops::rotate270(&image)),
        8 => imageops::rotate270(&image),
        _ => image,
    }
}

/// The upright `(width, height)` of a stored size under `orientation`.
pub fn upright_size(width: u32, height: u32, orientation: u8) -> (u32, u32) {
    if (5..=8).contains(&orientation) {
        (height, width)
    } else {
        (width, height)
    }
}
