//! [`ModelSpec`], everything an engine needs to know about an image model, and [`ModelFamily`],
//! the rules of a CLIP-style model's two towers.

use crate::preprocess::Preprocessing;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The family of a CLIP-style model, which decides its outputs, tokenisation and scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelFamily {
    /// SigLIP: embeddings from `pooler_output`, fixed-length text padded with the pad token and
    /// no attention mask, sigmoid scores.
    Siglip,
    /// CLIP: projected embeddings (`image_embeds`, `text_embeds`), start and end-of-text tokens
    /// with an attention mask, softmax scores.
    Clip,
}

/// Everything the pipeline and the engines need to know about an image model. Both ONNX
/// backends read the same spec, so swapping engines changes nothing else. A preset gives the
/// spec of a known model ([`efficientnet_lite0`]); [`load_model_dir`] reads one from a folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelSpec {
    /// Identifies the model in every record it contributes to (name and version or file hash).
    pub id: String,
    /// How an upright image becomes the model's input.
    pub preprocessing: Preprocessing,
    /// Length of each embedding vector.
    pub embedding_dim: usize,
    /// Most images the engine takes in one call; the driver's micro-batches never exceed it.
    pub max_batch: usize,
    /// The model file, for engines that load one (`None` for models that live in code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_file: Option<PathBuf>,
    /// Name of the image input (NCHW f32).
    pub input_name: String,
    /// Name of the output that holds the embedding (`[N, embedding_dim]`).
    pub embedding_output: String,
    /// Name of the classifier-logits output, for models that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logits_output: Option<String>,
    /// Class names, one per logit: a TSV `id<TAB>name` or one name per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_file: Option<PathBuf>,
}

impl ModelSpec {
    /// A spec with `max_batch` 8, input `input`, embedding output `embedding`, no file, no
    /// logits and no labels; set the other fields as needed.
    pub fn new(id: impl Into<String>, preprocessing: Preprocessing, embedding_dim: usize) -> Self {
        Self {
            id: id.into(),
            preprocessing,
            embedding_dim,
            max_batch: 8,
            model_file: None,
            input_name: "input".into(),
            embedding_output: "embedding".into(),
            logits_output: None,
            labels_file: None,
        }
    }

    /// The same spec reading `file`.
    pub fn with_model_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.model_file = Some(file.into());
        self
    }

    /// The same spec with other input and output names.
    pub fn with_io_names(
        mut self,
        input: &str,
        embedding_output: &str,
        logits_output: Option<&str>,
    ) -> Self {
        self.input_name = input.into();
        self.embedding_output = embedding_output.into();
        self.logits_output = logits_output.map(String::from);
        self
    }

    /// The same spec with a label file.
    pub fn with_labels_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.labels_file = Some(file.into());
        self
    }

    /// The same spec with another `max_batch` (at least 1).
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }
}
