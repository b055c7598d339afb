//! Text search over a folder from the library: index the images with a CLIP/SigLIP image tower,
//! then rank them for a text query embedded by the matching text tower.
//!
//! ```sh
//! cargo run -p examples --example search -- testdata/models/tiny-clip testdata/photos "a photo of a cat"
//! ```
//! (The tiny test model has random weights: the ranking shows the mechanics, not meaning. Point
//! it at a real model folder in the Hugging Face ONNX layout for real results.)

use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions, WalkOptions, walk};
use photon_index::{Query, rank_records};
use photon_models::{TextTokenizer, embed_text, load_model_dir, load_text_dir};
use photon_ort::{OrtEmbedder, OrtOptions, OrtTextEncoder};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args
        .next()
        .unwrap_or_else(|| "testdata/models/tiny-clip".into());
    let folder = args.next().unwrap_or_else(|| "testdata/photos".into());
    let query = args.next().unwrap_or_else(|| "a photo of a cat".into());
    // ONNX Runtime is found through ORT_DYLIB_PATH or in ./models, where `photon models fetch`
    // installs it.
    let options = OrtOptions::default();

    // 1. Index: embeddings only (no thumbnails, no tags).
    let vision = load_model_dir(model.as_ref())?;
    let model_id = vision.id.clone();
    let pipeline = Pipeline::builder()
        .thumbnail(None)
        .embedder(OrtEmbedder::new(vision, &options)?)
        .build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let records: Vec<Record> = pipeline.run(inputs, RunOptions::default()).collect().await;

    // 2. Query: the text tower puts the text in the same space; both sides are unit length.
    let text = load_text_dir(model.as_ref())?;
    let tokenizer = TextTokenizer::from_spec(&text)?;
    let encoder = OrtTextEncoder::new(text, &options)?;
    let query_vector = embed_text(&encoder, &tokenizer, &[query.as_str()])
        .await?
        .remove(0);
    let ranking = rank_records(records, Query::new(&model_id, &query_vector), 5)?;
    println!("\"{query}\" in {folder}:");
    for hit in ranking.hits {
        println!("  {:.4}  {}", hit.score, hit.file_path);
    }
    Ok(())
}
