//! Bytes to pixels: the [`Decoder`] plugin trait, its request and result, and the decoder built
//! on the `image` crate with the integrity checks `image` lacks. photon-decode adds the codecs
//! that need C libraries or large crates, and routes each format to one.

mod bmp_repair;
mod bmp_rle;
mod gif_grey;
mod image_crate;
mod integrity;
pub mod sniff;

pub use image_crate::ImageCrateDecoder;

use crate::error::{Stage, StageError};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

/// Where a decoder took the pixels from, for files that hold more than one rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DecodedFrom {
    /// A preview the camera embedded (a camera raw's JPEG).
    Preview,
    /// The sensor data, developed.
    Raw,
}

impl DecodedFrom {
    /// The name records write: `preview` or `raw`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecodedFrom::Preview => "preview",
            DecodedFrom::Raw => "raw",
        }
    }

    /// The rendition named `name` as records write it.
    pub fn from_name(name: &str) -> Option<DecodedFrom> {
        [DecodedFrom::Preview, DecodedFrom::Raw]
            .into_iter()
            .find(|from| from.as_str() == name)
    }
}

/// Hard ceilings that protect the process from decompression bombs.
///
/// They are checked against the size declared in the file header, before any pixel buffer is
/// allocated, so a 1 KB file that claims to be 100 000 × 100 000 pixels costs nothing. Start
/// from [`Default`] and assign the fields to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Widest image accepted, in pixels.
    pub max_width: u32,
    /// Tallest image accepted, in pixels.
    pub max_height: u32,
    /// Most bytes the decoder may allocate for one image (pixel buffers and decoder state).
    pub max_alloc: u64,
    /// Largest decompressed metadata chunk (PNG text), checked with a capped inflate before
    /// decoding; larger ones are refused as decompression bombs, as Pillow does.
    pub max_metadata_chunk: u64,
}

impl Default for DecodeLimits {
    /// 30 000 px a side, 512 MiB, 1 MiB metadata chunks: room for 100+ MP camera files, not
    /// for bombs.
    fn default() -> Self {
        Self {
            max_width: 30_000,
            max_height: 30_000,
            max_alloc: 512 * 1024 * 1024,
            max_metadata_chunk: 1024 * 1024,
        }
    }
}

/// What the pipeline asks of a decoder for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DecodeRequest {
    /// Limits to enforce before allocating.
    pub limits: DecodeLimits,
    /// The shortest side every later stage can work from (the perceptual hash, the model). A
    /// decoder that can decode at a reduced scale (JPEG DCT scaling) or has smaller renditions
    /// (a HEIF thumbnail item, a raw's preview) may return any image that
    /// [serves](DecodeRequest::serves) the request, or the full image.
    pub min_side: Option<u32>,
    /// The longest side later stages need (a thumbnail fits its longer side to its size).
    /// When this and [`min_side`](Self::min_side) are both `None`, the full size is wanted.
    pub min_long_side: Option<u32>,
}

/// A decoded image, as stored in the file (EXIF orientation not yet applied). Build it with
/// [`DecodedImage::new`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DecodedImage {
    /// 8-bit RGB pixels; alpha is dropped and deeper samples are scaled to 8 bits.
    pub pixels: RgbImage,
    /// Container format detected from the content, lowercase (`jpeg`, `png`, `webp`, ...).
    pub format: String,
    /// Width of the full-resolution image as stored, before any scaled decoding.
    pub stored_width: u32,
    /// Height of the full-resolution image as stored, before any scaled decoding.
    pub stored_height: u32,
    /// The decoder already turned the pixels upright from the container's own transformations
    /// (HEIF's `irot` and `imir`, which are authoritative there): the pipeline then applies no
    /// EXIF orientation on top, and the stored size is the upright one.
    pub upright: bool,
    /// For files with more than one rendition (camera raws), which one the pixels come from.
    pub decoded_from: Option<DecodedFrom>,
}

impl DecodedImage {
    /// Pixels decoded at full size, in a container format named in lowercase (`jpeg`, ...).
    pub fn new(pixels: RgbImage, format: impl Into<String>) -> Self {
        let (stored_width, stored_height) = pixels.dimensions();
        Self {
            pixels,
            format: format.into(),
            stored_width,
            stored_height,
            upright: false,
            decoded_from: None,
        }
    }

