//! Pixels to a model's input tensor: resize, normalise, reorder channels, lay out as NCHW f32.

use crate::error::{Stage, StageError};
use crate::resize::{CropRect, resize_rgb};
use fast_image_resize::{FilterType, ResizeAlg};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How the image is fitted to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
#[non_exhaustive]
pub enum ResizeMode {
    /// Stretch to the input size, ignoring aspect ratio (SigLIP's way).
    Squash,
    /// Scale so the shorter side is `shorter_side`, then cut the centre to the input size
    /// (the ImageNet and CLIP way). `shorter_side` must be at least the input's larger side.
    ShorterSideThenCenterCrop {
        /// Length of the shorter side after scaling, e.g. 256 for a 224 crop.
        shorter_side: u32,
    },
}

/// Resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResizeFilter {
    /// Nearest neighbour.
    Nearest,
    /// Bilinear (triangle) filter.
    Bilinear,
    /// Bicubic (Catmull-Rom), PIL's `BICUBIC`.
    Bicubic,
    /// Lanczos with a = 3.
    Lanczos3,
}

impl ResizeFilter {
    fn algorithm(self) -> ResizeAlg {
        match self {
            ResizeFilter::Nearest => ResizeAlg::Nearest,
            ResizeFilter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
            ResizeFilter::Bicubic => ResizeAlg::Convolution(FilterType::CatmullRom),
            ResizeFilter::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }
}

/// How 8-bit samples become the model's floats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Normalization {
    /// `(sample / 255 - mean[c]) / std[c]`, the torchvision / Hugging Face convention.
    MeanStd {
        /// Per-channel mean, in the model's channel order.
        mean: [f32; 3],
        /// Per-channel standard deviation, in the model's channel order.
        std: [f32; 3],
    },
    /// `sample * scale[c] + offset[c]` on the raw 0-255 sample (e.g. `(x - 127) / 128`).
    ScaleOffset {
        /// Per-channel multiplier.
        scale: [f32; 3],
        /// Per-channel offset added after scaling.
        offset: [f32; 3],
    },
}

impl Normalization {
    /// The `(multiplier, offset)` per channel that maps a raw sample to the model's value.
    fn affine(&self) -> ([f32; 3], [f32; 3]) {
        match *self {
            Normalization::MeanStd { mean, std } => {
                let scale = std.map(|s| 1.0 / (255.0 * s));
                let offset = [0, 1, 2].map(|c| -mean[c] / std[c]);
                (scale, offset)
            }
            Normalization::ScaleOffset { scale, offset } => (scale, offset),
        }
    }
}

/// Channel order of the tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChannelOrder {
    /// Red, green, blue.
    #[default]
    Rgb,
    /// Blue, green, red (Caffe-era models).
    Bgr,
}

/// A model's preprocessing, applied to the upright image. The output is one `[3, height, width]`
/// f32 plane set (NCHW without the batch axis). Build it with [`Preprocessing::new`] and the
/// setters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Preprocessing {
    /// Model input width.
    pub width: u32,
    /// Model input height.
    pub height: u32,
    /// How the image is fitted to `width` × `height`.
    pub resize: ResizeMode,
    /// Resampling filter.
    pub filter: ResizeFilter,
    /// Sample normalisation.
    pub normalization: Normalization,
    /// Channel order.
    pub channel_order: ChannelOrder,
}

impl Preprocessing {
    /// `width` × `height`, squashed with a bilinear filter, samples scaled to 0-1, RGB; set the
    /// rest with the setters.
    ///
    /// ```
    /// use photon_core::{Normalization, Preprocessing, ResizeFilter, ResizeMode};
    /// let clip = Preprocessing::new(224, 224)
    ///     .resize(ResizeMode::ShorterSideThenCenterCrop { shorter_side: 224 })
    ///     .filter(ResizeFilter::Bicubic)
    ///     .normalization(Normalization::MeanStd {
    ///         mean: [0.481, 0.458, 0.408],
    ///         std: [0.269, 0.261, 0.276],
    ///     });
    /// assert_eq!((clip.width, clip.height), (224, 224));
    /// ```
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            resize: ResizeMode::Squash,
            filter: ResizeFilter::Bilinear,
            normalization: Normalization::ScaleOffset {
                scale: [1.0 / 255.0; 3],
                offset: [0.0; 3],
            },
            channel_order: ChannelOrder::Rgb,
        }
    }

    /// Sets [`resize`](Self::resize).
    pub fn resize(mut self, resize: ResizeMode) -> Self {
        self.resize = resize;
        self
    }

    /// Sets [`filter`](Self::filter).
    pub fn filter(mut self, filter: ResizeFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets [`normalization`](Self::normalization).
    pub fn normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
    }

    /// Sets [`channel_order`](Self::channel_order).
    pub fn channel_order(mut self, order: ChannelOrder) -> Self {
        self.channel_order = order;
        self
    }
}

