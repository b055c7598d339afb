//! Plug your own model into the batch driver: a colour-histogram embedder, then a similarity
//! query over a folder.
//!
//! ```sh
//! cargo run -p examples --example custom_embedder -- testdata/photos
//! ```
//! The `Embedder` gets micro-batches of preprocessed NCHW tensors; the driver handles decoding,
//! batching, concurrency, L2 normalisation and per-image errors.

use async_trait::async_trait;
use futures_util::StreamExt;
use photon_core::Preprocessing;
use photon_core::{EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec};
use photon_core::{Pipeline, Record, RunOptions};
use photon_core::{WalkOptions, walk};

/// Bins per channel; the embedding has BINS³ dimensions.
const BINS: usize = 4;

/// A joint RGB histogram of a 64×64 view of the image.
struct ColourHistogram {
    spec: ModelSpec,
}

impl ColourHistogram {
    fn new() -> Self {
        // Squashed to 64x64, bilinear, samples in 0..1, RGB: the defaults.
        let preprocessing = Preprocessing::new(64, 64);
        Self {
            spec: ModelSpec::new(
                "example/colour-histogram-4",
                preprocessing,
                BINS * BINS * BINS,
            )
            .with_max_batch(16),
        }
    }
}

#[async_trait]
impl Embedder for ColourHistogram {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        let bin = |v: f32| ((v * BINS as f32) as usize).min(BINS - 1);
        Ok((0..batch.len)
            .map(|i| {
                let image = batch.image(i);
                let plane = image.len() / 3;
                let mut histogram = vec![0.0f32; BINS * BINS * BINS];
                for p in 0..plane {
                    let (r, g, b) = (
                        bin(image[p]),
                        bin(image[plane + p]),
                        bin(image[2 * plane + p]),
                    );
                    histogram[(r * BINS + g) * BINS + b] += 1.0;
                }
                ModelOutput::new(histogram)
            })
            .collect())
    }
}

#[tokio::main]
async fn main() {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/photos".into());
    let pipeline = Pipeline::builder()
        .embedder(ColourHistogram::new())
        .thumbnail(None)
        .build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let records: Vec<Record> = pipeline.run(inputs, RunOptions::default()).collect().await;
    let embedded: Vec<(String, Vec<f32>)> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Image(r) => Some((r.file_name.unwrap_or(r.file_path), r.embedding?)),
            Record::Error(e) => {
                eprintln!("skipped {}: {}", e.file_path, e.error);
                None
            }
        })
        .collect();
    let Some((query, query_vec)) = embedded.first() else {
        eprintln!("no images in {folder}");
        return;
    };
    println!("most similar in colour to {query}:");
    let mut ranked: Vec<(f32, &str)> = embedded[1..]
        .iter()
        // Embeddings arrive L2-normalised, so the dot product is the cosine.
        .map(|(name, v)| {
            (
                v.iter().zip(query_vec).map(|(a, b)| a * b).sum(),
                name.as_str(),
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (score, name) in ranked {
        println!("  {score:.3}  {name}");
    }
}
