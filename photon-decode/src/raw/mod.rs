//! Camera raws through rawler: the largest embedded preview when it serves every stage, else
//! the sensor data developed.

mod previews;
mod tag_sizes;

use crate::raw_policy::RawPolicy;
use image::{DynamicImage, RgbImage};
use photon_core::sniff::{camera_raw_format, jpeg_size};
use photon_core::{
    DecodeError, DecodeFailure, DecodeRequest, DecodedFrom, DecodedImage, Decoder,
    apply_orientation, upright_size,
};
use rawler::decoders::{Decoder as RawlerDecoder, RawDecodeParams};
use rawler::imgop::develop::RawDevelop;
use rawler::rawsource::RawSource;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Camera raws through rawler (feature `raw`): DNG, CR2, CR3, CRW, NEF, NRW, ARW, SRF, SR2, RAF,
/// ORF, RW2, PEF, SRW, X3F, 3FR, IIQ, ERF, MEF, MOS, KDC, DCR, MRW and the other formats rawler
/// knows, told from the content. By [`RawPolicy`], the pixels come from the largest embedded
/// preview that [serves](DecodeRequest::serves) the request or from the sensor data developed (demosaic, white balance and colour matrix from the
/// file, sRGB); [`DecodedImage::decoded_from`] says which. Either way the raw's orientation is
/// applied and the image marked [upright](DecodedImage::upright), and its stored size is the
/// developed image's upright size, so records do not depend on the source chosen.
///
/// ```no_run
/// use photon_core::{DecodeRequest, DecodedFrom, Decoder};
/// use photon_decode::{RawDecoder, RawPolicy};
/// let nef = std::fs::read("DSC_0001.NEF")?;
/// let image = RawDecoder::new(RawPolicy::Develop).decode(&nef, &DecodeRequest::default())?;
/// assert_eq!(image.decoded_from, Some(DecodedFrom::Raw));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RawDecoder {
    policy: RawPolicy,
}

/// The raw samples (2 bytes), rawler's float planes while developing (up to 4 × 4 bytes, twice)
/// and the 8-bit output (3).
const DEVELOP_BYTES_PER_PIXEL: u64 = 37;

impl RawDecoder {
    /// A decoder that takes its pixels as `policy` says.
    pub fn new(policy: RawPolicy) -> Self {
        Self { policy }
    }
}

impl Decoder for RawDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        // rawler's parsers and develop steps assert and index freely on hostile input.
        catch_unwind(AssertUnwindSafe(|| self.decode_raw(bytes, req))).unwrap_or_else(|_| {
            Err(DecodeError::Malformed(
                "the camera raw's structure is broken (rawler gave up)".into(),
            ))
        })
    }
}

impl RawDecoder {
    fn decode_raw(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        // rawler also takes plain JPEGs, and its JPEG parser can loop forever on a broken one:
        // only what is recognised as a camera raw goes to it.
        if camera_raw_format(bytes).is_none() {
            return Err(DecodeError::UnsupportedFormat("not a camera raw".into()));
        }
        if let Some((tag, declared)) = tag_sizes::oversized_tag(bytes, req.limits.max_alloc) {
            let refused = DecodeError::Malformed(format!(
                "TIFF tag {tag:#06x} declares {declared} bytes of values, more than the file holds"
            ));
            return preview_only(bytes, req).unwrap_or(Err(refused));
        }
        let source = RawSource::new_from_slice(bytes);
        match rawler::get_decoder(&source) {
            Ok(decoder) => self.decode_known(&*decoder, &source, bytes, req),
            // A camera rawler does not know yet, or a structure it cannot follow: the camera's
            // own JPEG still shows the picture.
            Err(e) => preview_only(bytes, req).unwrap_or_else(|| Err(unsupported(e))),
        }
    }

    fn decode_known(
        &self,
        decoder: &dyn RawlerDecoder,
        source: &RawSource,
        bytes: &[u8],
        req: &DecodeRequest,
    ) -> Result<DecodedImage, DecodeError> {
        let format = format!("{:?}", decoder.format_hint()).to_ascii_lowercase();
        let params = RawDecodeParams::default();
        let header = match decoder.raw_image(source, &params, true) {
            Ok(header) => header,
            Err(e) => return preview_only(bytes, req).unwrap_or_else(|| Err(malformed(e))),
        };
        let (width, height) = developed_size(&header);
        check_limits(width, height, req)?;
        let orientation = u8::try_from(header.orientation.to_u16()).unwrap_or(1);
        let preview = match self.policy {
            RawPolicy::PreviewFirst => embedded_jpeg_preview(bytes, req)
                .or_else(|| largest_preview(decoder, source, &params, req)),
            RawPolicy::Develop => None,
        };
        let (pixels, from) = match preview {
            Some(preview) => (preview, DecodedFrom::Preview),
            None => match develop(decoder, source, &params) {
                Ok(pixels) => (pixels, DecodedFrom::Raw),
                Err(e) => return preview_only(bytes, req).unwrap_or(Err(e)),
            },
        };
        let upright = apply_orientation(pixels, orientation);
        let (width, height) = upright_size(width, height, orientation);
        Ok(DecodedImage::new(upright, format)
            .with_stored_size(width, height)
            .upright()
            .from_rendition(from))
    }
}

