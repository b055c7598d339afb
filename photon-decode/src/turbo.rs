//! JPEG through libjpeg-turbo, scaled in the DCT: a 12 MP photo that only has to feed a 256 px
//! thumbnail and a 224 px model is decoded at 1/8 scale, skipping most of the inverse DCT,
//! upsampling and colour conversion, and the full-size buffer never exists.

use image::RgbImage;
use photon_core::sniff::{
    JpegEnd, jpeg_end, jpeg_format_name, jpeg_is_progressive, jpeg_without_header_gaps,
};
use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder};
use std::cell::RefCell;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};

/// The default decoder when the `turbojpeg` feature is on: JPEGs through libjpeg-turbo at the
/// smallest DCT scale (1/8, 1/4, 1/2 or full) whose sides are all at least
/// [`DecodeRequest::min_side`]; every other format, and any JPEG libjpeg-turbo will not take
/// cleanly (CMYK, corrupt data it only warns about), through [`ImageCrateDecoder`], which then
/// gives the verdict.
///
/// ```
/// use photon_core::{DecodeRequest, Decoder};
/// use photon_decode::TurboJpegDecoder;
///
/// let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos/dog.jpg"))?;
/// let request = DecodeRequest::default().with_min_side(Some(144));
/// let image = TurboJpegDecoder.decode(&jpeg, &request)?;
/// assert_eq!((image.stored_width, image.stored_height), (768, 576));
/// assert_eq!(image.pixels.dimensions(), (192, 144)); // decoded at 1/4 scale
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TurboJpegDecoder;

/// DCT scales tried, smallest first, as eighths. libjpeg-turbo has SIMD inverse DCTs for these;
/// the odd eighths go through slower scalar code.
const SCALES_IN_EIGHTHS: [usize; 4] = [1, 2, 4, 8];

/// Bytes per pixel a progressive decode holds in coefficients (16-bit, up to three full
/// components) on top of the output.
const PROGRESSIVE_COEFFICIENT_BYTES: u64 = 6;

/// Why the fast path handed an image over to the `image` crate.
enum Handover {
    /// A definite answer: this error stands.
    Refuse(DecodeError),
    /// Let the `image` crate decode it (or explain why it cannot).
    Fallback,
}

impl Decoder for TurboJpegDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return ImageCrateDecoder.decode(bytes, req);
        }
        match decode_jpeg(bytes, req) {
            Ok(image) => Ok(image),
            Err(Handover::Refuse(e)) => Err(e),
            Err(Handover::Fallback) => ImageCrateDecoder.decode(bytes, req),
        }
    }
}

thread_local! {
    /// A TurboJPEG handle per worker thread: creating one allocates the decoder's state.
    static DECOMPRESSOR: RefCell<Option<Decompressor>> = const { RefCell::new(None) };
}

fn decode_jpeg(bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, Handover> {
    if jpeg_end(bytes) == JpegEnd::Truncated {
        return Err(Handover::Refuse(DecodeError::Truncated(
            "JPEG data ends before its end-of-image marker".into(),
        )));
    }
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Decompressor::new().ok();
        }
        let decompressor = slot.as_mut().ok_or(Handover::Fallback)?;
        let mut result = decode_with(decompressor, bytes, req);
        if result.is_err()
            && let Some(repaired) = jpeg_without_header_gaps(bytes)
        {
            // libjpeg warns about stray bytes between header segments and TurboJPEG reports
            // the warning as a failure; without them the image decodes cleanly.
            *decompressor = Decompressor::new().map_err(|_| Handover::Fallback)?;
            result = decode_with(decompressor, &repaired, req);
        }
        if result.is_err() {
            // A handle that failed is never reused: with libjpeg-turbo 2.1, reusing one after a
            // failed decode crashed the process (SIGSEGV, found by the hostile-corpus test).
            *slot = None;
        }
        result
    })
}

fn decode_with(
    decompressor: &mut Decompressor,
    bytes: &[u8],
    req: &DecodeRequest,
) -> Result<DecodedImage, Handover> {
    let header = decompressor
        .read_header(bytes)
        .map_err(|_| Handover::Fallback)?;
    if matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK) {
        return Err(Handover::Fallback);
    }
    let (width, height) = (header.width as u64, header.height as u64);
    check_limits(bytes, width, height, req).map_err(Handover::Refuse)?;
    let eighths = scale_for(header.width, header.height, req);
    let (out_w, out_h) = (
        scaled(header.width, eighths),
        scaled(header.height, eighths),
    );
    let mut pixels = vec![0u8; out_w * out_h * 3];
    let output = Image {
        pixels: pixels.as_mut_slice(),
        width: out_w,
        pitch: out_w * 3,
        height: out_h,
        format: PixelFormat::RGB,
    };
    decompressor
        .decompress(bytes, output)
        .map_err(|_| Handover::Fallback)?;
    let pixels =
        RgbImage::from_raw(out_w as u32, out_h as u32, pixels).ok_or(Handover::Fallback)?;
    Ok(DecodedImage::new(pixels, jpeg_format_name(bytes))
        .with_stored_size(width as u32, height as u32))
}

