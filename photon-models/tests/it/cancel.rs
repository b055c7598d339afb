//! Library cancellation with the default model loaded: a run over many inputs, cancelled after
//! a few records, stops taking inputs at once, finishes what was in flight (embedded and
//! tagged), and ends.

use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions, Source};
use photon_models::{ModelOptions, load_model};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models() -> PathBuf {
    let root =
        std::env::var_os("PHOTON_MODELS").map_or_else(|| repo().join("models"), PathBuf::from);
    assert!(
        root.join("efficientnet-lite0/photon-model.json").is_file(),
        "default model not installed: run scripts/setup.sh"
    );
    root
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_run_with_the_model_loaded_stops_intake_and_finishes_in_flight_work() {
    let options = ModelOptions::default()
        .models_dir(models())
        .parallelism(2, Some(1));
    let model = load_model(&models().join("efficientnet-lite0"), &options)
        .await
        .expect("the default model loads");
    let pipeline = Pipeline::builder()
        .embedder(model.embedder)
        .tagger_if_any(model.tagger)
        .build();
    let dog = std::fs::read(repo().join("testdata/photos/dog.jpg")).unwrap();
    let inputs = (0..1000).map(move |i| Source::Bytes {
        name: format!("dog-{i}.jpg"),
        bytes: dog.clone(),
    });
    let parallel = 2;
    let opts = RunOptions::default().parallel(parallel);
    let cancel = opts.cancel.clone();
    let start = Instant::now();
    let mut records = std::pin::pin!(pipeline.run(futures_util::stream::iter(inputs), opts));
    let mut seen: Vec<Record> = Vec::new();
    while let Some(record) = records.next().await {
        seen.push(record);
        if seen.len() == 3 {
            cancel.cancel();
        }
    }
    // What was decoding, queued for the model or in a model call when cancelled still comes
    // out; nothing new starts. Far fewer than the 1000 inputs, and quickly.
    assert!(
        (3..=3 + 16).contains(&seen.len()),
        "{} records after cancel",
        seen.len()
    );
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    for record in &seen {
        let Record::Image(image) = record else {
            panic!("{record:?}");
        };
        assert_eq!(image.embedding.as_ref().map(Vec::len), Some(1280));
        assert!(
            image.tags.as_ref().is_some_and(|t| !t.is_empty()),
            "tagged: {}",
            image.file_path
        );
    }
}
