//! int8 copies of model folders, made with onnxruntime's own quantization tooling, measured
//! against the float model on calibration images before anything is written, and refused when
//! they lose more than the caller allows.
//!
//! Photon does the parts that must be Photon's: decoding and preprocessing the calibration
//! images exactly as a run does, and measuring the int8 embeddings against the float ones with
//! the engine that will run them. A Python script (run with onnxruntime's tools, installed once
//! into the models folder) only quantizes.

mod calibration;
mod measure;
mod staging;
mod tools;

use crate::folder::{Layout, ModelFolder, ModelSpecError, describe_model_dir};
use crate::python::PythonError;
use crate::quantization::{Calibration, QuantizationReport, QuantizeMode, QuantizedFrom};
use photon_core::{DecodeRequest, Decoder, ImageCrateDecoder, ModelSpec, Source, walk};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How [`quantize`] works.
#[derive(Clone)]
#[non_exhaustive]
pub struct QuantizeOptions {
    /// The image tower's mode; `None`: static for Photon's folders (convolutional
    /// classifiers), dynamic for CLIP/SigLIP towers.
    pub mode: Option<QuantizeMode>,
    /// The images calibration and measurement use.
    pub calibration: PathBuf,
    /// Smallest cosine to the float embedding any calibration image (or prompt) may have.
    pub max_loss: f32,
    /// A Python 3 interpreter with pip.
    pub python: String,
    /// The models folder, where onnxruntime's tools are installed once and ONNX Runtime is.
    pub models: PathBuf,
    /// Decodes the calibration images, as the runs that will use the model do.
    pub decoder: Arc<dyn Decoder>,
}

impl QuantizeOptions {
    /// Calibrated on the images of `calibration`, refusing a cosine below 0.99, with `python3`,
    /// the environment's models folder and the image-crate decoder.
    pub fn new(calibration: PathBuf) -> Self {
        Self {
            mode: None,
            calibration,
            max_loss: 0.99,
            python: "python3".into(),
            models: crate::models_dir(),
            decoder: Arc::new(ImageCrateDecoder),
        }
    }
}

/// Why a folder was not quantized. Nothing is left behind in any case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuantizeError {
    /// The output exists already.
    #[error("{0} exists already")]
    Exists(PathBuf),
    /// The source is not a model folder Photon reads.
    #[error("cannot read the model folder")]
    Folder(#[source] ModelSpecError),
    /// The calibration images could not be read or preprocessed.
    #[error("calibration: {0}")]
    Calibration(String),
    /// onnxruntime's tooling failed.
    #[error("quantizing failed")]
    Tool(#[source] PythonError),
    /// A tower could not be run to measure it.
    #[error("measuring failed")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A file could not be read or written.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The int8 towers lose more than `max_loss` allows: the report says by how much.
    #[error("refused: {report}, below the smallest cosine allowed ({})", report.max_loss)]
    Refused {
        /// What was measured.
        report: Box<QuantizationReport>,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> QuantizeError + '_ {
    move |source| QuantizeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Quantizes the folder `src` into the new folder `out`: measures the int8 towers against the
/// float ones on the calibration images (and CLIP/SigLIP text towers on prompts), and renames
/// the folder into place only when no cosine is below `options.max_loss`. The report is also
/// `out/quantization.json`.
pub async fn quantize(
    src: &Path,
    out: &Path,
    options: &QuantizeOptions,
) -> Result<QuantizationReport, QuantizeError> {
    if out.exists() {
        return Err(QuantizeError::Exists(out.to_path_buf()));
    }
    let folder = describe_model_dir(src).map_err(QuantizeError::Folder)?;
    let mode = options.mode.unwrap_or(match folder.layout {
        // Photon's own folders hold convolutional classifiers (EfficientNet-Lite0).
        Layout::Photon => QuantizeMode::Static,
        _ => QuantizeMode::Dynamic,
    });
    let images = calibration_images(&options.calibration)?;
    let tensors = preprocess(&images, &folder.image, options.decoder.as_ref())?;
    let staging = staging::Staging::new(out)?;
    let report = made(src, &staging, &folder, mode, &tensors, options).await?;
    let accuracy = report.accuracy.as_ref().expect("measured");
    if accuracy.min_cosine < options.max_loss {
        return Err(QuantizeError::Refused {
            report: Box::new(report),
        });
    }
    staging.write_report(&report)?;
    staging.finish(out)?;
    Ok(report)
}

/// The int8 folder made in `staging` and measured: the report, not yet checked.
async fn made(
    src: &Path,
    staging: &staging::Staging,
    folder: &ModelFolder,
    mode: QuantizeMode,
    tensors: &[Vec<f32>],
    options: &QuantizeOptions,
) -> Result<QuantizationReport, QuantizeError> {
    let tools = tools::install(&options.python, &options.models)?;
    let versions = staging.quantize_towers(src, folder, mode, tensors, &tools, &options.python)?;
    let mut report = QuantizationReport {
        mode,
        weights: "int8".into(),
        source: QuantizedFrom {
            model_id: folder.image.id.clone(),
            text_model_id: match &folder.text {
                Some(Ok(text)) => Some(text.id.clone()),
                _ => None,
            },
            folder: src.to_path_buf(),
        },
        tools: versions,
        calibration: Calibration {
            images: tensors.len(),
            folder: options.calibration.clone(),
        },
        max_loss: options.max_loss,
        accuracy: None,
    };
    // The report first, so that the ids of the measured towers already name the int8 variant.
    staging.write_report(&report)?;
    let int8 = describe_model_dir(staging.path()).map_err(QuantizeError::Folder)?;
    report.accuracy = Some(measure::accuracy(folder, &int8, tensors, &options.models).await?);
    Ok(report)
}

/// The images of `dir`, as a walk finds them.
fn calibration_images(dir: &Path) -> Result<Vec<PathBuf>, QuantizeError> {
    let images: Vec<PathBuf> = walk([dir], &Default::default())
        .filter_map(Result::ok)
        .filter_map(|source| match source {
            Source::Path(path) => Some(path),
            _ => None,
        })
        .collect();
    if images.is_empty() {
        return Err(QuantizeError::Calibration(format!(
            "no images in {}",
            dir.display()
        )));
    }
    Ok(images)
}

/// Each image decoded and preprocessed as a run does it: the model's input tensors.
fn preprocess(
    images: &[PathBuf],
    spec: &ModelSpec,
    decoder: &dyn Decoder,
) -> Result<Vec<Vec<f32>>, QuantizeError> {
    images
        .iter()
        .map(|path| {
            let shown = |e: &dyn std::fmt::Display| {
                QuantizeError::Calibration(format!("{}: {e}", path.display()))
            };
            let bytes = std::fs::read(path).map_err(io(path))?;
            let decoded = decoder
                .decode(&bytes, &DecodeRequest::default())
                .map_err(|e| shown(&e))?;
            spec.preprocessing
                .apply(&decoded.pixels)
                .map_err(|e| shown(&e))
        })
        .collect()
}
