//! The face stage in the driver: faces recorded (`[]` when none), a finder's failure or panic an
//! error of stage `faces` on a record that keeps its other fields, and resume redoing both
//! records with failed faces and records made without the stage.

use futures_util::StreamExt;
use photon_core::{
    FaceError, FaceFinder, FaceRecord, FoundFaces, JsonlSink, Pipeline, Record, RgbImage,
    RunOptions, Stage,
};
use std::path::Path;
use std::sync::Arc;

/// Decides by the image's width, so each test photo plays one part: astronaut (512) has no
/// face, chelsea (451) fails, coffee (600) panics, the others have three faces found of which
/// one is kept.
struct ScriptedFinder;

impl FaceFinder for ScriptedFinder {
    fn working_side(&self) -> u32 {
        1280
    }

    fn embedding_dim(&self) -> usize {
        4
    }

    fn find_faces(&self, images: &[&RgbImage]) -> Vec<Result<FoundFaces, FaceError>> {
        images
            .iter()
            .map(|image| match image.width() {
                512 => Ok(FoundFaces::new(Vec::new(), 0)),
                451 => Err(FaceError::other("model", "the recognition model failed")),
                600 => panic!("finder exploded"),
                width => {
                    let w = width as f32;
                    let face = FaceRecord::new(
                        [0.25 * w, 10.0, 0.5 * w, 60.0],
                        0.9,
                        [[1.0, 2.0]; 5],
                        vec![0.5; 4],
                    );
                    Ok(FoundFaces::new(vec![face], 3))
                }
            })
            .collect()
    }
}

fn pipeline(faces: bool) -> Pipeline {
    let builder = Pipeline::builder().thumbnail(None).exif(false);
    match faces {
        true => builder.faces(Arc::new(ScriptedFinder)).build(),
        false => builder.build(),
    }
}

fn photos() -> impl futures_util::Stream<Item = photon_core::SourceItem> {
    let dir = photon_testkit::testdata().join("photos");
    futures_util::stream::iter(photon_core::walk([dir], &Default::default()))
}

fn name(record: &Record) -> &str {
    Path::new(record.file_path())
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faces_are_recorded_and_a_failing_finder_fails_only_the_face_stage() {
    let records: Vec<Record> = pipeline(true)
        .run(photos(), RunOptions::default())
        .collect()
        .await;
    assert_eq!(records.len(), 7);
    for record in &records {
        let Record::Image(image) = record else {
            panic!(
                "{}: the face stage must not fail the record",
                record.file_path()
            );
        };
        assert!(image.perceptual_hash.is_some() && !image.content_hash.is_empty());
        match name(record) {
            "astronaut" => {
                assert_eq!(image.faces.as_deref(), Some(&[][..]));
                assert!(image.errors.is_empty() && image.faces_found.is_none());
            }
            "chelsea" | "coffee" => {
                assert!(image.faces.is_none(), "{}", name(record));
                let [error] = image.errors.as_slice() else {
                    panic!("{}: {:?}", name(record), image.errors);
                };
                assert_eq!(error.stage, Stage::Faces);
                let kind = if name(record) == "chelsea" {
                    "model"
                } else {
                    "panic"
                };
                assert_eq!(error.kind, kind);
            }
            _ => {
                let faces = image.faces.as_deref().expect("faces");
                assert_eq!(faces.len(), 1);
                let w = image.width as f32;
                assert_eq!(faces[0].bbox, [0.25 * w, 10.0, 0.5 * w, 60.0]);
                assert_eq!(image.faces_found, Some(3));
                assert!(image.errors.is_empty());
            }
        }
    }
    let line = serde_json::to_value(&records[0]).unwrap();
    let stage_errors = records
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .filter(|v| v["errors"][0]["stage"] == "faces")
        .count();
    assert_eq!(stage_errors, 2, "errors as JSON name the stage: {line}");
}

/// Runs into `out`, resuming it, and returns (written, skipped).
async fn resume_into(out: &Path, faces: bool) -> (u64, u64) {
    let (mut sink, index, _) = JsonlSink::resume(out).unwrap();
    let index = index.require_faces(faces);
    let options = RunOptions::default().resume(Some(Arc::new(index)));
    let summary = pipeline(faces)
        .run_into(photos(), options, &mut sink)
        .await
        .unwrap();
    (
        summary.counts.done + summary.counts.failed,
        summary.counts.skipped,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_redoes_records_without_faces_and_retries_failed_faces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    assert_eq!(resume_into(&out, false).await, (7, 0));
    assert_eq!(
        resume_into(&out, false).await,
        (0, 7),
        "nothing new without faces"
    );
    assert_eq!(
        resume_into(&out, true).await,
        (7, 0),
        "a run with faces redoes records made without them"
    );
    assert_eq!(
        resume_into(&out, true).await,
        (2, 5),
        "the two records whose face stage failed are retried"
    );
    assert_eq!(
        resume_into(&out, false).await,
        (2, 5),
        "failures stay failures"
    );
}
