//! A Hugging Face `config.json`, read in one place for the vision and the text tower: the
//! family, each tower's section, and every value a tower needs, from the file when it has it,
//! else from transformers' defaults, each gap filled noted for `photon models show`.

use super::defaults::{ConfigClass, Tower, transformers_default};
use super::error::{ModelSpecError, invalid, read_json};
use super::layout::{Filled, ValueSource};
use photon_core::ModelFamily;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A parsed `config.json` and the gaps filled so far.
#[derive(Debug)]
pub(crate) struct HfConfig {
    path: PathBuf,
    json: Value,
    class: ConfigClass,
    pub(crate) filled: Vec<Filled>,
}

impl HfConfig {
    /// Reads `dir/config.json`; its `model_type` must name CLIP, SigLIP or SigLIP 2.
    pub(crate) fn read(dir: &Path) -> Result<Self, ModelSpecError> {
        let path = dir.join("config.json");
        let json = read_json(&path)?;
        // Vision- or text-only exports name the tower's class at the top instead.
        let model_type = json["model_type"]
            .as_str()
            .or_else(|| json["vision_config"]["model_type"].as_str())
            .or_else(|| json["text_config"]["model_type"].as_str())
            .unwrap_or_default()
            .to_owned();
        let class = ConfigClass::from_model_type(&model_type).ok_or_else(|| {
            invalid(
                &path,
                format!("model_type {model_type:?} is none of clip, siglip, siglip2"),
            )
        })?;
        Ok(Self {
            path,
            json,
            class,
            filled: Vec::new(),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// CLIP's or SigLIP's rules (SigLIP 2 follows SigLIP's).
    pub(crate) fn family(&self) -> ModelFamily {
        match self.class {
            ConfigClass::Clip => ModelFamily::Clip,
            ConfigClass::Siglip | ConfigClass::Siglip2 => ModelFamily::Siglip,
        }
    }

    fn section(&self, tower: Tower) -> &Value {
        match tower {
            Tower::Vision => self.json.get("vision_config").unwrap_or(&self.json),
            Tower::Text => self.json.get("text_config").unwrap_or(&Value::Null),
        }
    }

    /// The key as the file would spell it, for messages and reports.
    pub(crate) fn field(&self, tower: Tower, key: &str) -> String {
        match tower {
            Tower::Vision if self.json.get("vision_config").is_some() => {
                format!("vision_config.{key}")
            }
            Tower::Vision => key.to_owned(),
            Tower::Text => format!("text_config.{key}"),
        }
    }

    /// A whole number the file itself gives in `tower`'s section.
    pub(crate) fn explicit(&self, tower: Tower, key: &str) -> Option<u64> {
        self.section(tower).get(key).and_then(Value::as_u64)
    }

    /// The file's value, else transformers' default (noted); `None` when neither has one.
    pub(crate) fn count(&mut self, tower: Tower, key: &str) -> Option<u64> {
        if let Some(value) = self.explicit(tower, key) {
            return Some(value);
        }
        let value = transformers_default(self.class, tower, key)?;
        self.note(
            tower,
            key,
            value,
            ValueSource::Default(self.class.source(tower)),
        );
        Some(value)
    }

    /// Records that `key` of `tower` came from somewhere other than the file.
    pub(crate) fn note(
        &mut self,
        tower: Tower,
        key: &str,
        value: impl ToString,
        from: ValueSource,
    ) {
        let field = self.field(tower, key);
        self.filled.push(Filled {
            field,
            value: value.to_string(),
            source: from,
        });
    }

    /// A number at the top level (`logit_scale`, `logit_bias`).
    pub(crate) fn float(&self, key: &str) -> Option<f32> {
        self.json.get(key).and_then(Value::as_f64).map(|v| v as f32)
    }

    /// The length of the tower's embedding as the file states it: CLIP's `projection_dim` (at
    /// the top, or in the tower's section), SigLIP's `hidden_size` (it has no projection).
    pub(crate) fn stated_embedding_dim(&self, tower: Tower) -> Option<(u64, String)> {
        match self.family() {
            ModelFamily::Clip => self
                .json
                .get("projection_dim")
                .and_then(Value::as_u64)
                .map(|d| (d, "projection_dim".to_owned()))
                .or_else(|| {
                    self.explicit(tower, "projection_dim")
                        .map(|d| (d, self.field(tower, "projection_dim")))
                }),
            _ => self
                .explicit(tower, "hidden_size")
                .map(|d| (d, self.field(tower, "hidden_size"))),
        }
    }

    /// The embedding length: what the graph's output declares, which must agree with the file
    /// when the file states one; else the file's; else transformers' default (noted).
    pub(crate) fn embedding_dim(
        &mut self,
        tower: Tower,
        declared: Option<(u64, &Path)>,
    ) -> Result<usize, ModelSpecError> {
        let stated = self.stated_embedding_dim(tower);
        let key = match self.family() {
            ModelFamily::Clip => "projection_dim",
            _ => "hidden_size",
        };
        match (declared, stated) {
            (Some((graph, file)), Some((config, field))) if graph != config => Err(invalid(
                &self.path,
                format!(
                    "{field} is {config} but {} outputs {graph} values",
                    file.display()
                ),
            )),
            (Some((graph, file)), None) => {
                let source = ValueSource::Graph(file.to_path_buf());
                self.note(tower, key, graph, source);
                Ok(graph as usize)
            }
            (_, Some((config, _))) => Ok(config as usize),
            (None, None) => self
                .count(tower, key)
                .map(|d| d as usize)
                .ok_or_else(|| invalid(&self.path, format!("no {}", self.field(tower, key)))),
        }
    }
}