    /// The same image, marked as turned upright by the decoder: see [`DecodedImage::upright`].
    pub fn upright(mut self) -> Self {
        self.upright = true;
        self
    }

    /// The same image, taken from rendition `from` of a file that holds several.
    pub fn from_rendition(mut self, from: DecodedFrom) -> Self {
        self.decoded_from = Some(from);
        self
    }

    /// The same pixels, decoded at a reduced scale from an image stored at `width × height`.
    pub fn with_stored_size(mut self, width: u32, height: u32) -> Self {
        self.stored_width = width;
        self.stored_height = height;
        self
    }
}

impl DecodeRequest {
    /// A request to decode within `limits`, at full size.
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            limits,
            min_side: None,
            min_long_side: None,
        }
    }

    /// The same request, allowing a reduced scale whose shorter side is at least `side`.
    pub fn with_min_side(mut self, side: Option<u32>) -> Self {
        self.min_side = side;
        self
    }

    /// The same request, allowing a reduced scale whose longer side is at least `side`.
    pub fn with_min_long_side(mut self, side: Option<u32>) -> Self {
        self.min_long_side = side;
        self
    }

    /// Whether an image of `width × height`, a reduced rendition of the stored one, is enough
    /// for every later stage: its shorter side reaches [`min_side`](Self::min_side) and its
    /// longer side [`min_long_side`](Self::min_long_side). Never when the request asks for the
    /// full size.
    ///
    /// ```
    /// use photon_core::DecodeRequest;
    /// // A 256 px thumbnail and a 64 px perceptual hash: a 320x240 rendition serves.
    /// let request = DecodeRequest::default()
    ///     .with_min_side(Some(64))
    ///     .with_min_long_side(Some(256));
    /// assert!(request.serves(320, 240));
    /// assert!(!request.serves(240, 180));
    /// assert!(!DecodeRequest::default().serves(8000, 6000));
    /// ```
    pub fn serves(&self, width: u32, height: u32) -> bool {
        if self.min_side.is_none() && self.min_long_side.is_none() {
            return false;
        }
        let (short, long) = (width.min(height), width.max(height));
        self.min_side.is_none_or(|side| short >= side)
            && self.min_long_side.is_none_or(|side| long >= side)
    }
}

/// Why an image could not be decoded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Empty input, or bytes that match no supported format's signature.
    #[error("unrecognised or unsupported image format{0}")]
    UnsupportedFormat(String),
    /// The header declares an image beyond the configured [`DecodeLimits`].
    #[error("image exceeds decode limits: {0}")]
    LimitsExceeded(String),
    /// The data is corrupt.
    #[error("malformed image data: {0}")]
    Malformed(String),
    /// The data ends before the image does (an interrupted copy or download).
    #[error("truncated image data: {0}")]
    Truncated(String),
    /// A codec (the `image` crate, libjpeg-turbo, libheif, jxl-oxide, rawler) refused the data:
    /// what that amounts to, and the codec's own error kept as the source.
    #[error("{failure} ({codec})")]
    Codec {
        /// The codec, as a person would name it (`image`, `libheif`, ...).
        codec: &'static str,
        /// What the refusal amounts to.
        failure: DecodeFailure,
        /// The codec's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// What a [`DecodeError`] amounts to, whichever decoder gave it: what records call its `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeFailure {
    /// Not a format this decoder reads.
    Unsupported,
    /// Beyond the [`DecodeLimits`].
    LimitsExceeded,
    /// Corrupt data.
    Malformed,
    /// The data ends before the image does.
    Truncated,
}

impl DecodeFailure {
    /// The stable kind records write: `unsupported_format`, `limits_exceeded`, `malformed`,
    /// `truncated`.
    pub fn kind(self) -> &'static str {
        match self {
            DecodeFailure::Unsupported => "unsupported_format",
            DecodeFailure::LimitsExceeded => "limits_exceeded",
            DecodeFailure::Malformed => "malformed",
            DecodeFailure::Truncated => "truncated",
        }
    }
}

