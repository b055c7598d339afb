//! The CPU half of the pipeline for one input: read once, hash, EXIF, decode, orient, then the
//! pixel stages (perceptual hash, thumbnail, model tensor) from that one upright image.
//!
//! Runs on a blocking worker thread; every stage is guarded so that an error or a panic becomes
//! this input's error record and nothing else.

use super::options::StageOptions;
use crate::content_hash::content_hash;
use crate::decode::{DecodeRequest, Decoder};
use crate::describe::{DescribeImage, DescribeOptions};
use crate::error::{ItemError, Stage, StageError, catch_stage, with_causes};
use crate::exif::{ExifFields, read_exif, read_orientation};
use crate::orientation::{apply_orientation, upright_size};
use crate::perceptual_hash::perceptual_hash;
use crate::preprocess::Preprocessing;
use crate::record::{ErrorRecord, ImageRecord, Record, SCHEMA_VERSION};
use crate::resize::fit_within;
use crate::source::{ReadInput, Source, read_source};
use crate::thumbnail::{
    JpegEncoder, ThumbnailOptions, ThumbnailOutput, encode_thumbnail_of, write_thumbnail,
};
use base64::Engine;
use image::RgbImage;
use std::sync::atomic::{AtomicU8, Ordering};

/// A successfully analysed input, waiting for the model (if any).
#[derive(Debug)]
pub(crate) struct Analyzed {
    /// The record so far (no embedding or tags yet).
    pub(crate) record: ImageRecord,
    /// The model input tensor, when a model is configured.
    pub(crate) tensor: Option<Vec<f32>>,
    /// The upright image, kept for the face stage when there is one.
    pub(crate) image: Option<RgbImage>,
    /// The image re-encoded for the describer, when there is one (or why it could not be).
    pub(crate) describe: Option<Result<DescribeImage, ItemError>>,
}

/// An input after its CPU stages.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Ready for the model, or final if there is none.
    Ready(Box<Analyzed>),
    /// The input failed; this is its record.
    Failed(Record),
}

/// What the CPU stages need besides the input: the pipeline's decoder and settings, and the
/// model's preprocessing when a model will run.
pub(crate) struct AnalyzeContext<'a> {
    pub(crate) decoder: &'a dyn Decoder,
    pub(crate) jpeg_encoder: &'a dyn JpegEncoder,
    pub(crate) stages: &'a StageOptions,
    pub(crate) preprocessing: Option<&'a Preprocessing>,
    /// The long side the face finder needs, when faces will be found.
    pub(crate) face_side: Option<u32>,
    /// How to prepare the describer's image, when images will be described.
    pub(crate) describe: Option<&'a DescribeOptions>,
    /// Told as each stage starts, so that a time limit can name the stage that ran over.
    pub(crate) tracker: &'a StageTracker,
}

/// Runs the CPU stages on one input.
pub(crate) fn analyze(source: Source, cx: &AnalyzeContext<'_>) -> Outcome {
    let shown = source.display_path();
    match read(source, cx) {
        Ok(input) => {
            let hash = content_hash(&input.bytes);
            analyze_read(input, hash, cx)
        }
        Err(error) => Outcome::Failed(Record::failed(shown, error)),
    }
}

/// Runs the CPU stages on one input unless its bytes still hash to `recorded_hash`, what an
/// earlier run recorded for its path: `None` then, right after hashing, with nothing redone.
pub(crate) fn analyze_unless_unchanged(
    source: Source,
    cx: &AnalyzeContext<'_>,
    recorded_hash: &str,
) -> Option<Outcome> {
    let shown = source.display_path();
    match read(source, cx) {
        Ok(input) => {
            let hash = content_hash(&input.bytes);
            (hash != recorded_hash).then(|| analyze_read(input, hash, cx))
        }
        Err(error) => Some(Outcome::Failed(Record::failed(shown, error))),
    }
}

fn analyze_read(input: ReadInput, hash: String, cx: &AnalyzeContext<'_>) -> Outcome {
    match image_stages(&input, &hash, cx) {
        Ok(analyzed) => Outcome::Ready(Box::new(analyzed)),
        Err(error) => Outcome::Failed(failed_after_read(input, hash, error)),
    }
}

/// The read stage: the input's bytes, or why they could not be read.
fn read(source: Source, cx: &AnalyzeContext<'_>) -> Result<ReadInput, ItemError> {
    guarded(cx, Stage::Read, || {
        read_source(source, cx.stages.max_file_bytes)
    })
}

