//! Text search over a folder from the library: index the images with a CLIP/SigLIP image tower,
//! then rank them for a text query embedded by the matching text tower.
//!
//! ```sh
//! cargo run -p examples --example search -- testdata/models/tiny-clip testdata/photos "a photo of a cat"
//! ```
//! (The tiny test model has random weights: the ranking shows the mechanics, not meaning. Point
//! it at a real model folder in the Hugging Face ONNX layout for real results.)

use futures_util::StreamExt;
use photon_core::model_spec::load_model_dir;
use photon_core::text::{TextTokenizer, embed_text, load_text_dir};
use photon_core::walk::{WalkOptions, walk};
use photon_core::{Pipeline, Record, RunOptions};
use photon_ort::{OrtEmbedder, OrtOptions, OrtTextEncoder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| "testdata/models/tiny-clip".into());
    let folder = args.next().unwrap_or_else(|| "testdata/photos".into());
    let query = args.next().unwrap_or_else(|| "a photo of a cat".into());
    let options = OrtOptions {
        library: photon_ort::runtime_library(None)
            .ok()
            .or_else(|| photon_ort::find_wheel_library("models/onnxruntime".as_ref())),
        ..OrtOptions::default()
    };

    // 1. Index: embeddings only (no thumbnails, no tags).
    let images = OrtEmbedder::new(load_model_dir(model.as_ref())?, &options)?;
    let pipeline = Pipeline::builder().thumbnail(None).embedder(images).build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let index: Vec<(String, Vec<f32>)> = pipeline
        .run(inputs, RunOptions::default())
        .filter_map(|record| async move {
            match record {
                Record::Image(r) => Some((r.file_path, r.embedding?)),
                Record::Error(_) => None,
            }
        })
        .collect()
        .await;

    // 2. Query: the text tower puts the text in the same space; both sides are unit length.
    let text = load_text_dir(model.as_ref())?;
    let tokenizer = TextTokenizer::from_spec(&text)?;
    let encoder = OrtTextEncoder::new(text, &options)?;
    let query_vector = embed_text(&encoder, &tokenizer, &[query.as_str()])
        .await?
        .remove(0);
    let mut ranked: Vec<(f32, &str)> = index
        .iter()
        .map(|(path, v)| {
            (
                v.iter().zip(&query_vector).map(|(a, b)| a * b).sum(),
                path.as_str(),
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("\"{query}\" in {folder}:");
    for (score, path) in ranked.iter().take(5) {
        println!("  {score:.4}  {path}");
    }
    Ok(())
}