impl std::fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecodeFailure::Unsupported => "unsupported image format",
            DecodeFailure::LimitsExceeded => "image exceeds decode limits",
            DecodeFailure::Malformed => "malformed image data",
            DecodeFailure::Truncated => "truncated image data",
        })
    }
}

impl DecodeError {
    /// A codec's refusal, its error kept as the source.
    pub fn codec(
        codec: &'static str,
        failure: DecodeFailure,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        DecodeError::Codec {
            codec,
            failure,
            source: source.into(),
        }
    }

    /// What this error amounts to.
    ///
    /// ```
    /// use photon_core::{DecodeError, DecodeFailure};
    /// let refusal = DecodeError::codec("toy", DecodeFailure::Truncated, "ran out at byte 9");
    /// assert_eq!(refusal.failure(), DecodeFailure::Truncated);
    /// assert_eq!(refusal.to_string(), "truncated image data (toy)");
    /// assert_eq!(std::error::Error::source(&refusal).unwrap().to_string(), "ran out at byte 9");
    /// ```
    pub fn failure(&self) -> DecodeFailure {
        match self {
            DecodeError::UnsupportedFormat(_) => DecodeFailure::Unsupported,
            DecodeError::LimitsExceeded(_) => DecodeFailure::LimitsExceeded,
            DecodeError::Malformed(_) => DecodeFailure::Malformed,
            DecodeError::Truncated(_) => DecodeFailure::Truncated,
            DecodeError::Codec { failure, .. } => *failure,
        }
    }
}

impl StageError for DecodeError {
    fn stage(&self) -> Stage {
        Stage::Decode
    }
    fn kind(&self) -> &'static str {
        self.failure().kind()
    }
}

/// Turns encoded bytes into pixels. Implement it to plug in another codec (HEIC, RAW); the
/// pipeline applies EXIF orientation afterwards, so a decoder need not.
///
/// # The contract
///
/// - Check [`DecodeRequest::limits`] against the size the header declares *before* allocating
///   pixels, and fail with [`DecodeError::LimitsExceeded`]: a small file may claim to be huge.
/// - Never panic, whatever the bytes: decoders meet hostile files. (The pipeline still catches a
///   panic and records it as a decode error, but a panic inside C code through FFI may not be
///   catchable at all.)
/// - [`DecodeRequest::min_side`] and [`min_long_side`](DecodeRequest::min_long_side) are a
///   hint: return the full image, or any reduced scale or smaller rendition that
///   [serves](DecodeRequest::serves) them, with the full size in
///   [`DecodedImage::with_stored_size`] so records and thumbnails do not depend on the one
///   chosen.
/// - `decode` runs on a blocking thread, one call per input, several at once.
///
/// `Arc<D>`, `Box<D>` and `&D` are decoders when `D` is.
///
/// ```
/// use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder, RgbImage};
///
/// /// A decoder for a toy format: a 1x1 image whose one byte is the grey level.
/// struct OneGreyPixel;
///
/// impl Decoder for OneGreyPixel {
///     fn decode(&self, bytes: &[u8], _req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
///         let [grey] = bytes else {
///             return Err(DecodeError::Malformed(format!("{} bytes, want 1", bytes.len())));
///         };
///         let pixels = RgbImage::from_pixel(1, 1, image::Rgb([*grey; 3]));
///         Ok(DecodedImage::new(pixels, "grey1"))
///     }
/// }
///
/// let img = OneGreyPixel.decode(&[7], &DecodeRequest::default()).unwrap();
/// assert_eq!(img.pixels.get_pixel(0, 0).0, [7, 7, 7]);
/// ```
pub trait Decoder: Send + Sync {
    /// Decodes `bytes` within `req.limits`. Must not panic on any input; the pipeline still
    /// catches a panic and records it as a decode error.
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError>;
}

macro_rules! forward_decoder {
    ($($wrapper:ty),*) => {$(
        impl<D: Decoder + ?Sized> Decoder for $wrapper {
            fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
                (**self).decode(bytes, req)
            }
        }
    )*};
}

forward_decoder!(Arc<D>, Box<D>, &D);