/// Everything after hashing, from the same bytes: metadata, pixels, and what derives from them.
fn image_stages(
    input: &ReadInput,
    hash: &str,
    cx: &AnalyzeContext<'_>,
) -> Result<Analyzed, ItemError> {
    let (exif, orientation) = metadata(&input.bytes, cx);
    let request = decode_request(cx);
    let decoded = guarded(cx, Stage::Decode, || {
        cx.decoder.decode(&input.bytes, &request)
    })?;
    // A decoder that applied the container's own transformations leaves nothing to turn.
    let orientation = if decoded.upright { 1 } else { orientation };
    let (width, height) = upright_size(decoded.stored_width, decoded.stored_height, orientation);
    let upright = apply_orientation(decoded.pixels, orientation);
    let perceptual_hash = phash_stage(&upright, cx)?;
    let (thumbnail, thumbnail_path) = thumbnail_stage(&upright, (width, height), hash, cx)?;
    let tensor = match cx.preprocessing {
        Some(spec) => Some(guarded(cx, Stage::Preprocess, || spec.apply(&upright))?),
        None => None,
    };
    let describe = cx
        .describe
        .map(|options| describe_image(&upright, (width, height), exif.as_ref(), options, cx));
    let record = ImageRecord {
        schema_version: SCHEMA_VERSION,
        file_size: input.bytes.len() as u64,
        file_path: input.path.clone(),
        file_name: input.file_name.clone(),
        file_mtime_ns: input.mtime_ns,
        content_hash: hash.to_owned(),
        width,
        height,
        format: decoded.format,
        decoded_from: decoded.decoded_from,
        exif,
        perceptual_hash,
        thumbnail,
        thumbnail_path,
        embedding: None,
        tags: None,
        model: None,
        faces: None,
        faces_found: None,
        description: None,
        errors: Vec::new(),
    };
    let image = cx.face_side.is_some().then_some(upright);
    Ok(Analyzed {
        record,
        tensor,
        image,
        describe,
    })
}

/// The size the decode must reach for every stage that will use its pixels.
fn decode_request(cx: &AnalyzeContext<'_>) -> DecodeRequest {
    DecodeRequest {
        limits: cx.stages.limits,
        min_side: cx.stages.decode_min_side(cx.preprocessing),
        min_long_side: cx
            .stages
            .decode_min_long_side()
            .max(cx.face_side)
            .max(cx.describe.map(|d| d.max_side)),
    }
}

/// The describer's image: `upright` re-encoded as a JPEG of at most `options.max_side`, with
/// no metadata, and the EXIF fields beside it only when asked. A failure here is the record's
/// `describe` error, never its failure.
fn describe_image(
    upright: &RgbImage,
    full_size: (u32, u32),
    exif: Option<&ExifFields>,
    options: &DescribeOptions,
    cx: &AnalyzeContext<'_>,
) -> Result<DescribeImage, ItemError> {
    let (width, height) = fit_within(full_size.0, full_size.1, options.max_side.max(1));
    let jpeg_options = ThumbnailOptions::default()
        .max_side(options.max_side)
        .quality(options.quality);
    let encode = || encode_thumbnail_of(upright, full_size, &jpeg_options, cx.jpeg_encoder);
    let jpeg = catch_stage(Stage::Describe, encode)?
        .map_err(|e| ItemError::new(Stage::Describe, "encode", with_causes(&e)))?;
    let exif = options.send_exif.then(|| exif.cloned()).flatten();
    Ok(DescribeImage::new(jpeg, width, height).with_exif(exif))
}

/// EXIF fields (when asked for) and the orientation to apply (1 when unknown). Broken metadata
/// must never fail the image, so a panic in a parser only drops the fields.
fn metadata(bytes: &[u8], cx: &AnalyzeContext<'_>) -> (Option<ExifFields>, u8) {
    cx.tracker.enter(Stage::Exif);
    if cx.stages.exif {
        let exif = catch_stage(Stage::Exif, || read_exif(bytes)).ok().flatten();
        let orientation = exif.as_ref().and_then(|e| e.orientation);
        (exif, orientation.unwrap_or(1))
    } else {
        let orientation = catch_stage(Stage::Exif, || read_orientation(bytes))
            .ok()
            .flatten();
        (None, orientation.unwrap_or(1))
    }
}

fn phash_stage(upright: &RgbImage, cx: &AnalyzeContext<'_>) -> Result<Option<String>, ItemError> {
    if !cx.stages.perceptual_hash {
        return Ok(None);
    }
    let hash = guarded(cx, Stage::PerceptualHash, || {
        perceptual_hash(upright).map_err(|m| PixelStageError(Stage::PerceptualHash, m))
    })?;
    Ok(Some(hash.to_string()))
}