/// The largest embedded JPEG, whatever its size, for a raw whose sensor data cannot be read:
/// its own size is then the stored one, and the pipeline turns it by the raw's EXIF orientation.
/// `None` when the file embeds no JPEG.
fn preview_only(bytes: &[u8], req: &DecodeRequest) -> Option<Result<DecodedImage, DecodeError>> {
    let (_, jpeg) = sized_jpegs(bytes).max_by_key(|((w, h), _)| u64::from(*w) * u64::from(*h))?;
    let format = camera_raw_format(bytes).unwrap_or("raw");
    Some(decode_jpeg(jpeg, req).map(|mut image| {
        image.format = format.to_owned();
        image.from_rendition(DecodedFrom::Preview)
    }))
}

/// The embedded JPEGs with the size their frame headers declare.
fn sized_jpegs(bytes: &[u8]) -> impl Iterator<Item = ((u32, u32), &[u8])> {
    previews::embedded_jpegs(bytes)
        .into_iter()
        .filter_map(|jpeg| Some((jpeg_size(jpeg)?, jpeg)))
}

/// A JPEG through the JPEG decoder at the scale the stages need (`TurboJpegDecoder`'s DCT
/// scaling with the `turbojpeg` feature).
fn decode_jpeg(jpeg: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
    #[cfg(feature = "turbojpeg")]
    return crate::turbo::TurboJpegDecoder.decode(jpeg, req);
    #[cfg(not(feature = "turbojpeg"))]
    photon_core::ImageCrateDecoder.decode(jpeg, req)
}

/// The size of the developed image: the camera's default crop, else its active area.
fn developed_size(raw: &rawler::RawImage) -> (u32, u32) {
    let area = raw.crop_area.or(raw.active_area);
    let (w, h) = area.map_or((raw.width, raw.height), |r| (r.d.w, r.d.h));
    (
        u32::try_from(w).unwrap_or(u32::MAX),
        u32::try_from(h).unwrap_or(u32::MAX),
    )
}

/// The largest embedded JPEG that serves the request, decoded at the scale the stages need.
fn embedded_jpeg_preview(bytes: &[u8], req: &DecodeRequest) -> Option<RgbImage> {
    let (_, jpeg) = sized_jpegs(bytes)
        .filter(|((w, h), _)| req.serves(*w, *h))
        .max_by_key(|((w, h), _)| u64::from(*w) * u64::from(*h))?;
    decode_jpeg(jpeg, req).ok().map(|image| image.pixels)
}

/// The largest of the previews rawler finds (CR3's, ORF's, uncompressed DNG previews) that
/// serves the request; none when the full size is asked for.
fn largest_preview(
    decoder: &dyn RawlerDecoder,
    source: &RawSource,
    params: &RawDecodeParams,
    req: &DecodeRequest,
) -> Option<RgbImage> {
    if !req.serves(u32::MAX, u32::MAX) {
        return None;
    }
    let candidates = [
        decoder.full_image(source, params),
        decoder.preview_image(source, params),
        decoder.thumbnail_image(source, params),
    ];
    candidates
        .into_iter()
        .filter_map(|c| c.ok().flatten())
        .filter(|image| req.serves(image.width(), image.height()))
        .max_by_key(|image| u64::from(image.width()) * u64::from(image.height()))
        .map(DynamicImage::into_rgb8)
}

/// The sensor data developed to 8-bit sRGB: demosaic, white balance and colour matrix from the
/// file, default crop.
fn develop(
    decoder: &dyn RawlerDecoder,
    source: &RawSource,
    params: &RawDecodeParams,
) -> Result<RgbImage, DecodeError> {
    let raw = decoder
        .raw_image(source, params, false)
        .map_err(malformed)?;
    let developed = RawDevelop::default()
        .develop_intermediate(&raw)
        .map_err(malformed)?
        .to_dynamic_image()
        .ok_or_else(|| DecodeError::Malformed("the developed raw has no pixels".into()))?;
    Ok(developed.into_rgb8())
}

fn check_limits(width: u32, height: u32, req: &DecodeRequest) -> Result<(), DecodeError> {
    let limits = &req.limits;
    if width == 0 || height == 0 {
        return Err(DecodeError::Malformed(format!("a {width}x{height} raw")));
    }
    let bytes = u64::from(width) * u64::from(height) * DEVELOP_BYTES_PER_PIXEL;
    if width > limits.max_width || height > limits.max_height || bytes > limits.max_alloc {
        return Err(DecodeError::LimitsExceeded(format!(
            "{width}x{height} raw is beyond {}x{} or {} bytes",
            limits.max_width, limits.max_height, limits.max_alloc
        )));
    }
    Ok(())
}

fn unsupported(e: rawler::RawlerError) -> DecodeError {
    DecodeError::codec("rawler", DecodeFailure::Unsupported, e)
}

fn malformed(e: rawler::RawlerError) -> DecodeError {
    DecodeError::codec("rawler", DecodeFailure::Malformed, e)
}
