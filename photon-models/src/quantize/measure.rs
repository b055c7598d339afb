//! How far the int8 towers are from the float ones: cosine of each calibration image's
//! embedding (and top-1 agreement of a classifier's logits), cosine of each prompt's text
//! embedding, all on ONNX Runtime, the engine int8 models are made for.

use super::QuantizeError;
use crate::folder::ModelFolder;
use crate::quantization::{Accuracy, TowerAccuracy};
use crate::text::{TextTokenizer, embed_text};
use photon_core::vector::dot;
use photon_core::{Embedder, ImageBatch, ModelOutput, ModelSpec, TextSpec};
use photon_ort::{OrtEmbedder, OrtOptions, OrtTextEncoder, runtime_library_in};
use std::path::Path;

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

/// The int8 folder `int8` against the float `folder`, on `tensors` (preprocessed images).
pub(super) async fn accuracy(
    folder: &ModelFolder,
    int8: &ModelFolder,
    tensors: &[Vec<f32>],
    models: &Path,
) -> Result<Accuracy, QuantizeError> {
    let options = ort_options(models);
    let float_out = embed_images(&folder.image, tensors, &options).await?;
    let int8_out = embed_images(&int8.image, tensors, &options).await?;
    let cosines: Vec<f32> = float_out
        .iter()
        .zip(&int8_out)
        .map(|(a, b)| cosine(&a.embedding, &b.embedding))
        .collect();
    let mut image = tower_accuracy(&cosines);
    image.top1_agreement = top1_agreement(&float_out, &int8_out);
    let text = match (&folder.text, &int8.text) {
        (Some(Ok(float)), Some(Ok(quantized))) => {
            let a = embed_prompts(float, &options).await?;
            let b = embed_prompts(quantized, &options).await?;
            let cosines: Vec<f32> = a.iter().zip(&b).map(|(x, y)| cosine(x, y)).collect();
            let mut text = tower_accuracy(&cosines);
            text.prompts = Some(PROMPTS.len());
            Some(text)
        }
        _ => None,
    };
    let min_cosine = text.map_or(image.min_cosine, |t| t.min_cosine.min(image.min_cosine));
    Ok(Accuracy {
        image,
        text,
        min_cosine,
    })
}

fn ort_options(models: &Path) -> OrtOptions {
    let mut options = OrtOptions::default();
    options.library = runtime_library_in(models).ok();
    options
}

fn engine(e: impl std::error::Error + Send + Sync + 'static) -> QuantizeError {
    QuantizeError::Engine(Box::new(e))
}

async fn embed_images(
    spec: &ModelSpec,
    tensors: &[Vec<f32>],
    options: &OrtOptions,
) -> Result<Vec<ModelOutput>, QuantizeError> {
    let model = OrtEmbedder::new(spec.clone(), options).map_err(engine)?;
    let p = &spec.preprocessing;
    let mut outputs = Vec::with_capacity(tensors.len());
    for tensor in tensors {
        let batch = ImageBatch::stack(p.height, p.width, [tensor.as_slice()]).ok_or_else(|| {
            QuantizeError::Calibration("a calibration tensor of the wrong size".into())
        })?;
        outputs.extend(model.embed(batch).await.map_err(engine)?);
    }
    Ok(outputs)
}

async fn embed_prompts(
    spec: &TextSpec,
    options: &OrtOptions,
) -> Result<Vec<Vec<f32>>, QuantizeError> {
    let encoder = OrtTextEncoder::new(spec.clone(), options).map_err(engine)?;
    let tokenizer = TextTokenizer::from_spec(spec).map_err(engine)?;
    embed_text(&encoder, &tokenizer, &PROMPTS)
        .await
        .map_err(engine)
}

fn tower_accuracy(cosines: &[f32]) -> TowerAccuracy {
    TowerAccuracy {
        mean_cosine: cosines.iter().sum::<f32>() / cosines.len().max(1) as f32,
        min_cosine: cosines.iter().copied().fold(f32::INFINITY, f32::min),
        top1_agreement: None,
        prompts: None,
    }
}

/// The share of images whose top logit is the same, for classifiers.
fn top1_agreement(float: &[ModelOutput], int8: &[ModelOutput]) -> Option<f64> {
    float.first()?.logits.as_ref()?;
    let agree = float
        .iter()
        .zip(int8)
        .filter(|(a, b)| argmax(a.logits.as_deref()) == argmax(b.logits.as_deref()))
        .count();
    Some(agree as f64 / float.len() as f64)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| dot(v, v).sqrt();
    dot(a, b) / (norm(a) * norm(b)).max(f32::MIN_POSITIVE)
}

fn argmax(values: Option<&[f32]>) -> Option<usize> {
    let values = values?;
    (0..values.len()).max_by(|&i, &j| values[i].total_cmp(&values[j]))
}
