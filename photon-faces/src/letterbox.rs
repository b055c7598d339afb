//! The detector's input: the image shrunk or grown with its aspect kept into the model's input
//! size, placed at the top left and padded with black, as insightface's `SCRFD.detect` does.

use crate::resize::resize_bilinear;
use photon_core::RgbImage;

/// Where an image lies inside a detector's input, and the factor between the two.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Letterbox {
    /// The input's width and height, in pixels.
    pub input: (u32, u32),
    /// The resized image's width and height inside the input (the rest is padding).
    pub resized: (u32, u32),
    /// Input pixels per image pixel (insightface's `det_scale`).
    pub scale: f64,
}

impl Letterbox {
    /// How an `image` (width, height) fits an `input` (width, height): the side that limits
    /// fills it, the other is cut to a whole number of pixels, at least one.
    pub fn fit(image: (u32, u32), input: (u32, u32)) -> Self {
        let image_ratio = f64::from(image.1) / f64::from(image.0.max(1));
        let input_ratio = f64::from(input.1) / f64::from(input.0.max(1));
        let resized = if image_ratio > input_ratio {
            let height = input.1;
            ((f64::from(height) / image_ratio) as u32, height)
        } else {
            let width = input.0;
            (width, (f64::from(width) * image_ratio) as u32)
        };
        let resized = (resized.0.max(1), resized.1.max(1));
        Self {
            input,
            resized,
            scale: f64::from(resized.1) / f64::from(image.1.max(1)),
        }
    }

    /// The input tensor, `[1, 3, height, width]` in RGB order, each value `(v - mean) / std`;
    /// padding is black before normalising, as in insightface.
    pub fn tensor(&self, image: &RgbImage, mean: f32, std: f32) -> Vec<f32> {
        let resized = resize_bilinear(image, self.resized.0, self.resized.1);
        let (width, height) = (self.input.0 as usize, self.input.1 as usize);
        let plane = width * height;
        let mut tensor = vec![(0.0 - mean) / std; 3 * plane];
        for (x, y, pixel) in resized.enumerate_pixels() {
            let at = y as usize * width + x as usize;
            for (channel, value) in pixel.0.iter().enumerate() {
                tensor[channel * plane + at] = (f32::from(*value) - mean) / std;
            }
        }
        tensor
    }

    /// A point in the input mapped back to the image.
    pub fn to_image(&self, point: [f32; 2]) -> [f32; 2] {
        let scale = self.scale as f32;
        [point[0] / scale, point[1] / scale]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiting_side_fills_the_input() {
        let wide = Letterbox::fit((1280, 720), (640, 640));
        assert_eq!(wide.resized, (640, 360));
        assert!((wide.scale - 0.5).abs() < 1e-12);
        let tall = Letterbox::fit((300, 600), (640, 640));
        assert_eq!(tall.resized, (320, 640));
        let sliver = Letterbox::fit((10_000, 1), (640, 640));
        assert_eq!(sliver.resized, (640, 1));
        assert_eq!(wide.to_image([320.0, 100.0]), [640.0, 200.0]);
    }

    #[test]
    fn padding_is_black_and_channels_are_planes() {
        let image = RgbImage::from_raw(2, 1, vec![255; 6]).unwrap();
        let letterbox = Letterbox::fit((2, 1), (4, 4));
        let tensor = letterbox.tensor(&image, 127.5, 128.0);
        assert_eq!(tensor.len(), 48);
        assert_eq!(tensor[0], 127.5 / 128.0);
        assert_eq!(tensor[15], -127.5 / 128.0);
        assert_eq!(tensor[32], 127.5 / 128.0);
    }
}
