//! The default decoder, on the `image` crate.

use super::integrity::{
    JpegEnd, gif_first_frame_size, gif_lacks_colour_table, jpeg_end, jpeg_format_name,
    png_metadata_check, tiff_camera_raw, tiff_tiled_planar,
};
use super::{DecodeError, DecodeFailure, DecodeRequest, DecodedImage, Decoder};
use image::{ImageError, ImageFormat, ImageReader, error::LimitErrorKind};
use std::io::Cursor;

/// The default decoder: JPEG, PNG, WebP, GIF (first frame), BMP, TIFF, TGA, the PNM family
/// (PBM, PGM, PPM, PAM), QOI, ICO (its largest image), DDS, Radiance HDR and OpenEXR through the
/// `image` crate, with its `Limits` enforced before allocation. High dynamic range pixels are
/// clamped to 8-bit as they are, without tone mapping.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageCrateDecoder;

/// Formats [`ImageCrateDecoder`] accepts; anything else is refused as unsupported.
const SUPPORTED: [ImageFormat; 13] = [
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::WebP,
    ImageFormat::Gif,
    ImageFormat::Bmp,
    ImageFormat::Tiff,
    ImageFormat::Tga,
    ImageFormat::Pnm,
    ImageFormat::Qoi,
    ImageFormat::Ico,
    ImageFormat::Dds,
    ImageFormat::Hdr,
    ImageFormat::OpenExr,
];

impl Decoder for ImageCrateDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        if bytes.is_empty() {
            return Err(DecodeError::UnsupportedFormat(": empty input".into()));
        }
        let format = image::guess_format(bytes)
            .ok()
            .or_else(|| looks_like_tga(bytes).then_some(ImageFormat::Tga))
            .filter(|f| SUPPORTED.contains(f))
            .ok_or_else(|| DecodeError::UnsupportedFormat(String::new()))?;
        check_before_decoding(format, bytes, req)?;
        if format == ImageFormat::Gif
            && gif_lacks_colour_table(bytes)
            && let Some(patched) = super::gif_grey::with_grey_palette(bytes)
        {
            return self.decode(&patched, req);
        }
        let image = match reader(format, bytes, req).decode() {
            Err(e) if format == ImageFormat::Bmp => return decode_bmp_repaired(bytes, req, e),
            Err(e) if format == ImageFormat::Jpeg => {
                match super::integrity::jpeg_without_header_gaps(bytes) {
                    Some(repaired) => return self.decode(&repaired, req),
                    None => return Err(from_image_error(e)),
                }
            }
            decoded => decoded.map_err(from_image_error)?,
        };
        let (stored_width, stored_height) = (image.width(), image.height());
        if stored_width == 0 || stored_height == 0 {
            // A GIF whose screen is 1x0 decodes to no pixels at all: no stage can use that.
            return Err(DecodeError::Malformed(format!(
                "a {stored_width}x{stored_height} image has no pixels"
            )));
        }
        let format = match format {
            ImageFormat::Jpeg => jpeg_format_name(bytes).to_owned(),
            ImageFormat::OpenExr => "exr".to_owned(),
            other => format_name(other),
        };
        Ok(DecodedImage {
            pixels: image.into_rgb8(),
            format,
            stored_width,
            stored_height,
            upright: false,
            decoded_from: None,
        })
    }
}

