//! The CPU half of the pipeline for one input: read once, hash, EXIF, decode, orient, then the
//! pixel stages (perceptual hash, thumbnail, model tensor) from that one upright image.
//!
//! Runs on a blocking worker thread; every stage is guarded so that an error or a panic becomes
//! this input's error record and nothing else.

use crate::content_hash::content_hash;
use crate::decode::{DecodeLimits, DecodeRequest, Decoder};
use crate::error::{ItemError, Stage, StageError, StageTracker, catch_stage};
use crate::exif::{read_exif, read_orientation};
use crate::orientation::apply_orientation;
use crate::perceptual_hash::perceptual_hash;
use crate::preprocess::Preprocessing;
use crate::record::{ErrorRecord, ImageRecord, Record, SCHEMA_VERSION};
use crate::source::{Source, read_source};
use crate::thumbnail::{ThumbnailOptions, ThumbnailOutput, encode_thumbnail_of, write_thumbnail};
use base64::Engine;

/// Which non-model stages run, and their settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageOptions {
    /// Emit EXIF fields. (Orientation is always applied to the pixels.)
    pub exif: bool,
    /// Compute the perceptual hash.
    pub perceptual_hash: bool,
    /// Make a thumbnail, and how.
    pub thumbnail: Option<ThumbnailOptions>,
    /// Decoder limits against decompression bombs.
    pub limits: DecodeLimits,
    /// Inputs larger than this are refused before reading.
    pub max_file_bytes: u64,
}

impl Default for StageOptions {
    /// Every stage on, 256 px inline thumbnails, default limits, 1 GiB input cap.
    fn default() -> Self {
        Self {
            exif: true,
            perceptual_hash: true,
            thumbnail: Some(ThumbnailOptions::default()),
            limits: DecodeLimits::default(),
            max_file_bytes: 1 << 30,
        }
    }
}

/// A successfully analysed input, waiting for the model (if any).
#[derive(Debug)]
pub struct Analyzed {
    /// The record so far (no embedding or tags yet).
    pub record: ImageRecord,
    /// The model input tensor, when a model is configured.
    pub tensor: Option<Vec<f32>>,
}

/// The outcome of the CPU stages for one input.
#[derive(Debug)]
pub enum Analysis {
    /// Ready for the model, or final if there is none.
    Ready(Box<Analyzed>),
    /// The content hash matched the one recorded by an earlier run: nothing to redo.
    Unchanged {
        /// The input's path.
        file_path: String,
    },
    /// The input failed; this is its record.
    Failed(Record),
}

/// Runs the CPU stages on one input.
///
/// `preprocessing` is the model's, when a model will run. `unchanged_if_hash` is the content
/// hash an earlier run recorded for this path: when the bytes still hash to it, the input is
/// reported [`Analysis::Unchanged`] right after hashing.
pub fn analyze(
    source: Source,
    decoder: &dyn Decoder,
    opts: &StageOptions,
    preprocessing: Option<&Preprocessing>,
    unchanged_if_hash: Option<&str>,
) -> Analysis {
    analyze_tracked(
        source,
        decoder,
        opts,
        preprocessing,
        unchanged_if_hash,
        &StageTracker::default(),
    )
}

