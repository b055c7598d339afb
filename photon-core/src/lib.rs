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
//!   - a [`Decoder`] turns bytes into pixels. [`ImageCrateDecoder`] reads JPEG, PNG, WebP, GIF,
//!     BMP, TIFF and more in pure Rust, with the integrity checks the `image` crate lacks
//!     ([`sniff`] has them for other decoders); the `photon-decode` crate adds libjpeg-turbo,
//!     HEIF/AVIF, JPEG XL, libtiff and camera raws, and a router that picks one per file;
//!   - an [`Embedder`] runs an image model on micro-batches, as described by a [`ModelSpec`].
//!     The engines (`photon-ort`, `photon-tract`) and the readers of model folders
//!     (`photon-models`) live in their own crates, so this one stays light;
//!   - a [`Tagger`] turns model output into [`Tag`]s (`photon-models` has a classifier's and a
//!     zero-shot tagger); a [`TextEncoder`] runs a CLIP/SigLIP text tower on a [`TokenBatch`].
//! - A [`Sink`] takes the records and states how durable they are: [`JsonlSink`] writes JSON
//!   Lines that survive a kill, and resumes from them with a [`ResumeIndex`].
//! - The stages also stand alone: [`content_hash`], [`read_exif`], [`apply_orientation`],
//!   [`perceptual_hash`], [`encode_thumbnail`], [`Preprocessing::apply`].
//!
//! Search, the HNSW index and duplicates are in `photon-index`; Arrow and Parquet in
//! `photon-arrow`. With default features this crate builds with nothing but Rust: no C compiler,
//! no system library, and no `unsafe`.
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
#![forbid(unsafe_code)]

mod content_hash;
mod decode;
mod describe;
mod error;
mod exif;
mod face;
mod model;
mod orientation;
mod perceptual_hash;
mod pipeline;
mod preprocess;
mod progress;
mod record;
mod resize;
mod resume;
mod sink;
mod source;
mod tag;
mod text;
mod thumbnail;
mod tiff_bytes;
pub mod vector;
mod walk;

pub use decode::sniff;
pub use image::RgbImage;
pub use tokio_util::sync::CancellationToken;

// Running a pipeline.
pub use pipeline::{
    NoModel, OutputOrder, Pipeline, PipelineBuilder, RunError, RunOptions, RunSummary,
    StageOptions, WithModel,
};
pub use progress::{ProgressCounts, ProgressEvent, ProgressFn};

// Inputs.
pub use source::{Source, SourceError, SourceItem};
pub use walk::{IMAGE_EXTENSIONS, NotImages, Walk, WalkOptions, walk};

// Records, where they go, and resuming from them.
pub use error::{ItemError, Stage, with_causes};
pub use exif::ExifFields;
pub use record::{ErrorRecord, ImageRecord, ModelProvenance, Record, SCHEMA_VERSION};
pub use resume::{OtherModel, ReadReport, ResumeIndex};
pub use sink::{JsonlRecords, JsonlSink, Sink, SinkError, read_jsonl};

// Decoding, and the stages that stand alone.
pub use content_hash::content_hash;
pub use decode::{
    DecodeError, DecodeFailure, DecodeLimits, DecodeRequest, DecodedFrom, DecodedImage, Decoder,
    ImageCrateDecoder,
};
pub use exif::{read_exif, read_orientation};
pub use orientation::{apply_orientation, upright_size};
pub use perceptual_hash::{PerceptualHash, hamming_distance, perceptual_hash};
pub use preprocess::{
    ChannelOrder, Normalization, PreprocessError, Preprocessing, ResizeFilter, ResizeMode,
};
pub use thumbnail::{
    ImageCrateJpegEncoder, JpegEncoder, ThumbnailError, ThumbnailOptions, ThumbnailOutput,
    encode_thumbnail,
};

// Models: what a plugin is given and returns.
pub use model::{EmbedError, Embedder, ImageBatch, ModelFamily, ModelOutput, ModelSpec};
pub use text::{TextEncoder, TextSpec, TokenBatch, TokenType};

// Descriptions.
pub use describe::{
    DescribeError, DescribeImage, DescribeOptions, Describer, DescriberId, Description, prompt_hash,
};

// Faces.
pub use face::{FaceError, FaceFinder, FaceRecord, FoundFaces};

// Tags.
pub use tag::{AncestorDedup, Label, Tag, TagOptions, Tagger, read_labels};
