//! An app that composes its own pipeline: the pure-Rust tract engine (no native library), the
//! installed EfficientNet-Lite0 with ImageNet tags, and no thumbnails.
//!
//! ```sh
//! scripts/setup.sh   # once: installs the model
//! cargo run -p examples --example tract_pipeline -- testdata/photos
//! ```

use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions};
use photon_core::{TagOptions, read_labels};
use photon_core::{WalkOptions, walk};
use photon_models::ClassifierTagger;
use photon_models::load_model_dir;
use photon_tract::{TractEmbedder, TractOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/photos".into());
    let models = std::env::var("PHOTON_MODELS").unwrap_or_else(|_| "models".into());
    let spec = load_model_dir(&std::path::Path::new(&models).join("efficientnet-lite0"))?;
    let labels = read_labels(spec.labels_file.as_ref().ok_or("the model has no labels")?)?;
    // Swapping engines is this one line: photon_ort::OrtEmbedder::new(spec, &Default::default())?
    let embedder = TractEmbedder::new(spec, &TractOptions::default())?;
    let pipeline = Pipeline::builder()
        .thumbnail(None)
        .embedder(embedder)
        .tagger(ClassifierTagger::new(
            labels,
            None,
            TagOptions::default().top_k(3),
        ))
        .build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let mut records = std::pin::pin!(pipeline.run(inputs, RunOptions::default()));
    while let Some(record) = records.next().await {
        match record {
            Record::Image(r) => {
                let tags: Vec<String> = r
                    .tags
                    .unwrap_or_default()
                    .iter()
                    .map(|t| format!("{} ({:.2})", t.name, t.confidence))
                    .collect();
                println!(
                    "{}: {}",
                    r.file_name.unwrap_or(r.file_path),
                    tags.join(", ")
                );
            }
            Record::Error(e) => eprintln!("{}: {}", e.file_path, e.error),
        }
    }
    Ok(())
}