/// The thumbnail, inline as base64 or written to its folder: `(thumbnail, thumbnail_path)`.
fn thumbnail_stage(
    upright: &RgbImage,
    full_size: (u32, u32),
    hash: &str,
    cx: &AnalyzeContext<'_>,
) -> Result<(Option<String>, Option<String>), ItemError> {
    let Some(options) = &cx.stages.thumbnail else {
        return Ok((None, None));
    };
    let jpeg = guarded(cx, Stage::Thumbnail, || {
        encode_thumbnail_of(upright, full_size, options, cx.jpeg_encoder)
    })?;
    Ok(match &options.output {
        ThumbnailOutput::Inline => (
            Some(base64::engine::general_purpose::STANDARD.encode(&jpeg)),
            None,
        ),
        ThumbnailOutput::Directory(dir) => {
            let path = guarded(cx, Stage::Thumbnail, || write_thumbnail(dir, hash, &jpeg))?;
            (None, Some(path.to_string_lossy().into_owned()))
        }
    })
}

/// Runs one stage: tells the tracker, and turns its error or panic into this input's error.
fn guarded<T, E: StageError>(
    cx: &AnalyzeContext<'_>,
    stage: Stage,
    body: impl FnOnce() -> Result<T, E>,
) -> Result<T, ItemError> {
    cx.tracker.enter(stage);
    catch_stage(stage, body)?.map_err(|e| e.to_item_error())
}

/// The error record of an input that was read and hashed, keeping what identifies it.
fn failed_after_read(input: ReadInput, hash: String, error: ItemError) -> Record {
    Record::Error(ErrorRecord {
        schema_version: SCHEMA_VERSION,
        file_size: Some(input.bytes.len() as u64),
        file_path: input.path,
        file_mtime_ns: input.mtime_ns,
        content_hash: Some(hash),
        error,
    })
}

impl StageOptions {
    /// The shortest side a decoder must keep for the perceptual hash and the model: the hint
    /// [`DecodeRequest::min_side`] that, with the thumbnail's [`Self::decode_min_long_side`],
    /// lets a JPEG be decoded at 1/2, 1/4 or 1/8 scale.
    ///
    /// The model gets [`MODEL_DECODE_MARGIN`] times the side its resize starts from, so that
    /// its own resize still does most of the reduction: decoded at 1.1x the target,
    /// EfficientNet-Lite0's top class flipped on a real photo (dog.jpg, a near tie); from 1.46x
    /// (a 12 MP photo at 1/8) it kept every top class and cosine ≥ 0.995 on the sample photos
    /// (see the parity tests).
    pub(crate) fn decode_min_side(&self, preprocessing: Option<&Preprocessing>) -> Option<u32> {
        /// The perceptual hash works from a 64 px image.
        const PHASH_SIDE: u32 = 64;
        let model_side = preprocessing
            .map(|p| (f64::from(p.min_source_side()) * MODEL_DECODE_MARGIN).ceil() as u32);
        [self.perceptual_hash.then_some(PHASH_SIDE), model_side]
            .into_iter()
            .flatten()
            .max()
    }

    /// The longest side a decoder must keep: the thumbnail's size, as a thumbnail fits its
    /// longer side to it ([`DecodeRequest::min_long_side`]).
    pub(crate) fn decode_min_long_side(&self) -> Option<u32> {
        self.thumbnail
            .as_ref()
            .map(|t: &ThumbnailOptions| t.max_side)
    }
}

/// How much larger than the model's resize source the decoded image stays; see
/// [`StageOptions::decode_min_side`].
const MODEL_DECODE_MARGIN: f64 = 1.4;

/// The stage an input's CPU work is in, readable from another thread: when a time limit
/// expires, the error record names the stage that was running.
#[derive(Debug, Default)]
pub(crate) struct StageTracker(AtomicU8);

impl StageTracker {
    /// Records that `stage` has started.
    pub(crate) fn enter(&self, stage: Stage) {
        self.0.store(stage as u8, Ordering::Relaxed);
    }

    /// The stage last entered (`Read` before any).
    pub(crate) fn current(&self) -> Stage {
        let index = usize::from(self.0.load(Ordering::Relaxed));
        Stage::ALL.get(index).copied().unwrap_or(Stage::Read)
    }
}

/// A failure inside a pixel stage that has no error type of its own.
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
struct PixelStageError(Stage, String);

impl StageError for PixelStageError {
    fn stage(&self) -> Stage {
        self.0
    }
    fn kind(&self) -> &'static str {
        "internal"
    }
}