/// Why preprocessing failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PreprocessError {
    /// The spec cannot work (zero size, a crop larger than the scaled image).
    #[error("invalid preprocessing spec: {0}")]
    InvalidSpec(String),
    /// The resizer refused.
    #[error("resize failed: {0}")]
    Resize(String),
}

impl StageError for PreprocessError {
    fn stage(&self) -> Stage {
        Stage::Preprocess
    }
    fn kind(&self) -> &'static str {
        match self {
            PreprocessError::InvalidSpec(_) => "invalid_spec",
            PreprocessError::Resize(_) => "resize",
        }
    }
}

impl Preprocessing {
    /// Number of f32 values in one image's tensor (3 × height × width).
    pub fn tensor_len(&self) -> usize {
        3 * self.width as usize * self.height as usize
    }

    /// The shortest side a decoded image needs for this preprocessing to lose nothing.
    pub fn min_source_side(&self) -> u32 {
        match self.resize {
            ResizeMode::Squash => self.width.max(self.height),
            ResizeMode::ShorterSideThenCenterCrop { shorter_side } => shorter_side,
        }
    }

    /// Checks the spec makes sense.
    pub fn validate(&self) -> Result<(), PreprocessError> {
        if self.width == 0 || self.height == 0 {
            return Err(PreprocessError::InvalidSpec(
                "input size must be non-zero".into(),
            ));
        }
        if let ResizeMode::ShorterSideThenCenterCrop { shorter_side } = self.resize
            && shorter_side < self.width.max(self.height)
        {
            return Err(PreprocessError::InvalidSpec(format!(
                "shorter side {shorter_side} is smaller than the {}x{} crop",
                self.width, self.height
            )));
        }
        Ok(())
    }

    /// Produces the `[3, height, width]` tensor of an upright image.
    ///
    /// ```
    /// use photon_core::*;
    /// // Squashed, bilinear, samples scaled to 0-1, RGB.
    /// let spec = Preprocessing::new(2, 2);
    /// let red = image::RgbImage::from_pixel(8, 8, image::Rgb([255, 0, 0]));
    /// let t = spec.apply(&red).unwrap();
    /// assert_eq!(t, vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    /// ```
    pub fn apply(&self, image: &RgbImage) -> Result<Vec<f32>, PreprocessError> {
        self.validate()?;
        let resized = self.fit(image)?;
        let (scale, offset) = self.normalization.affine();
        let plane = self.width as usize * self.height as usize;
        // Tensor channel `c` reads this sample of each RGB pixel.
        let sample_of = match self.channel_order {
            ChannelOrder::Rgb => [0, 1, 2],
            ChannelOrder::Bgr => [2, 1, 0],
        };
        let mut tensor = vec![0.0f32; 3 * plane];
        for (c, out) in tensor.chunks_exact_mut(plane).enumerate() {
            let (k, m, o) = (sample_of[c], scale[c], offset[c]);
            for (value, px) in out.iter_mut().zip(resized.as_raw().chunks_exact(3)) {
                *value = f32::from(px[k]) * m + o;
            }
        }
        Ok(tensor)
    }

    fn fit(&self, image: &RgbImage) -> Result<RgbImage, PreprocessError> {
        let crop = match self.resize {
            ResizeMode::Squash => None,
            ResizeMode::ShorterSideThenCenterCrop { shorter_side } => Some(center_crop_rect(
                image.dimensions(),
                shorter_side,
                (self.width, self.height),
            )),
        };
        resize_rgb(
            image,
            self.width,
            self.height,
            self.filter.algorithm(),
            crop,
        )
        .map_err(PreprocessError::Resize)
    }
}

/// The source rectangle that, scaled so the image's shorter side is `shorter_side`, becomes the
/// centred `out` crop. Resizing that rectangle straight to `out` equals scale-then-crop, without
/// materialising the scaled image.
fn center_crop_rect((w, h): (u32, u32), shorter_side: u32, out: (u32, u32)) -> CropRect {
    let scale = f64::from(shorter_side) / f64::from(w.min(h).max(1));
    let crop_w = (f64::from(out.0) / scale).min(f64::from(w));
    let crop_h = (f64::from(out.1) / scale).min(f64::from(h));
    (
        (f64::from(w) - crop_w) / 2.0,
        (f64::from(h) - crop_h) / 2.0,
        crop_w,
        crop_h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_rect_matches_scale_then_crop() {
        // 4000x3000 → shorter side 256 → 341.33x256 → centre 224x224.
        let (l, t, w, h) = center_crop_rect((4000, 3000), 256, (224, 224));
        assert!((w - 2625.0).abs() < 1e-9 && (h - 2625.0).abs() < 1e-9);
        assert!((l - 687.5).abs() < 1e-9 && (t - 187.5).abs() < 1e-9);
    }
}
