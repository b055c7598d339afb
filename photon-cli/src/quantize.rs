//! `photon models quantize SRC OUT`: an int8 copy of a model folder, made with onnxruntime's
//! own quantization tooling, measured against the float model on calibration images before
//! anything is written, and refused when it loses more than `--max-loss` allows.
//!
//! Photon does the parts that must be Photon's: decoding and preprocessing the calibration
//! images exactly as a run does, and measuring the int8 embeddings against the float ones with
//! the engine that will run them. The Python script only quantizes.

use crate::models::{path_str, pip, tempdir};
use photon_core::{
    DESCRIPTOR_FILE, DecodeRequest, Layout, ModelFolder, ModelSpec, QUANTIZATION_FILE, TextSpec,
    default_decoder, describe_model_dir, models_dir,
};
use photon_ort::{OrtEmbedder, OrtOptions, runtime_library_in};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = include_str!("../python/quantize.py");
/// What the script imports, installed once beside the models (with their dependencies).
const TOOLS: [&str; 3] = ["onnxruntime==1.32.0", "onnx", "numpy"];
/// Prompts the text tower is measured on.
const PROMPTS: [&str; 16] = [
    "a photo of a cat",
    "a photo of a dog",
    "a photo of a car",
    "a red car on a street",
    "a beach at sunset",
    "a cup of espresso",
    "an astronaut with a helmet",
    "a rocket",
    "horses in a field",
    "an eagle in the sky",
    "a city street at night",
    "a house with a garden",
    "a plate of food",
    "a mountain",
    "a tree",
    "a bird",
];

/// How the image tower is quantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// int8 weights, activations quantized as they come: transformer towers.
    Dynamic,
    /// QDQ with ranges calibrated on images: convolutional models (EfficientNet).
    Static,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Dynamic => "dynamic",
            Mode::Static => "static",
        }
    }
}

/// `photon models quantize`'s arguments.
pub use crate::args::QuantizeArgs as Request;

/// Quantizes, measures, and writes `out` (or refuses, writing nothing).
pub async fn quantize(request: &Request) -> Result<(), String> {
    if request.out.exists() {
        return Err(format!("{} exists already", request.out.display()));
    }
    let folder = describe_model_dir(&request.src).map_err(|e| e.to_string())?;
    let mode = request.mode.unwrap_or(match folder.layout {
        // Photon's own folders hold convolutional classifiers (EfficientNet-Lite0).
        Layout::Photon => Mode::Static,
        _ => Mode::Dynamic,
    });
    let images = calibration_images(request.calibration.as_deref())?;
    let tensors = preprocess(&images, &folder.image)?;
    let tools = tools(&request.python)?;
    let staging = staging_dir(&request.out)?;
    let report = match make_int8_folder(request, &folder, mode, &tensors, &tools, &staging) {
        Ok(versions) => measure(&request.src, &staging, &folder, &tensors)
            .await
            .map(|loss| report(request, &folder, mode, images.len(), versions, loss)),
        Err(e) => Err(e),
    };
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let worst = report["min_cosine"].as_f64().unwrap_or(0.0);
    let summary = summary(&report);
    if worst < request.max_loss {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(format!(
            "refused: {summary}, below --max-loss {}; nothing written",
            request.max_loss
        ));
    }
    write_json(&staging.join(QUANTIZATION_FILE), &report)?;
    std::fs::rename(&staging, &request.out)
        .map_err(|e| format!("{}: {e}", request.out.display()))?;
    println!(
        "quantized {} into {}: {summary}",
        request.src.display(),
        request.out.display()
    );
    Ok(())
}

/// The images calibration and measurement use: `dir`, else the repository's sample photos.
fn calibration_images(dir: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let default = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos"));
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None if default.is_dir() => default,
        None => return Err("no calibration images: pass --calibration DIR".into()),
    };
    let images: Vec<PathBuf> = photon_core::walk([&dir], &Default::default())
        .filter_map(Result::ok)
        .filter_map(|source| match source {
            photon_core::Source::Path(path) => Some(path),
            _ => None,
        })
        .collect();
    if images.is_empty() {
        return Err(format!("no images in {}", dir.display()));
    }
    Ok(images)
}

