//! Find duplicate photos in a folder: exact copies and near duplicates, with the file to keep.
//!
//! ```sh
//! cargo run -p examples --example near_duplicates -- testdata/photos
//! ```
//! Composes a lean pipeline (no thumbnails, no EXIF, no model) and hands its records to
//! `photon_index::dedup`, which finds near pairs by multi-index hashing rather than comparing
//! every pair.

use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions};
use photon_core::{WalkOptions, walk};
use photon_index::dedup::{DedupOptions, find_duplicates};

#[tokio::main]
async fn main() {
    let folder = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "testdata/photos".into());
    let pipeline = Pipeline::builder().thumbnail(None).exif(false).build();
    let inputs = futures_util::stream::iter(walk([&folder], &WalkOptions::default()));
    let records: Vec<Record> = pipeline.run(inputs, RunOptions::default()).collect().await;
    for record in &records {
        if let Record::Error(e) = record {
            eprintln!("skipped {}: {}", e.file_path, e.error);
        }
    }
    let found = find_duplicates(records, &DedupOptions::default());
    for group in &found.groups {
        println!(
            "{:?} ({:?}): keep {}",
            group.kind, group.distance, group.keep
        );
        for file in group.files.iter().filter(|f| **f != group.keep) {
            println!("    {file}");
        }
    }
    println!(
        "{} images, {} duplicate groups",
        found.images,
        found.groups.len()
    );
}
