//! TIFF through the system's libtiff, the library Pillow and libvips read TIFF with.

mod ffi;
mod grey;
mod lab;

use crate::format::is_tiff;
use ffi::{Failure, TiffReader};
use image::RgbImage;
use photon_core::sniff::tiff_camera_raw;
use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder};

/// TIFF images through libtiff (feature `libtiff`): the first page, whatever the layout and
/// coding archives, scanners and old tools use: strips or tiles, chunky or planar, 1 to 16 bits,
/// grey, palette, RGB, CMYK, YCbCr, CIELAB, uncompressed, LZW, Deflate, PackBits, CCITT fax,
/// JPEG and old-style JPEG, LZMA, ZSTD, WebP; classic and BigTIFF. Samples are scaled to 8 bits
/// and alpha dropped; rows come out as stored, and the pipeline applies the Orientation tag.
/// libtiff's allocations are capped by [`DecodeLimits::max_alloc`](photon_core::DecodeLimits).
///
/// Camera raws in a TIFF container are refused: their first image is a preview or sensor data.
/// Floating-point and other sample formats libtiff's RGBA reader does not take are refused as
/// unsupported, and the default decoder then hands them to the `image` crate.
///
/// ```
/// use photon_core::{DecodeRequest, Decoder};
/// use photon_decode::LibTiffDecoder;
///
/// let tiff = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/variants/tiff_strip_ycbcr_jpeg_2x2_sampling.tif"))?;
/// let image = LibTiffDecoder.decode(&tiff, &DecodeRequest::default())?;
/// assert_eq!(image.format, "tiff");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct LibTiffDecoder;

/// The raster libtiff fills (4 bytes a pixel) and the RGB image made from it (3).
const DECODE_BYTES_PER_PIXEL: u64 = 7;

impl Decoder for LibTiffDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        if !is_tiff(bytes) {
            return Err(DecodeError::UnsupportedFormat(": not TIFF".into()));
        }
        if let Some(raw) = tiff_camera_raw(bytes) {
            return Err(DecodeError::UnsupportedFormat(format!(
                ": a camera raw ({raw}), not a TIFF image"
            )));
        }
        let mut tiff = TiffReader::open(bytes, req.limits.max_alloc).map_err(from_libtiff)?;
        let (width, height) = tiff
            .size()
            .ok_or_else(|| DecodeError::Malformed("TIFF without an image size".into()))?;
        check_limits(width, height, req)?;
        if !tiff.codec_configured() {
            return Err(DecodeError::UnsupportedFormat(
                ": a compression this libtiff has no codec for".into(),
            ));
        }
        let rgb = match (tiff.rgba_refusal(), tiff.grey_layout()) {
            (None, _) if tiff.is_cielab8() => {
                let rows = tiff.read_rows(height).map_err(from_libtiff)?;
                lab::lab8_to_srgb(&rows, width as usize)
            }
            (None, _) => rgba_to_rgb(&tiff.read_rgba(width, height).map_err(from_libtiff)?),
            (Some(_), Some(layout)) => {
                let rows = tiff.read_rows(height).map_err(from_libtiff)?;
                let grey = grey::to_grey8(&rows, width as usize, layout);
                grey.iter().flat_map(|level| [*level; 3]).collect()
            }
            (Some(why), None) => return Err(DecodeError::UnsupportedFormat(format!(": {why}"))),
        };
        let pixels = RgbImage::from_raw(width, height, rgb)
            .ok_or_else(|| DecodeError::Malformed("libtiff's raster is cut short".into()))?;
        Ok(DecodedImage::new(pixels, "tiff"))
    }
}

/// libtiff's RGBA words (R in the low byte) without their alpha.
fn rgba_to_rgb(raster: &[u32]) -> Vec<u8> {
    raster
        .iter()
        .flat_map(|word| {
            let [r, g, b, _] = word.to_le_bytes();
            [r, g, b]
        })
        .collect()
}

fn check_limits(width: u32, height: u32, req: &DecodeRequest) -> Result<(), DecodeError> {
    let limits = &req.limits;
    if width == 0 || height == 0 {
        return Err(DecodeError::Malformed(format!("a {width}x{height} image")));
    }
    let bytes = u64::from(width) * u64::from(height) * DECODE_BYTES_PER_PIXEL;
    if width > limits.max_width || height > limits.max_height || bytes > limits.max_alloc {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} TIFF image is beyond {}x{} or {} bytes",
            limits.max_width, limits.max_height, limits.max_alloc
        )));
    }
    Ok(())
}

/// libtiff reports its failures as text only, so they are told apart by what the reader saw,
/// never by the words: a read past the end of the data is a file cut short; an image libtiff has
/// no codec or reader for was refused as unsupported before reading; the image's size was
/// checked against the limits before libtiff allocated it. Anything else is corrupt data.
fn from_libtiff(failure: Failure) -> DecodeError {
    if failure.past_end {
        DecodeError::Truncated(failure.message)
    } else {
        DecodeError::Malformed(failure.message)
    }
}
