//! JPEG XL through jxl-oxide (pure Rust).

use crate::format::is_jxl;
use image::RgbImage;
use jxl_oxide::{AllocTracker, EnumColourEncoding, JxlImage, RenderingIntent};
use photon_core::{DecodeError, DecodeFailure, DecodeRequest, DecodedImage, Decoder};

/// JPEG XL images, bare codestreams or in the ISO BMFF container, through jxl-oxide (feature
/// `jxl`): the first frame rendered to 8-bit sRGB with the codestream's orientation applied.
/// That orientation is authoritative in JPEG XL, so the image is marked
/// [upright](DecodedImage::upright) and an EXIF orientation in the file's `Exif` box never turns
/// it again. The decoder's allocations are capped by [`DecodeLimits::max_alloc`](photon_core::DecodeLimits).
#[derive(Debug, Clone, Copy, Default)]
pub struct JxlDecoder;

impl Decoder for JxlDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        if !is_jxl(bytes) {
            return Err(DecodeError::UnsupportedFormat(": not JPEG XL".into()));
        }
        let limit = usize::try_from(req.limits.max_alloc).unwrap_or(usize::MAX);
        let mut image = JxlImage::builder()
            .alloc_tracker(AllocTracker::with_limit(limit))
            .read(bytes)
            .map_err(from_jxl_error)?;
        if !image.is_loading_done() {
            return Err(DecodeError::Truncated(
                "JPEG XL data ends before the image does".into(),
            ));
        }
        let (width, height) = (image.width(), image.height());
        check_limits(width, height, req)?;
        image.request_color_encoding(EnumColourEncoding::srgb(RenderingIntent::Relative));
        let render = image.render_frame(0).map_err(from_jxl_error)?;
        let mut stream = render.stream_no_alpha();
        let channels = stream.channels() as usize;
        let mut samples = vec![0u8; width as usize * height as usize * channels];
        stream.write_to_buffer(&mut samples);
        let pixels = rgb_from(samples, channels, width, height)?;
        Ok(DecodedImage::new(pixels, "jxl").upright())
    }
}

fn check_limits(width: u32, height: u32, req: &DecodeRequest) -> Result<(), DecodeError> {
    let limits = &req.limits;
    if width == 0 || height == 0 {
        return Err(DecodeError::Malformed(format!("a {width}x{height} image")));
    }
    if width > limits.max_width || height > limits.max_height {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} JPEG XL image is beyond {}x{}",
            limits.max_width, limits.max_height
        )));
    }
    Ok(())
}

/// RGB from grey (1 channel), RGB (3) or CMYK-less colour with black (4) interleaved samples.
fn rgb_from(
    samples: Vec<u8>,
    channels: usize,
    width: u32,
    height: u32,
) -> Result<RgbImage, DecodeError> {
    let rgb = match channels {
        3 => samples,
        1 => samples.iter().flat_map(|&g| [g, g, g]).collect(),
        n => {
            return Err(DecodeError::UnsupportedFormat(format!(
                ": a JPEG XL image with {n} colour channels"
            )));
        }
    };
    RgbImage::from_raw(width, height, rgb)
        .ok_or_else(|| DecodeError::Malformed("the rendered frame is cut short".into()))
}

/// jxl-oxide's refusal, classified by the types in its chain of causes.
fn from_jxl_error(e: Box<dyn std::error::Error + Send + Sync>) -> DecodeError {
    let mut failure = DecodeFailure::Malformed;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
    while let Some(error) = cause {
        if error.is::<jxl_grid::OutOfMemory>() {
            failure = DecodeFailure::LimitsExceeded;
        } else if matches!(
            error.downcast_ref::<jxl_render::Error>(),
            Some(jxl_render::Error::IncompleteFrame)
        ) || error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof)
        {
            failure = DecodeFailure::Truncated;
        }
        cause = error.source();
    }
    DecodeError::codec("jxl-oxide", failure, e)
}
