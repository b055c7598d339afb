//! Model folders as published, read into the plain descriptions photon-core's plugins take: the
//! three layouts ([`Layout`]), each tower's spec with the gaps its config left filled from the
//! graph, the tokenizer's files or transformers' defaults ([`Filled`]), and the folder Photon
//! keeps its models in ([`models_dir`]).
//!
//! The files form layers, each importing only those below it: `error`, `layout`, `onnx_graph`
//! and `defaults` at the bottom; `model_file`, `hf_config` and `special_tokens`; the readers of
//! each layout's towers (`hf_vision`, `hf_text`, `immich`); `towers`, which picks the reader;
//! `describe` on top. [`models_dir`] itself is photon-backend-common's, as the ONNX Runtime
//! backend finds its library there.

mod defaults;
mod describe;
mod error;
mod hf_config;
mod hf_text;
mod hf_vision;
mod immich;
mod layout;
mod model_file;
mod onnx_graph;
mod special_tokens;
mod towers;

pub use describe::{ModelFolder, describe_model_dir};
pub use error::ModelSpecError;
pub use layout::{DESCRIPTOR_FILE, Filled, Layout, QUANTIZATION_FILE, ValueSource};
pub use onnx_graph::{ElementType, GraphInterface, TensorDecl};
pub use photon_backend_common::models_dir;
pub use towers::{efficientnet_lite0, has_text_tower, load_model_dir, load_text_dir};
