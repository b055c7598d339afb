//! Photon turns images into structured records: a stable content id, pixel size and format,
//! camera metadata, a perceptual hash, a thumbnail, an embedding vector and tags.
//!
//! The one design decision that shapes everything else: **each input is read once and decoded
//! once**, and every later stage (thumbnail, perceptual hash, model tensor) derives from that one
//! upright image, inside a bounded concurrent driver that turns every input into exactly one
//! record, successful or not. Decoding, embedding and tagging are plugins behind three traits
//! ([`Decoder`], [`Embedder`], [`Tagger`]); this crate ships the image-crate decoder (and, with the
//! `turbojpeg` feature, a libjpeg-turbo one that decodes JPEGs at the scale the stages need) and
//! no model runtime, so it stays light. Inference backends live in their own crates.
//!
//! The modules follow the data flow:
//!
//! [`source`] (read once) → [`content_hash`] → [`exif`] → [`decode`] (with [`orientation`]) →
//! [`perceptual_hash`] | [`thumbnail`] | [`preprocess`] → [`model`] ([`Embedder`]) →
//! [`tag`] ([`Tagger`]) → [`record`] → [`sink`], driven by [`driver`] with [`resume`] and
//! [`progress`]; [`walk`] turns folders into sources.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use photon_core::{Pipeline, RunOptions, walk::{walk, WalkOptions}};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let pipeline = Pipeline::builder().thumbnail(None).build();
//! let sources = walk(["photos"], &WalkOptions::default());
//! let mut records = pipeline.run(futures_util::stream::iter(sources), RunOptions::default());
//! while let Some(record) = records.next().await {
//!     println!("{}", serde_json::to_string(&record)?);
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod analyze;
pub mod content_hash;
pub mod decode;
pub mod driver;
pub mod error;
pub mod exif;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod model_spec;
pub mod orientation;
pub mod perceptual_hash;
pub mod pipeline;
pub mod preprocess;
pub mod progress;
pub mod record;
mod resize;
pub mod resume;
pub mod sink;
pub mod source;
pub mod tag;
pub mod text;
pub mod thumbnail;
pub mod walk;

/// The `image` crate, whose pixel buffers are part of this crate's API.
pub use image;

pub use decode::{
    DecodeLimits, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder, default_decoder,
};
pub use driver::{OutputOrder, RunOptions};
pub use error::{ItemError, Stage};
pub use model::{EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec};
pub use pipeline::{Pipeline, PipelineBuilder};
pub use record::{ErrorRecord, ImageRecord, Record, SCHEMA_VERSION};
pub use source::Source;
pub use tag::{Tag, Tagger};