fn check_limits(
    bytes: &[u8],
    width: u64,
    height: u64,
    req: &DecodeRequest,
) -> Result<(), DecodeError> {
    let limits = &req.limits;
    let per_pixel = if jpeg_is_progressive(bytes) == Some(true) {
        PROGRESSIVE_COEFFICIENT_BYTES
    } else {
        3
    };
    if width > u64::from(limits.max_width)
        || height > u64::from(limits.max_height)
        || width * height * per_pixel > limits.max_alloc
    {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} JPEG is beyond {}x{} or {} bytes",
            limits.max_width, limits.max_height, limits.max_alloc
        )));
    }
    Ok(())
}

/// The smallest scale, in eighths, whose image still serves the request.
fn scale_for(width: usize, height: usize, req: &DecodeRequest) -> usize {
    let side = |s: usize| u32::try_from(s).unwrap_or(u32::MAX);
    SCALES_IN_EIGHTHS
        .into_iter()
        .find(|&e| req.serves(side(scaled(width, e)), side(scaled(height, e))))
        .unwrap_or(8)
}

/// A side at `eighths`/8 scale, rounded up as libjpeg-turbo does.
fn scaled(side: usize, eighths: usize) -> usize {
    (side * eighths).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_is_the_smallest_that_keeps_every_side_long_enough() {
        let short = |side| DecodeRequest::default().with_min_side(Some(side));
        assert_eq!(scale_for(4000, 3000, &short(256)), 1); // 500 x 375
        assert_eq!(scale_for(1024, 768, &short(256)), 4); // 512 x 384; 1/4 would give 192
        assert_eq!(scale_for(3000, 4000, &short(375)), 1);
        assert_eq!(scale_for(3000, 4000, &short(376)), 2);
        assert_eq!(scale_for(200, 100, &short(256)), 8);
        assert_eq!(scale_for(4000, 3000, &DecodeRequest::default()), 8);
        assert_eq!(scaled(4001, 1), 501);
        // A 256 px thumbnail needs the longer side only: 1/4 of 1024x768 is 256x192.
        let thumbnail = short(64).with_min_long_side(Some(256));
        assert_eq!(scale_for(1024, 768, &thumbnail), 2);
        assert_eq!(
            scale_for(1024, 768, &short(64).with_min_long_side(Some(257))),
            4
        );
    }

    /// The header of `jpeg` through its start-of-scan segment, then `data` as the scan and an
    /// end-of-image marker: a whole file libjpeg fails on part-way through the scan.
    fn corrupt_scan(jpeg: &[u8], data: &[u8]) -> Vec<u8> {
        let sos = jpeg.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();
        let length = usize::from(u16::from_be_bytes([jpeg[sos + 2], jpeg[sos + 3]]));
        let mut bad = jpeg[..sos + 2 + length].to_vec();
        bad.extend_from_slice(data);
        bad.extend_from_slice(&[0xFF, 0xD9]);
        bad
    }

    #[test]
    fn a_handle_that_failed_is_dropped_and_the_next_decode_gets_a_fresh_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos/dog.jpg");
        let good = std::fs::read(path).unwrap();
        let mut rng = 0x9E37_79B9_u32;
        let noise: Vec<u8> = (0..3000)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                (rng >> 24) as u8 & 0xFE // no 0xFF: no stray markers, only bad Huffman codes
            })
            .collect();
        let bad = corrupt_scan(&good, &noise);
        let request = DecodeRequest::default();
        let handle = || DECOMPRESSOR.with(|cell| cell.borrow().is_some());
        for _ in 0..25 {
            assert!(
                decode_jpeg(&bad, &request).is_err(),
                "libjpeg fails on the scan"
            );
            assert!(!handle(), "the handle that failed is dropped, never reused");
            let image = decode_jpeg(&good, &request)
                .ok()
                .expect("a fresh handle decodes");
            assert_eq!(image.pixels.dimensions(), (768, 576));
            assert!(
                handle(),
                "a handle that succeeded is kept for the next file"
            );
        }
    }
}
