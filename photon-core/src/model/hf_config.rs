//! A Hugging Face `config.json`, read in one place for the vision and the text tower: the
//! family, each tower's section, sizes and token ids.

use super::ModelFamily;
use super::spec::{ModelSpecError, invalid, read_json};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One tower's section of the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tower {
    /// `vision_config`, or the whole file for a vision-only config.
    Vision,
    /// `text_config`.
    Text,
}

/// A parsed `config.json`.
#[derive(Debug)]
pub(crate) struct HfConfig {
    path: PathBuf,
    json: Value,
}

impl HfConfig {
    /// Reads `dir/config.json`.
    pub(crate) fn read(dir: &Path) -> Result<Self, ModelSpecError> {
        let path = dir.join("config.json");
        let json = read_json(&path)?;
        Ok(Self { path, json })
    }

    /// CLIP when `model_type` says so, else SigLIP.
    pub(crate) fn family(&self) -> ModelFamily {
        let model_type = self.json["model_type"].as_str().unwrap_or_default();
        if model_type.contains("clip") {
            ModelFamily::Clip
        } else {
            ModelFamily::Siglip
        }
    }

    fn section(&self, tower: Tower) -> &Value {
        match tower {
            Tower::Vision => self.json.get("vision_config").unwrap_or(&self.json),
            Tower::Text => self.json.get("text_config").unwrap_or(&Value::Null),
        }
    }

    /// A whole number of `tower`'s section.
    pub(crate) fn count(&self, tower: Tower, key: &str) -> Option<u64> {
        self.section(tower).get(key).and_then(Value::as_u64)
    }

    /// A whole number the tower cannot do without; the error names it as the file does.
    pub(crate) fn require(&self, tower: Tower, key: &str) -> Result<u64, ModelSpecError> {
        self.count(tower, key).ok_or_else(|| {
            let section = match tower {
                Tower::Vision if self.json.get("vision_config").is_some() => "vision_config.",
                Tower::Vision => "",
                Tower::Text => "text_config.",
            };
            invalid(&self.path, format!("no {section}{key}"))
        })
    }

    /// A number at the top level (`logit_scale`, `logit_bias`).
    pub(crate) fn float(&self, key: &str) -> Option<f32> {
        self.json.get(key).and_then(Value::as_f64).map(|v| v as f32)
    }

    /// The length of the tower's embedding: CLIP's shared `projection_dim` (at the top, or in
    /// the tower's section), SigLIP's `hidden_size` (it has no projection).
    pub(crate) fn embedding_dim(&self, tower: Tower) -> Result<usize, ModelSpecError> {
        let dim = match self.family() {
            ModelFamily::Clip => self
                .json
                .get("projection_dim")
                .and_then(Value::as_u64)
                .or_else(|| self.count(tower, "projection_dim")),
            _ => self.count(tower, "hidden_size"),
        };
        let what = match tower {
            Tower::Vision => "no embedding size (hidden_size / projection_dim)",
            Tower::Text => "no text embedding size (text_config.hidden_size / projection_dim)",
        };
        dim.map(|d| d as usize)
            .ok_or_else(|| invalid(&self.path, what))
    }
}

/// The name a folder's model goes by: the folder's own name, else `fallback`.
pub(crate) fn folder_name(dir: &Path, fallback: &str) -> String {
    dir.file_name()
        .map_or_else(|| fallback.to_owned(), |n| n.to_string_lossy().into_owned())
}
