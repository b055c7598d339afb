//! Small JPEG previews: longest side N, aspect kept, never enlarged.

use crate::error::{Stage, StageError};
use crate::resize::{fit_within, resize_rgb};
use fast_image_resize::{FilterType, ResizeAlg};
use image::RgbImage;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Where a thumbnail goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ThumbnailOutput {
    /// Base64 inside the record's `thumbnail` field.
    #[default]
    Inline,
    /// A file `<dir>/<content_hash>.jpg`, named in the record's `thumbnail_path`. Identical
    /// inputs share one file.
    Directory(PathBuf),
}

/// How thumbnails are made: [`Default`] and the setters.
///
/// ```
/// use photon_core::{ThumbnailOptions, ThumbnailOutput};
/// let options = ThumbnailOptions::default().max_side(512).output(ThumbnailOutput::Directory("thumbs".into()));
/// assert_eq!((options.max_side, options.quality), (512, 80));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ThumbnailOptions {
    /// Longest side in pixels.
    pub max_side: u32,
    /// JPEG quality, 1-100.
    pub quality: u8,
    /// Inline or on disk.
    pub output: ThumbnailOutput,
}

impl Default for ThumbnailOptions {
    /// 256 px, quality 80, inline.
    fn default() -> Self {
        Self {
            max_side: 256,
            quality: 80,
            output: ThumbnailOutput::Inline,
        }
    }
}

impl ThumbnailOptions {
    /// Sets [`max_side`](Self::max_side).
    pub fn max_side(mut self, pixels: u32) -> Self {
        self.max_side = pixels;
        self
    }

    /// Sets [`quality`](Self::quality).
    pub fn quality(mut self, quality: u8) -> Self {
        self.quality = quality;
        self
    }

    /// Sets [`output`](Self::output).
    pub fn output(mut self, output: ThumbnailOutput) -> Self {
        self.output = output;
        self
    }
}

/// Why a thumbnail could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ThumbnailError {
    /// Resizing failed.
    #[error("resize failed: {0}")]
    Resize(String),
    /// JPEG encoding failed.
    #[error("JPEG encoding failed: {0}")]
    Encode(String),
    /// The thumbnail file could not be written.
    #[error("cannot write thumbnail {path}")]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl StageError for ThumbnailError {
    fn stage(&self) -> Stage {
        Stage::Thumbnail
    }
    fn kind(&self) -> &'static str {
        match self {
            ThumbnailError::Resize(_) => "resize",
            ThumbnailError::Encode(_) => "encode",
            ThumbnailError::Write { .. } => "io",
        }
    }
}

/// Resizes an upright image to fit `opts.max_side` and encodes it as JPEG.
///
/// ```
/// use photon_core::{encode_thumbnail, ThumbnailOptions};
/// let big = image::RgbImage::from_pixel(800, 400, image::Rgb([200, 30, 30]));
/// let jpeg = encode_thumbnail(&big, &ThumbnailOptions::default()).unwrap();
/// let back = image::load_from_memory(&jpeg).unwrap();
/// assert_eq!((back.width(), back.height()), (256, 128));
/// ```
pub fn encode_thumbnail(
    image: &RgbImage,
    opts: &ThumbnailOptions,
) -> Result<Vec<u8>, ThumbnailError> {
    encode_thumbnail_of(image, image.dimensions(), opts, &ImageCrateJpegEncoder)
}

/// Like [`encode_thumbnail`], for an `image` that stands for a picture of `full_size` pixels
/// (a scaled decode): the thumbnail's size follows the full picture, so it does not depend on
/// the scale the decoder chose.
pub(crate) fn encode_thumbnail_of(
    image: &RgbImage,
    full_size: (u32, u32),
    opts: &ThumbnailOptions,
    encoder: &dyn JpegEncoder,
) -> Result<Vec<u8>, ThumbnailError> {
    let (w, h) = fit_within(full_size.0, full_size.1, opts.max_side.max(1));
    let small = if (w, h) == image.dimensions() {
        None
    } else {
        Some(
            resize_rgb(
                image,
                w,
                h,
                ResizeAlg::Convolution(FilterType::CatmullRom),
                None,
            )
            .map_err(ThumbnailError::Resize)?,
        )
    };
    encoder.encode(small.as_ref().unwrap_or(image), opts.quality.clamp(1, 100))
}

/// Turns a thumbnail's pixels into JPEG bytes: the one step of the thumbnail stage worth a
/// faster codec. [`ImageCrateJpegEncoder`] is the pure-Rust default; photon-decode's
/// `TurboJpegEncoder` (feature `turbojpeg`) is about 5x faster through libjpeg-turbo's SIMD.
///
/// The contract: a baseline JPEG of exactly `image`'s size at `quality` (1-100), or an error;
/// never a panic. It runs on blocking threads, several at once.
pub trait JpegEncoder: Send + Sync {
    /// Encodes `image` at `quality`.
    fn encode(&self, image: &RgbImage, quality: u8) -> Result<Vec<u8>, ThumbnailError>;
}

/// JPEG through the `image` crate's encoder, in pure Rust.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageCrateJpegEncoder;

impl JpegEncoder for ImageCrateJpegEncoder {
    fn encode(&self, image: &RgbImage, quality: u8) -> Result<Vec<u8>, ThumbnailError> {
        let mut jpeg = Vec::with_capacity(image.as_raw().len() / 8);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(image)
            .map_err(|e| ThumbnailError::Encode(e.to_string()))?;
        Ok(jpeg)
    }
}

/// `Arc<E>`, `Box<E>` and `&E` are encoders when `E` is, as for every plugin trait.
macro_rules! forward_jpeg_encoder {
    ($($wrapper:ty),*) => {$(
        impl<E: JpegEncoder + ?Sized> JpegEncoder for $wrapper {
            fn encode(&self, image: &RgbImage, quality: u8) -> Result<Vec<u8>, ThumbnailError> {
                (**self).encode(image, quality)
            }
        }
    )*};
}

forward_jpeg_encoder!(std::sync::Arc<E>, Box<E>, &E);

/// Writes a thumbnail as `<dir>/<content_hash>.jpg`, atomically (temporary file, then rename),
/// so a crash never leaves a half-written thumbnail behind. Returns the path.
pub(crate) fn write_thumbnail(
    dir: &Path,
    content_hash: &str,
    jpeg: &[u8],
) -> Result<PathBuf, ThumbnailError> {
    let path = dir.join(format!("{content_hash}.jpg"));
    let write_err = |source| ThumbnailError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let tmp = dir.join(format!(
        ".{content_hash}.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    // A write or rename that fails (a full disk, a quota) must not leave its temporary file.
    let written = std::fs::write(&tmp, jpeg).and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(write_err(e));
    }
    Ok(path)
}
