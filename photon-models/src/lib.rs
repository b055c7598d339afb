//! Model folders onto an engine, the way the `photon` command loads them (and the Python
//! package will): an image tower on ONNX Runtime or tract, the tagger its folder allows (a
//! classifier's from its logits and labels, or zero-shot from a CLIP/SigLIP text tower and a
//! label bank cached beside the models), and text towers for search.
//!
//! - [`ModelOptions`] says how: the [`Backend`], sessions and threads, batch cap, tag options,
//!   zero-shot vocabulary and prompt, where WordNet is, and callbacks for notices and progress.
//! - [`load_model`] turns a folder into a [`LoadedModel`] (embedder and tagger);
//!   [`image_encoder`] and [`text_encoder`] load one tower.
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

mod engine;
mod load;
mod options;
mod tagger;

pub use engine::{Backend, image_encoder, text_encoder};
pub use load::{LoadedModel, SetupError, TextTower, load_model, load_text_tower};
pub use options::{LabelProgressFn, ModelOptions, NoticeFn};
pub use photon_backend_common::Device;