/// What `image` does not check before decoding: a JPEG cut before its end, PNG metadata bombs,
/// a GIF frame larger than its screen, TIFFs that are camera raws or that `tiff` would panic on.
fn check_before_decoding(
    format: ImageFormat,
    bytes: &[u8],
    req: &DecodeRequest,
) -> Result<(), DecodeError> {
    match format {
        ImageFormat::Jpeg if jpeg_end(bytes) == JpegEnd::Truncated => Err(DecodeError::Truncated(
            "JPEG data ends before its end-of-image marker".into(),
        )),
        ImageFormat::Png => png_metadata_check(bytes, req.limits.max_metadata_chunk)
            .map_err(DecodeError::LimitsExceeded),
        ImageFormat::Gif => match gif_first_frame_size(bytes) {
            Some((w, h)) => check_dimensions(w, h, req),
            None => Ok(()),
        },
        ImageFormat::Tiff => {
            if let Some(raw) = tiff_camera_raw(bytes) {
                return Err(DecodeError::UnsupportedFormat(format!(
                    ": a camera raw ({raw}), which this build does not develop"
                )));
            }
            if tiff_tiled_planar(bytes) {
                return Err(DecodeError::UnsupportedFormat(
                    ": a tiled TIFF with separate sample planes (read with the libtiff feature)"
                        .into(),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// `image`'s reader for `format`, under the request's limits.
fn reader<'a>(
    format: ImageFormat,
    bytes: &'a [u8],
    req: &DecodeRequest,
) -> ImageReader<Cursor<&'a [u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(req.limits.max_width);
    limits.max_image_height = Some(req.limits.max_height);
    limits.max_alloc = Some(req.limits.max_alloc);
    reader.limits(limits);
    reader
}

/// Whether `b` starts with a plausible TGA header. TGA has no signature, so every field with a
/// closed set of values must hold one: a colour map type of 0 or 1, a known image type, a pixel
/// depth TGA defines, a non-zero size, and a colour map only where the type uses one.
pub(super) fn looks_like_tga(b: &[u8]) -> bool {
    let Some(header) = b.get(..18) else {
        return false;
    };
    let (map_type, image_type, depth) = (header[1], header[2], header[16]);
    let map_depth = header[7];
    let width = u16::from_le_bytes([header[12], header[13]]);
    let height = u16::from_le_bytes([header[14], header[15]]);
    let colour_mapped = matches!(image_type, 1 | 9);
    map_type == u8::from(colour_mapped)
        && matches!(image_type, 1 | 2 | 3 | 9 | 10 | 11)
        && matches!(depth, 8 | 15 | 16 | 24 | 32)
        && (!colour_mapped || matches!(map_depth, 15 | 16 | 24 | 32))
        && width > 0
        && height > 0
        && header[17] & 0xC0 == 0 // interleaving, never used
}

/// A BMP the `image` crate refused: with its header rewritten into a form it reads, or, for
/// RLE data whose runs go wrong, decoded as far as the runs go.
fn decode_bmp_repaired(
    bytes: &[u8],
    req: &DecodeRequest,
    refusal: ImageError,
) -> Result<DecodedImage, DecodeError> {
    if let Some((repaired, flip)) = super::bmp_repair::repaired_bmp(bytes) {
        let mut image = ImageCrateDecoder.decode(&repaired, req)?;
        if flip {
            image.pixels = image::imageops::flip_vertical(&image.pixels);
        }
        return Ok(image);
    }
    // A refusal of the data itself, not of its size or an unsupported feature.
    let corrupt_rle = matches!(refusal, ImageError::Decoding(_));
    let limits = &req.limits;
    let max_pixels =
        (limits.max_alloc / 4).min(u64::from(limits.max_width) * u64::from(limits.max_height));
    match super::bmp_rle::decode_lenient_rle(bytes, max_pixels) {
        Some(pixels) if corrupt_rle => Ok(DecodedImage::new(pixels, "bmp")),
        _ => Err(from_image_error(refusal)),
    }
}

/// Lowercase name of an `image` format, as records report it.
pub(crate) fn format_name(format: ImageFormat) -> String {
    format!("{format:?}").to_ascii_lowercase()
}

fn from_image_error(e: ImageError) -> DecodeError {
    let failure = match &e {
        ImageError::Limits(l) => match l.kind() {
            LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory => {
                DecodeFailure::LimitsExceeded
            }
            _ => DecodeFailure::Malformed,
        },
        ImageError::Unsupported(_) => DecodeFailure::Unsupported,
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeFailure::Truncated
        }
        _ => DecodeFailure::Malformed,
    };
    DecodeError::codec("image", failure, e)
}

fn check_dimensions(width: u32, height: u32, req: &DecodeRequest) -> Result<(), DecodeError> {
    let limits = &req.limits;
    let rgba_bytes = u64::from(width) * u64::from(height) * 4;
    if width > limits.max_width || height > limits.max_height || rgba_bytes > limits.max_alloc {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} frame is beyond {}x{} or {} bytes",
            limits.max_width, limits.max_height, limits.max_alloc
        )));
    }
    Ok(())
}