/// [`analyze`], telling `tracker` as each stage starts, so that a caller enforcing a time limit
/// can say which stage ran over.
pub fn analyze_tracked(
    source: Source,
    decoder: &dyn Decoder,
    opts: &StageOptions,
    preprocessing: Option<&Preprocessing>,
    unchanged_if_hash: Option<&str>,
    tracker: &StageTracker,
) -> Analysis {
    tracker.enter(Stage::Read);
    let shown = source.display_path();
    let input = match catch_stage(Stage::Read, || read_source(source, opts.max_file_bytes)) {
        Ok(Ok(input)) => input,
        Ok(Err(e)) => return Analysis::Failed(Record::failed(shown, e.to_item_error())),
        Err(panic) => return Analysis::Failed(Record::failed(shown, panic)),
    };
    let hash = content_hash(&input.bytes);
    if unchanged_if_hash == Some(hash.as_str()) {
        return Analysis::Unchanged {
            file_path: input.path,
        };
    }
    let fail = |error: ItemError| {
        Analysis::Failed(Record::Error(ErrorRecord {
            schema_version: SCHEMA_VERSION,
            file_path: input.path.clone(),
            file_size: Some(input.bytes.len() as u64),
            file_mtime_ns: input.mtime_ns,
            content_hash: Some(hash.clone()),
            error,
        }))
    };
    // Runs one stage: tells the tracker, turns its error or panic into this input's record.
    macro_rules! guarded {
        ($stage:expr, $body:expr) => {{
            tracker.enter($stage);
            match catch_stage($stage, || $body) {
                Ok(Ok(value)) => value,
                Ok(Err(e)) => return fail(StageError::to_item_error(&e)),
                Err(panic) => return fail(panic),
            }
        }};
    }

    // Broken EXIF must never fail the image, so a panic in the parser only drops the fields.
    let (exif, orientation) = if opts.exif {
        let exif = catch_stage(Stage::Read, || read_exif(&input.bytes))
            .ok()
            .flatten();
        let orientation = exif.as_ref().and_then(|e| e.orientation);
        (exif, orientation)
    } else {
        (
            None,
            catch_stage(Stage::Read, || read_orientation(&input.bytes))
                .ok()
                .flatten(),
        )
    };

    let request = DecodeRequest {
        limits: opts.limits,
        min_side: decode_min_side(opts, preprocessing),
    };
    let decoded = guarded!(Stage::Decode, decoder.decode(&input.bytes, &request));
    let format = decoded.format;
    let upright = apply_orientation(decoded.pixels, orientation.unwrap_or(1));
    let (width, height) = crate::orientation::upright_size(
        decoded.stored_width,
        decoded.stored_height,
        orientation.unwrap_or(1),
    );

    let perceptual_hash = if opts.perceptual_hash {
        let hash = guarded!(
            Stage::PerceptualHash,
            perceptual_hash(&upright).map_err(|m| PixelStageError(Stage::PerceptualHash, m))
        );
        Some(hash.to_string())
    } else {
        None
    };

    let (mut thumbnail, mut thumbnail_path) = (None, None);
    if let Some(thumb) = &opts.thumbnail {
        let jpeg = guarded!(
            Stage::Thumbnail,
            encode_thumbnail_of(&upright, (width, height), thumb)
        );
        match &thumb.output {
            ThumbnailOutput::Inline => {
                thumbnail = Some(base64::engine::general_purpose::STANDARD.encode(&jpeg));
            }
            ThumbnailOutput::Directory(dir) => {
                let path = guarded!(Stage::Thumbnail, write_thumbnail(dir, &hash, &jpeg));
                thumbnail_path = Some(path.to_string_lossy().into_owned());
            }
        }
    }

    let tensor = match preprocessing {
        Some(spec) => Some(guarded!(Stage::Preprocess, spec.apply(&upright))),
        None => None,
    };

    Analysis::Ready(Box::new(Analyzed {
        record: ImageRecord {
            schema_version: SCHEMA_VERSION,
            file_size: input.bytes.len() as u64,
            file_path: input.path,
            file_name: input.file_name,
            file_mtime_ns: input.mtime_ns,
            content_hash: hash,
            width,
            height,
            format,
            exif,
            perceptual_hash,
            thumbnail,
            thumbnail_path,
            embedding: None,
            tags: None,
            model: None,
        },
        tensor,
    }))
}

/// The shortest side a decoder must keep for the enabled stages: the hint
/// [`DecodeRequest::min_side`] that lets a JPEG be decoded at 1/2, 1/4 or 1/8 scale.
///
/// The model gets [`MODEL_DECODE_MARGIN`] times the side its resize starts from, so that its own
/// resize still does most of the reduction: decoded at 1.1x the target, EfficientNet-Lite0's
/// top class flipped on a real photo (dog.jpg, a near tie); from 1.46x (a 12 MP photo at 1/8)
/// it kept every top class and cosine ≥ 0.995 on the sample photos (see the parity tests).
pub fn decode_min_side(opts: &StageOptions, preprocessing: Option<&Preprocessing>) -> Option<u32> {
    /// The perceptual hash works from a 64 px image.
    const PHASH_SIDE: u32 = 64;
    [
        opts.perceptual_hash.then_some(PHASH_SIDE),
        opts.thumbnail.as_ref().map(|t| t.max_side),
        preprocessing.map(|p| (f64::from(p.min_source_side()) * MODEL_DECODE_MARGIN).ceil() as u32),
    ]
    .into_iter()
    .flatten()
    .max()
}

/// How much larger than the model's resize source the decoded image stays; see
/// [`decode_min_side`].
pub const MODEL_DECODE_MARGIN: f64 = 1.4;

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
