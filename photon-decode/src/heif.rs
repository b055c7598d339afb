//! HEIF/HEIC and AVIF through the system's libheif.

use crate::format::heif_format;
use image::RgbImage;
use libheif_rs::{
    ColorSpace, HeifContext, HeifError, HeifErrorCode, HeifErrorSubCode, ImageHandle, ItemId,
    LibHeif, RgbChroma,
};
use photon_core::{DecodeError, DecodeFailure, DecodeRequest, DecodedImage, Decoder};
use std::sync::OnceLock;

/// HEIF/HEIC and AVIF images through libheif (feature `heif`): the primary image, with the
/// container's transformations (`irot`, `imir`, `clap`) applied as libheif does by default.
/// Those are authoritative in HEIF, so the decoded image is marked
/// [upright](DecodedImage::upright) and an EXIF orientation inside the file never turns it a
/// second time. Grid images (a phone's 512 px tiles) come out whole, 10- and 12-bit images as
/// 8-bit. When the container has a thumbnail item that [serves](DecodeRequest::serves) the
/// request (a phone's 320×240 one does for a 256 px thumbnail and the perceptual hash), that is
/// decoded instead of the full image, by the same rule as the scaled JPEG decode. Anything that is not HEIF or AVIF goes to `fallback`.
///
/// ```no_run
/// use photon_core::{DecodeRequest, Decoder};
/// use photon_decode::HeifDecoder;
/// let heic = std::fs::read("IMG_0001.HEIC")?;
/// let image = HeifDecoder::default().decode(&heic, &DecodeRequest::default())?;
/// assert!(image.upright);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HeifDecoder;

/// libheif's global state, set up once per process.
fn libheif() -> &'static LibHeif {
    static LIBHEIF: OnceLock<LibHeif> = OnceLock::new();
    LIBHEIF.get_or_init(LibHeif::new)
}

/// Bytes per pixel libheif may hold at once while decoding: the YCbCr planes (up to 16-bit)
/// and the RGB output.
const DECODE_BYTES_PER_PIXEL: u64 = 9;

impl Decoder for HeifDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        let format = heif_format(bytes)
            .ok_or_else(|| DecodeError::UnsupportedFormat(": not HEIF or AVIF".into()))?;
        let context = HeifContext::read_from_bytes(bytes).map_err(from_heif_error)?;
        let primary = context.primary_image_handle().map_err(from_heif_error)?;
        let (width, height) = (primary.width(), primary.height());
        check_limits(width, height, req)?;
        let source = thumbnail_for(&primary, req).unwrap_or(primary);
        let pixels = decode_rgb(&source)?;
        Ok(DecodedImage::new(pixels, format)
            .with_stored_size(width, height)
            .upright())
    }
}

fn check_limits(width: u32, height: u32, req: &DecodeRequest) -> Result<(), DecodeError> {
    let limits = &req.limits;
    let bytes = u64::from(width) * u64::from(height) * DECODE_BYTES_PER_PIXEL;
    if width == 0 || height == 0 {
        return Err(DecodeError::Malformed(format!("a {width}x{height} image")));
    }
    if width > limits.max_width || height > limits.max_height || bytes > limits.max_alloc {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} HEIF image is beyond {}x{} or {} bytes",
            limits.max_width, limits.max_height, limits.max_alloc
        )));
    }
    Ok(())
}

/// The smallest thumbnail item that serves the request, if any.
fn thumbnail_for(primary: &ImageHandle, req: &DecodeRequest) -> Option<ImageHandle> {
    let mut ids: Vec<ItemId> = vec![0; primary.number_of_thumbnails()];
    let found = primary.thumbnail_ids(&mut ids);
    ids.truncate(found);
    ids.into_iter()
        .filter_map(|id| primary.thumbnail(id).ok())
        .filter(|t| req.serves(t.width(), t.height()))
        .min_by_key(|t| u64::from(t.width()) * u64::from(t.height()))
}

/// The image `handle` stands for, as 8-bit RGB with its transformations applied (libheif's
/// defaults). Interleaved 8-bit RGB is asked for, so 10- and 12-bit images are converted.
///
/// No `DecodingOptions` are passed: libheif-rs 0.19 frees them before libheif reads them.
fn decode_rgb(handle: &ImageHandle) -> Result<RgbImage, DecodeError> {
    let image = libheif()
        .decode(handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(from_heif_error)?;
    let plane = image
        .planes()
        .interleaved
        .ok_or_else(|| DecodeError::Malformed("libheif returned no RGB plane".into()))?;
    if plane.bits_per_pixel != 24 && plane.storage_bits_per_pixel != 24 {
        return Err(DecodeError::Malformed(format!(
            "libheif returned {} bits per pixel, not 8-bit RGB",
            plane.bits_per_pixel
        )));
    }
    let row = plane.width as usize * 3;
    let mut pixels = Vec::with_capacity(row * plane.height as usize);
    for line in plane.data.chunks(plane.stride).take(plane.height as usize) {
        pixels.extend_from_slice(line.get(..row).ok_or_else(|| {
            DecodeError::Malformed("libheif's RGB rows are shorter than the image".into())
        })?);
    }
    RgbImage::from_raw(plane.width, plane.height, pixels)
        .ok_or_else(|| DecodeError::Malformed("libheif's RGB plane is cut short".into()))
}

/// libheif's refusal, classified by its error and suberror codes.
fn from_heif_error(e: HeifError) -> DecodeError {
    let failure = match (e.code, e.sub_code) {
        (HeifErrorCode::UnsupportedFileType | HeifErrorCode::UnsupportedFeature, _) => {
            DecodeFailure::Unsupported
        }
        (HeifErrorCode::MemoryAllocationError, _) => DecodeFailure::LimitsExceeded,
        (_, HeifErrorSubCode::EndOfData) => DecodeFailure::Truncated,
        _ => DecodeFailure::Malformed,
    };
    DecodeError::codec("libheif", failure, e)
}
