//! Photon turns images into structured records: a stable content id, pixel size and format,
//! camera metadata, a perceptual hash, a thumbnail, an embedding vector and tags.
//!
//! The one design decision that shapes everything else: **each input is read once and decoded
//! once**, and every later stage (thumbnail, perceptual hash, model tensor) derives from that one
//! upright image, inside a bounded concurrent driver that turns every input into exactly one
//! record, successful or not.
//!
//! # The roles
//!
//! - A [`Pipeline`] holds the plugins and the stage settings; [`Pipeline::builder`] composes one.
//!   [`Pipeline::run`] turns a stream of inputs into a stream of records,
//!   [`Pipeline::run_into`] writes a whole run into a [`Sink`] and sums it up in a
//!   [`RunSummary`], and [`Pipeline::process`] does one input. [`RunOptions`] says how a run is
//!   driven: parallelism, order, micro-batching, time limits, resume, cancellation, progress.
//! - Inputs are [`Source`]s: a path or bytes in memory. [`walk`] turns folders into sources.
//! - Out comes one [`Record`] per input: an [`ImageRecord`], or an [`ErrorRecord`] whose
//!   [`ItemError`] names the [`Stage`] that failed. Bad input never stops a run.
//! - Three plugin traits do the work that varies:
//!   - a [`Decoder`] turns bytes into pixels ([`ImageCrateDecoder`]; with the `turbojpeg`
//!     feature `TurboJpegDecoder`, which decodes JPEGs at the scale the stages need; with the
//!     `heif` feature `HeifDecoder`, HEIC/HEIF and AVIF through libheif; with the `jxl` feature
//!     `JxlDecoder`, JPEG XL through jxl-oxide; with the `libtiff` feature `LibTiffDecoder`,
//!     TIFF in every variant through libtiff; [`default_decoder`]
//!     routes each format to the best one built);
//!   - an [`Embedder`] runs an image model on micro-batches, as described by a [`ModelSpec`]
//!     ([`load_model_dir`] reads one from a model folder). The engines live in their own crates
//!     (`photon-ort`, `photon-tract`), so this one stays light;
//!   - a [`Tagger`] turns model output into [`Tag`]s: [`ClassifierTagger`] for classifier
//!     heads, [`ZeroShotTagger`] for CLIP/SigLIP models against a [`LabelBank`] built by a
//!     [`TextEncoder`].
//! - A [`Sink`] takes the records and states how durable they are: [`JsonlSink`] writes JSON
//!   Lines that survive a kill, and resumes from them with a [`ResumeIndex`].
//! - [`rank_records`] ranks recorded images against a query vector ([`embed_text`] embeds a
//!   text query), for search.
//! - The stages also stand alone: [`content_hash`], [`read_exif`], [`apply_orientation`],
//!   [`perceptual_hash`], [`encode_thumbnail`], [`Preprocessing::apply`].
//!
//! ```no_run
//! use photon_core::{JsonlSink, Pipeline, RunOptions, WalkOptions, walk};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pipeline = Pipeline::builder().thumbnail(None).build();
//! let inputs = futures_util::stream::iter(walk(["photos"], &WalkOptions::default()));
//! let mut sink = JsonlSink::create("photos.jsonl".as_ref())?;
//! let summary = pipeline.run_into(inputs, RunOptions::default(), &mut sink).await?;
//! println!("{} processed, {} failed", summary.counts.done, summary.counts.failed);
//! # Ok(()) }
//! ```
//!
//! Pixel buffers are the `image` crate's [`RgbImage`] (image 0.25), re-exported alone so that
//! custom decoders name the same type.
#![deny(missing_docs)]

mod analyze;
mod content_hash;
mod decode;
pub mod dedup;
mod error;
mod exif;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod model;
mod orientation;
mod perceptual_hash;
mod pipeline;
mod preprocess;
mod progress;
mod record;
mod resize;
mod resume;
pub mod search;
mod sink;
mod source;
mod tag;
mod text;
mod thumbnail;
mod tiff_bytes;
mod vector;
mod walk;

pub use image::RgbImage;

// Running a pipeline.
pub use pipeline::{
    OutputOrder, Pipeline, PipelineBuilder, RunError, RunOptions, RunSummary, StageOptions,
};
pub use progress::{ProgressCounts, ProgressEvent, ProgressFn};

// Inputs.
pub use source::{Source, SourceError, SourceItem};
pub use walk::{IMAGE_EXTENSIONS, NotImages, Walk, WalkOptions, walk};

// Records, where they go, and resuming from them.
pub use error::{ItemError, Stage};
pub use exif::ExifFields;
pub use record::{ErrorRecord, ImageRecord, ModelProvenance, Record, SCHEMA_VERSION};
pub use resume::{ReadReport, ResumeIndex};
pub use sink::{JsonlRecords, JsonlSink, Sink, SinkError, read_jsonl};

// Decoding, and the stages that stand alone.
pub use content_hash::content_hash;
#[cfg(feature = "heif")]
pub use decode::HeifDecoder;
#[cfg(feature = "jxl")]
pub use decode::JxlDecoder;
#[cfg(feature = "libtiff")]
pub use decode::LibTiffDecoder;
#[cfg(feature = "raw")]
pub use decode::RawDecoder;
#[cfg(feature = "turbojpeg")]
pub use decode::TurboJpegDecoder;
pub use decode::{
    DecodeError, DecodeLimits, DecodeRequest, DecodedFrom, DecodedImage, Decoder,
    ImageCrateDecoder, RawPolicy, default_decoder, default_decoder_with,
};
pub use exif::{read_exif, read_orientation};
pub use orientation::apply_orientation;
pub use perceptual_hash::{PerceptualHash, hamming_distance, perceptual_hash};
pub use preprocess::{
    ChannelOrder, Normalization, PreprocessError, Preprocessing, ResizeFilter, ResizeMode,
};
pub use thumbnail::{ThumbnailError, ThumbnailOptions, ThumbnailOutput, encode_thumbnail};

// Models.
pub use model::{
    DESCRIPTOR_FILE, ElementType, EmbedError, Embedder, Filled, GraphInterface, ImageBatch, Layout,
    ModelFamily, ModelFolder, ModelOutput, ModelSpec, ModelSpecError, QUANTIZATION_FILE,
    TensorDecl, ValueSource, describe_model_dir, efficientnet_lite0, load_model_dir, models_dir,
};
pub use text::{
    TextEncoder, TextError, TextSpec, TextTokenizer, TokenBatch, TokenType, embed_text,
    has_text_tower, load_text_dir,
};

// Tags.
pub use tag::{
    AncestorDedup, ClassifierTagger, DEBIAN_DATA_NOUN, DEFAULT_TEMPLATE, Label, LabelBank, Tag,
    TagOptions, Tagger, WordNet, ZeroShotScoring, ZeroShotTagger, read_labels, read_vocabulary,
    wordnet_vocabulary,
};

// Search.
pub use search::{Ranking, SearchHit, rank_records};