/// Each image decoded and preprocessed as a run does it: the model's input tensors.
fn preprocess(images: &[PathBuf], spec: &ModelSpec) -> Result<Vec<Vec<f32>>, String> {
    let decoder = default_decoder();
    images
        .iter()
        .map(|path| {
            let shown = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
            let bytes = std::fs::read(path).map_err(|e| shown(&e))?;
            let decoded = decoder
                .decode(&bytes, &DecodeRequest::default())
                .map_err(|e| shown(&e))?;
            spec.preprocessing
                .apply(&decoded.pixels)
                .map_err(|e| shown(&e))
        })
        .collect()
}

/// A Python path holding onnxruntime's quantization tooling, onnx and numpy, installed once
/// into the models folder. pip fills a folder of its own that is then renamed into place, so
/// that two installs at once (two quantizations, two tests) never mix their files.
fn tools(python: &str) -> Result<PathBuf, String> {
    let dir = models_dir().join("quantize-tools");
    if dir.join("onnxruntime/quantization").is_dir() && dir.join("onnx").is_dir() {
        return Ok(dir);
    }
    eprintln!(
        "photon: installing onnxruntime's quantization tools into {}",
        dir.display()
    );
    let partial = dir.with_file_name(format!(".quantize-tools.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    let target = path_str(&partial)?;
    let mut args = vec!["install", "--quiet", "--target", target];
    args.extend(TOOLS);
    let installed = pip(python, &args);
    if installed.is_ok() && std::fs::rename(&partial, &dir).is_ok() {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&partial);
    installed?;
    // Another install got there first.
    Ok(dir)
}

/// Where the folder is assembled before it is measured and renamed into place.
fn staging_dir(out: &Path) -> Result<PathBuf, String> {
    let name = out
        .file_name()
        .ok_or_else(|| format!("{} names no folder", out.display()))?;
    let staging = out.with_file_name(format!(".{}.quantizing", name.to_string_lossy()));
    let _ = std::fs::remove_dir_all(&staging);
    Ok(staging)
}

/// The int8 folder in `staging`: every file of the source, the towers quantized. Returns the
/// tool versions.
fn make_int8_folder(
    request: &Request,
    folder: &ModelFolder,
    mode: Mode,
    tensors: &[Vec<f32>],
    tools: &Path,
    staging: &Path,
) -> Result<Value, String> {
    let image_file = folder
        .image
        .model_file
        .clone()
        .ok_or("the model names no file")?;
    let text_file = match &folder.text {
        Some(Ok(text)) => Some(text.model_file.clone()),
        _ => None,
    };
    let replaced: Vec<&Path> = std::iter::once(image_file.as_path())
        .chain(text_file.as_deref())
        .collect();
    copy_tree(&request.src, staging, &replaced)?;
    let into_staging = |file: &Path| -> Result<PathBuf, String> {
        let relative = file
            .strip_prefix(&request.src)
            .map_err(|_| format!("{} is outside the folder", file.display()))?;
        Ok(staging.join(relative))
    };
    let calibration = tempdir()?;
    let versions = (|| -> Result<Value, String> {
        let mut extra = Vec::new();
        if mode == Mode::Static {
            write_tensors(&calibration, tensors, &folder.image)?;
            extra = vec![
                path_str(&calibration)?.to_owned(),
                folder.image.input_name.clone(),
            ];
        }
        let python = request.python.as_str();
        let image_out = into_staging(&image_file)?;
        let versions = run_script(python, tools, mode, &image_file, &image_out, &extra)?;
        if let Some(text) = &text_file {
            // Text towers are transformers: dynamic, whatever the image tower's mode.
            run_script(
                python,
                tools,
                Mode::Dynamic,
                text,
                &into_staging(text)?,
                &[],
            )?;
        }
        Ok(versions)
    })();
    let _ = std::fs::remove_dir_all(&calibration);
    let versions = versions?;
    if folder.layout == Layout::Photon {
        rename_descriptor_model(staging)?;
    }
    // The marker first, so that the ids of the measured towers already name the int8 variant.
    write_json(
        &staging.join(QUANTIZATION_FILE),
        &json!({"mode": mode.name()}),
    )?;
    Ok(versions)
}

/// Photon's descriptor names the model: its copy says `-int8`.
fn rename_descriptor_model(staging: &Path) -> Result<(), String> {
    let path = staging.join(DESCRIPTOR_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut descriptor: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if let Some(id) = descriptor["id"].as_str().filter(|id| !id.contains("int8")) {
        descriptor["id"] = Value::from(format!("{id}-int8"));
    }
    write_json(&path, &descriptor)
}

fn write_tensors(dir: &Path, tensors: &[Vec<f32>], spec: &ModelSpec) -> Result<(), String> {
    let p = &spec.preprocessing;
    write_json(&dir.join("shape.json"), &json!([3, p.height, p.width]))?;
    for (i, tensor) in tensors.iter().enumerate() {
        let bytes: Vec<u8> = tensor.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(dir.join(format!("{i:04}.f32")), bytes).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run_script(
    python: &str,
    tools: &Path,
    mode: Mode,
    src: &Path,
    out: &Path,
    extra: &[String],
) -> Result<Value, String> {
    let script = tempdir()?.join("quantize.py");
    std::fs::write(&script, SCRIPT).map_err(|e| e.to_string())?;
    let run = Command::new(python)
        .arg(&script)
        .arg(mode.name())
        .arg(src)
        .arg(out)
        .args(extra)
        .env("PYTHONPATH", tools)
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let _ = std::fs::remove_dir_all(script.parent().unwrap_or(&script));
    if !run.status.success() {
        return Err(format!(
            "quantizing {} failed: {}",
            src.display(),
            String::from_utf8_lossy(&run.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .map_err(|e| format!("the quantizer said {stdout:?}: {e}"))
}

/// Copies `src` into `dest`, except the `skipped` files (the towers about to be quantized).
fn copy_tree(src: &Path, dest: &Path, skipped: &[&Path]) -> Result<(), String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let entries = std::fs::read_dir(src).map_err(|e| format!("{}: {e}", src.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let target = dest.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target, skipped)?;
        } else if !skipped.contains(&path.as_path())
            && path.file_name().is_none_or(|n| n != QUANTIZATION_FILE)
        {
            std::fs::copy(&path, &target).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

/// How far the int8 towers are from the float ones.
struct Loss {
    image: Vec<f32>,
    top1: Option<(usize, usize)>,
    text: Option<Vec<f32>>,
}

async fn measure(
    src: &Path,
    staging: &Path,
    folder: &ModelFolder,
    tensors: &[Vec<f32>],
) -> Result<Loss, String> {
    let int8 = describe_model_dir(staging).map_err(|e| e.to_string())?;
    let float_out = embed_images(&folder.image, tensors).await?;
    let int8_out = embed_images(&int8.image, tensors).await?;
    let image = float_out
        .iter()
        .zip(&int8_out)
        .map(|(a, b)| cosine(&a.embedding, &b.embedding))
        .collect();
    let top1 = float_out[0].logits.as_ref().map(|_| {
        let agree = float_out
            .iter()
            .zip(&int8_out)
            .filter(|(a, b)| argmax(a.logits.as_deref()) == argmax(b.logits.as_deref()))
            .count();
        (agree, float_out.len())
    });
    let text = match (&folder.text, &int8.text) {
        (Some(Ok(float)), Some(Ok(quantized))) => {
            let a = embed_prompts(src, float).await?;
            let b = embed_prompts(staging, quantized).await?;
            Some(a.iter().zip(&b).map(|(x, y)| cosine(x, y)).collect())
        }
        _ => None,
    };
    Ok(Loss { image, top1, text })
}

fn ort_options() -> OrtOptions {
    let mut options = OrtOptions::default();
    options.library = runtime_library_in(&models_dir()).ok();
    options
}

async fn embed_images(
    spec: &ModelSpec,
    tensors: &[Vec<f32>],
) -> Result<Vec<photon_core::ModelOutput>, String> {
    use photon_core::Embedder;
    let model = OrtEmbedder::new(spec.clone(), &ort_options()).map_err(|e| e.to_string())?;
    let p = &spec.preprocessing;
    let mut outputs = Vec::with_capacity(tensors.len());
    for tensor in tensors {
        let batch = photon_core::ImageBatch::stack(p.height, p.width, [tensor.as_slice()])
            .ok_or("a calibration tensor of the wrong size")?;
        outputs.extend(model.embed(batch).await.map_err(|e| e.to_string())?);
    }
    Ok(outputs)
}

async fn embed_prompts(dir: &Path, spec: &TextSpec) -> Result<Vec<Vec<f32>>, String> {
    let encoder = photon_ort::OrtTextEncoder::new(spec.clone(), &ort_options())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let tokenizer = photon_core::TextTokenizer::from_spec(spec).map_err(|e| e.to_string())?;
    photon_core::embed_text(&encoder, &tokenizer, &PROMPTS)
        .await
        .map_err(|e| e.to_string())
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)
}

fn argmax(values: Option<&[f32]>) -> Option<usize> {
    let values = values?;
    (0..values.len()).max_by(|&i, &j| values[i].total_cmp(&values[j]))
}

/// `quantization.json`.
fn report(
    request: &Request,
    folder: &ModelFolder,
    mode: Mode,
    images: usize,
    versions: Value,
    loss: Loss,
) -> Value {
    let stats = |v: &[f32]| {
        let mean = v.iter().sum::<f32>() / v.len().max(1) as f32;
        let min = v.iter().copied().fold(f32::INFINITY, f32::min);
        (mean, min)
    };
    let (image_mean, image_min) = stats(&loss.image);
    let text = loss.text.as_deref().map(stats);
    let min = text.map_or(image_min, |(_, t)| t.min(image_min));
    let source_text = match &folder.text {
        Some(Ok(text)) => Some(text.id.clone()),
        _ => None,
    };
    json!({
        "mode": mode.name(),
        "weights": "int8",
        "source": {"model_id": folder.image.id, "text_model_id": source_text, "folder": request.src},
        "tools": versions,
        "calibration": {"images": images, "folder": request.calibration},
        "image": {
            "mean_cosine": image_mean,
            "min_cosine": image_min,
            "top1_agreement": loss.top1.map(|(agree, n)| agree as f64 / n as f64),
        },
        "text": text.map(|(mean, min)| json!({"prompts": PROMPTS.len(), "mean_cosine": mean, "min_cosine": min})),
        "min_cosine": min,
        "max_loss": request.max_loss,
    })
}

fn summary(report: &Value) -> String {
    let mut text = format!(
        "image cosine to float mean {:.4}, min {:.4}",
        report["image"]["mean_cosine"].as_f64().unwrap_or(0.0),
        report["image"]["min_cosine"].as_f64().unwrap_or(0.0)
    );
    if let Some(top1) = report["image"]["top1_agreement"].as_f64() {
        text += &format!(", top-1 tag agreement {:.0}%", top1 * 100.0);
    }
    if let Some(min) = report["text"]["min_cosine"].as_f64() {
        text += &format!(
            "; text mean {:.4}, min {min:.4}",
            report["text"]["mean_cosine"].as_f64().unwrap_or(0.0)
        );
    }
    text
}

fn write_json(path: &Path, value: &Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
