//! Model folders as Photon reads them, and onto an engine: what the `photon` command and the
//! Python package share.
//!
//! - [`folder`]: the three layouts (Photon's own, Hugging Face's ONNX exports, immich's
//!   OpenCLIP folders) read into photon-core's plain [`ModelSpec`](photon_core::ModelSpec) and
//!   [`TextSpec`](photon_core::TextSpec), gaps filled from the ONNX graph, the tokenizer and
//!   transformers' defaults; [`describe_model_dir`] for `photon models show`; [`models_dir`].
//! - [`text`]: tokenising by each family's rules ([`TextTokenizer`]) and [`embed_text`].
//! - [`tag`]: the taggers, a classifier's ([`ClassifierTagger`]) and zero-shot against a cached
//!   [`LabelBank`] ([`ZeroShotTagger`]), with [`WordNet`] paths.
//! - Loading: [`ModelOptions`] says how (the [`Backend`], sessions and threads, batch cap, tag
//!   options, zero-shot vocabulary and prompt), [`load_model`] turns a folder into a
//!   [`LoadedModel`] (embedder and tagger), [`image_encoder`] and [`text_encoder`] load one
//!   tower. The engines are features: `ort` (ONNX Runtime) and `tract` (pure Rust), both on by
//!   default; an app that wants tract alone turns default features off.
//! - Faces: [`describe_face_dir`] tells immich's face folders and insightface's packs apart
//!   (which graph is the SCRFD detector, which the ArcFace model) and [`load_faces`] loads the
//!   pair as photon-faces' `FaceAnalysis`, a photon-core `FaceFinder`.
//! - With `ort`: [`fetch`] installs ONNX Runtime and the default model into a models folder;
//!   [`quantize`] makes an int8 copy of a folder, measured against the float model and refused
//!   below a cosine, its [`QuantizationReport`] written as `quantization.json`.
//!
//! ```no_run
//! use photon_models::{ModelOptions, load_model};
//!
//! # async fn demo() -> Result<(), photon_models::SetupError> {
//! let model = load_model("models/efficientnet-lite0".as_ref(), &ModelOptions::default()).await?;
//! let pipeline = photon_core::Pipeline::builder()
//!     .embedder(model.embedder)
//!     .build();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod defaults;
pub mod folder;
pub mod quantization;
pub mod tag;
pub mod text;

mod engine;
mod error;
mod faces;
#[cfg(feature = "ort")]
mod fetch;
mod load;
mod options;
#[cfg(feature = "ort")]
mod python;
#[cfg(feature = "ort")]
mod quantize;
mod tagger;

pub use defaults::{DEFAULT_MODEL, EngineLayout, GPU_MAX_BATCH, installed_default_model};
pub use engine::{Backend, image_encoder, text_encoder};
pub use error::SetupError;
pub use faces::{FaceFolder, FaceFolderError, FaceLayout, describe_face_dir, load_faces};
#[cfg(feature = "ort")]
pub use fetch::{FetchError, FetchOptions, Fetched, fetch};
pub use folder::{
    Layout, ModelFolder, ModelSpecError, describe_model_dir, efficientnet_lite0, has_text_tower,
    load_model_dir, load_text_dir, models_dir,
};
pub use load::{LoadedModel, TextTower, load_model, load_tagger, load_text_tower};
pub use options::{LabelProgressFn, ModelOptions, NoticeFn};
pub use photon_backend_common::Device;
#[cfg(feature = "ort")]
pub use python::PythonError;
pub use quantization::{QuantizationReport, QuantizeMode};
#[cfg(feature = "ort")]
pub use quantize::{QuantizeError, QuantizeOptions, quantize};
pub use tag::{ClassifierTagger, LabelBank, WordNet, ZeroShotScoring, ZeroShotTagger};
pub use text::{TextError, TextTokenizer, embed_text};
