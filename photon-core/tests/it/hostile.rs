//! Hostile inputs in a batch with good ones: each gets exactly one error record naming the stage
//! and a stable kind, nothing panics, and the good files are unaffected.

use futures_util::StreamExt;
use photon_core::{Pipeline, Record, RunOptions, Source, Stage};
use std::collections::HashMap;
use std::path::PathBuf;

#[tokio::test]
async fn every_hostile_file_gets_one_error_record_and_good_files_succeed() {
    let hostile = photon_testkit::files_in("hostile");
    let good = photon_testkit::files_in("photos");
    let missing = photon_testkit::testdata().join("no-such-file.jpg");
    let directory = photon_testkit::testdata().join("photos");
    let mut inputs: Vec<PathBuf> = hostile.iter().chain(&good).cloned().collect();
    inputs.push(missing.clone());
    inputs.push(directory.clone());

    let sources = futures_util::stream::iter(inputs.clone().into_iter().map(Source::Path));
    let opts = RunOptions::default().parallel(4);
    let records: Vec<Record> = Pipeline::default().run(sources, opts).collect().await;

    assert_eq!(records.len(), inputs.len(), "exactly one record per input");
    let by_path: HashMap<String, Record> = records
        .into_iter()
        .map(|r| (r.file_path().to_owned(), r))
        .collect();
    assert_eq!(by_path.len(), inputs.len(), "no input recorded twice");

    let expected_kind = |name: &str| match name {
        "broken.png" | "garbage-after-soi.jpg" => ["malformed", "truncated"].as_slice(),
        "decompression_bomb.gif" | "png_decompression_dos.png" => &["limits_exceeded"],
        "empty.jpg" | "not-an-image.jpg" => &["unsupported_format"],
        "truncated.jpg" | "truncated.png" => &["truncated"],
        other => panic!("unexpected hostile fixture {other}: add it here"),
    };
    for path in &hostile {
        let record = &by_path[&path.to_string_lossy().into_owned()];
        let error = record
            .error()
            .unwrap_or_else(|| panic!("{path:?} was accepted: {record:?}"));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(error.stage, Stage::Decode, "{name}");
        assert!(
            expected_kind(name).contains(&error.kind.as_str()),
            "{name}: {error}"
        );
        let Record::Error(e) = record else {
            unreachable!()
        };
        assert_eq!(
            e.file_size,
            Some(std::fs::metadata(path).unwrap().len()),
            "{name} keeps its identity"
        );
        assert!(e.content_hash.is_some(), "{name} keeps its content hash");
    }
    for path in &good {
        let record = &by_path[&path.to_string_lossy().into_owned()];
        let Record::Image(image) = record else {
            panic!("{path:?} failed: {record:?}")
        };
        assert!(image.thumbnail.is_some() && image.perceptual_hash.is_some());
    }
    let error = by_path[&missing.to_string_lossy().into_owned()]
        .error()
        .cloned()
        .unwrap();
    assert_eq!(
        (error.stage, error.kind.as_str()),
        (Stage::Read, "not_found")
    );
    let error = by_path[&directory.to_string_lossy().into_owned()]
        .error()
        .cloned()
        .unwrap();
    assert_eq!(
        (error.stage, error.kind.as_str()),
        (Stage::Read, "not_a_file")
    );
}

#[tokio::test]
async fn oversized_inputs_are_refused_before_reading() {
    let pipeline = Pipeline::builder().max_file_bytes(1000).build();
    let record = pipeline
        .process(photon_testkit::testdata().join("photos/dog.jpg").as_path())
        .await;
    let error = record.error().expect("over the input limit");
    assert_eq!(
        (error.stage, error.kind.as_str()),
        (Stage::Read, "too_large")
    );
}
