//! Find near-duplicate photos in a folder by perceptual hash.
//!
//! ```sh
//! cargo run -p examples --example near_duplicates -- testdata/photos
//! ```
//! Composes a lean pipeline (no thumbnails, no EXIF) and compares every pair of hashes.

use futures_util::StreamExt;
use photon_core::PerceptualHash;
use photon_core::{Pipeline, Record, RunOptions};
use photon_core::{WalkOptions, walk};

/// Hashes at most this many bits apart count as near-duplicates.
const MAX_DISTANCE: u32 = 10;

#[tokio::main]
async fn main() {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/photos".into());
    let pipeline = Pipeline::builder().thumbnail(None).exif(false).build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let mut hashes: Vec<(String, PerceptualHash)> = Vec::new();
    let mut records = std::pin::pin!(pipeline.run(inputs, RunOptions::default()));
    while let Some(record) = records.next().await {
        match record {
            Record::Image(r) => {
                if let Some(hash) = r.perceptual_hash.as_deref().and_then(|h| h.parse().ok()) {
                    hashes.push((r.file_path, hash));
                }
            }
            Record::Error(e) => eprintln!("skipped {}: {}", e.file_path, e.error),
        }
    }
    hashes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut pairs = 0;
    for (i, (a, ha)) in hashes.iter().enumerate() {
        for (b, hb) in &hashes[i + 1..] {
            let distance = ha.distance(*hb);
            if distance <= MAX_DISTANCE {
                println!("{distance:2} bits  {a}  {b}");
                pairs += 1;
            }
        }
    }
    println!("{} images, {pairs} near-duplicate pairs", hashes.len());
}
