//! `quantization.json`: what was quantized how, and how far the int8 towers are from the float
//! ones. The same struct is written by `quantize` (feature `ort`) and read back by
//! [`describe_model_dir`](crate::describe_model_dir).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// How a tower is quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum QuantizeMode {
    /// int8 weights, activations quantized as they come: transformer towers.
    Dynamic,
    /// QDQ with ranges calibrated on images: convolutional models (EfficientNet).
    Static,
}

impl QuantizeMode {
    /// `dynamic` or `static`, as the file and onnxruntime's tooling name them.
    pub fn name(self) -> &'static str {
        match self {
            QuantizeMode::Dynamic => "dynamic",
            QuantizeMode::Static => "static",
        }
    }
}

/// The model a quantized folder was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuantizedFrom {
    /// The float image tower's id.
    pub model_id: String,
    /// The float text tower's id, for a folder that has one.
    pub text_model_id: Option<String>,
    /// The float folder.
    pub folder: PathBuf,
}

/// The images calibration and measurement used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Calibration {
    /// How many.
    pub images: usize,
    /// Their folder.
    pub folder: PathBuf,
}

/// One tower's int8 outputs against the float ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TowerAccuracy {
    /// Mean cosine of the int8 embedding to the float one.
    pub mean_cosine: f32,
    /// Smallest cosine.
    pub min_cosine: f32,
    /// Share of images whose top classifier label is the float model's (classifiers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top1_agreement: Option<f64>,
    /// How many prompts the text tower was measured on (text towers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts: Option<usize>,
}

/// What was measured once the int8 towers existed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Accuracy {
    /// The image tower.
    pub image: TowerAccuracy,
    /// The text tower, for a folder that has one.
    pub text: Option<TowerAccuracy>,
    /// The smallest cosine of either tower: what `max_loss` is held against.
    pub min_cosine: f32,
}

/// The whole of `quantization.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuantizationReport {
    /// How the image tower was quantized (text towers always dynamically).
    pub mode: QuantizeMode,
    /// The weights' type: `int8`.
    pub weights: String,
    /// The float model.
    pub source: QuantizedFrom,
    /// onnxruntime's, onnx's and numpy's versions.
    pub tools: BTreeMap<String, String>,
    /// The calibration images.
    pub calibration: Calibration,
    /// The smallest cosine the caller accepted.
    pub max_loss: f32,
    /// The measurement: `None` only inside a folder still being made.
    #[serde(flatten)]
    pub accuracy: Option<Accuracy>,
}

impl fmt::Display for QuantizationReport {
    /// One line: mode, source and accuracy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "int8, {} mode, from {}",
            self.mode.name(),
            self.source.model_id
        )?;
        match &self.accuracy {
            Some(accuracy) => write!(f, "; {accuracy}"),
            None => f.write_str("; not measured"),
        }
    }
}

impl fmt::Display for Accuracy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let image = &self.image;
        write!(
            f,
            "image cosine to float mean {:.4}, min {:.4}",
            image.mean_cosine, image.min_cosine
        )?;
        if let Some(top1) = image.top1_agreement {
            write!(f, ", top-1 agreement {:.0}%", top1 * 100.0)?;
        }
        if let Some(text) = &self.text {
            write!(
                f,
                "; text mean {:.4}, min {:.4}",
                text.mean_cosine, text.min_cosine
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_round_trips_through_its_json_with_and_without_its_measurement() {
        let image = TowerAccuracy {
            mean_cosine: 0.998,
            min_cosine: 0.995,
            top1_agreement: Some(1.0),
            prompts: None,
        };
        let mut report = QuantizationReport {
            mode: QuantizeMode::Static,
            weights: "int8".into(),
            source: QuantizedFrom {
                model_id: "efficientnet-lite0@abc".into(),
                text_model_id: None,
                folder: "models/efficientnet-lite0".into(),
            },
            tools: BTreeMap::from([("onnxruntime".into(), "1.32.0".into())]),
            calibration: Calibration {
                images: 7,
                folder: "testdata/photos".into(),
            },
            max_loss: 0.99,
            accuracy: Some(Accuracy {
                image,
                text: None,
                min_cosine: 0.995,
            }),
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["image"]["min_cosine"].as_f64().unwrap() as f32, 0.995);
        assert_eq!(json["mode"], "static");
        assert_eq!(
            serde_json::from_value::<QuantizationReport>(json).unwrap(),
            report
        );
        report.accuracy = None;
        let json = serde_json::to_value(&report).unwrap();
        assert!(json.get("image").is_none());
        assert_eq!(
            serde_json::from_value::<QuantizationReport>(json).unwrap(),
            report
        );
        assert!(report.to_string().ends_with("not measured"));
    }
}
