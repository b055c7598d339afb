//! The describe stage in the driver: the image a describer gets (a bounded JPEG, no metadata
//! unless asked), a failure or panic an error of stage `describe` on a record that keeps its
//! other fields, the local stages going on while the describer waits, and resume redoing what
//! another describer (or a failure) left.

use async_trait::async_trait;
use futures_util::StreamExt;
use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder, ImageCrateDecoder};
use photon_core::{DescribeError, DescribeImage, DescribeOptions, Describer, DescriberId};
use photon_core::{Description, JsonlSink, OutputOrder, Pipeline, Record, RunOptions, Stage};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Answers by the size of the JPEG it was sent, so each test photo plays one part at a long side
/// of 256: astronaut (square) is rate-limited, dog (256x192) panics, the others are described
/// by that size.
struct ScriptedDescriber {
    id: DescriberId,
    seen: Mutex<Vec<DescribeImage>>,
}

impl ScriptedDescriber {
    fn new(prompt: &str) -> Self {
        Self {
            id: DescriberId::new("scripted", "by-size", prompt),
            seen: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl Describer for ScriptedDescriber {
    fn id(&self) -> DescriberId {
        self.id.clone()
    }

    async fn describe(&self, image: DescribeImage) -> Result<Description, DescribeError> {
        self.seen.lock().unwrap().push(image.clone());
        let sent = image::load_from_memory(&image.jpeg).expect("the stage sends a JPEG");
        match (sent.width(), sent.height()) {
            (256, 256) => Err(DescribeError::new("rate_limited", "429 from the provider")),
            (256, 192) => panic!("describer exploded"),
            _ => Ok(
                Description::new(format!("{}x{}", sent.width(), sent.height()), &self.id)
                    .with_usage(Some(10), Some(3)),
            ),
        }
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

/// Whether a JPEG has an APP1 segment (EXIF or XMP) among its markers before the image data.
fn has_app1(jpeg: &[u8]) -> bool {
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        if marker == 0xE1 {
            return true;
        }
        if marker == 0xDA {
            return false; // start of scan: no more metadata segments
        }
        at += 2 + u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
    }
    false
}

fn describing(describer: Arc<ScriptedDescriber>, options: DescribeOptions) -> Pipeline {
    Pipeline::builder()
        .thumbnail(None)
        .describer(describer, options)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_photo_is_described_from_a_bounded_jpeg_and_failures_keep_the_record() {
    let describer = Arc::new(ScriptedDescriber::new("Describe it."));
    let options = DescribeOptions::default().max_side(256);
    let records: Vec<Record> = describing(describer.clone(), options)
        .run(photos(), RunOptions::default())
        .collect()
        .await;
    assert_eq!(records.len(), 7);
    for record in &records {
        let Record::Image(image) = record else {
            panic!(
                "{}: the describe stage must not fail the record",
                name(record)
            );
        };
        assert!(image.perceptual_hash.is_some() && !image.content_hash.is_empty());
        match name(record) {
            "astronaut" | "dog" => {
                assert!(image.description.is_none());
                let [error] = image.errors.as_slice() else {
                    panic!("{}: {:?}", name(record), image.errors);
                };
                assert_eq!(error.stage, Stage::Describe);
                let kind = if name(record) == "dog" {
                    "panic"
                } else {
                    "rate_limited"
                };
                assert_eq!(error.kind, kind);
            }
            _ => {
                let said = image.description.as_ref().expect("a description");
                let long = image.width.max(image.height);
                let scale = 256.0 / long as f64;
                let w = (image.width as f64 * scale).round() as u32;
                let h = (image.height as f64 * scale).round() as u32;
                assert_eq!(
                    said.text,
                    format!("{w}x{h}"),
                    "{}: upright, long side 256",
                    name(record)
                );
                assert!(said.made_by(&describer.id));
                assert_eq!((said.input_tokens, said.output_tokens), (Some(10), Some(3)));
                assert!(image.errors.is_empty());
            }
        }
    }
    let seen = describer.seen.lock().unwrap();
    assert_eq!(seen.len(), 7);
    for image in seen.iter() {
        assert!(image.width.max(image.height) == 256);
        assert!(
            image.exif.is_none() && !has_app1(&image.jpeg),
            "no metadata unless asked"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exif_goes_to_the_describer_only_when_asked() {
    let describer = Arc::new(ScriptedDescriber::new("Describe it."));
    let options = DescribeOptions::default().send_exif(true);
    let eagle = photon_testkit::testdata().join("photos/eagle.jpg");
    let record = describing(describer.clone(), options)
        .process(photon_core::Source::Path(eagle))
        .await;
    assert!(record.is_ok());
    let seen = describer.seen.lock().unwrap();
    let exif = seen[0].exif.as_ref().expect("EXIF fields sent when asked");
    assert!(
        exif.camera_make
            .as_deref()
            .is_some_and(|m| m.contains("PENTAX")),
        "{exif:?}"
    );
    assert!(
        !has_app1(&seen[0].jpeg),
        "the fields travel beside the JPEG, never in it"
    );
}

/// Decodes as the image crate does and notes when each decode finished.
struct StampingDecoder(Arc<Mutex<Vec<Instant>>>);

impl Decoder for StampingDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        let decoded = ImageCrateDecoder.decode(bytes, req);
        self.0.lock().unwrap().push(Instant::now());
        decoded
    }
}

/// Takes `delay` an image, four at a time, counting the calls in flight.
struct SlowDescriber {
    delay: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl SlowDescriber {
    fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            delay,
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Describer for SlowDescriber {
    fn id(&self) -> DescriberId {
        DescriberId::new("slow", "sleepy", "p")
    }

    fn concurrency(&self) -> usize {
        4
    }

    async fn describe(&self, _image: DescribeImage) -> Result<Description, DescribeError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(Description::new("Slowly said.", &self.id()))
    }
}

/// How long the last local decode of 4 copies of each photo took to finish, and all the
/// records, with the describer `slow`.
async fn local_and_total(slow: Arc<SlowDescriber>) -> (Duration, Duration, Vec<Record>) {
    let stamps = Arc::new(Mutex::new(Vec::new()));
    let pipeline = Pipeline::builder()
        .decoder(StampingDecoder(stamps.clone()))
        .thumbnail(None)
        .describer(slow, DescribeOptions::default())
        .build();
    let files = photon_testkit::files_in("photos");
    let inputs = (0..4)
        .flat_map(|_| files.clone())
        .map(|f| Ok(photon_core::Source::Path(f)));
    let start = Instant::now();
    let options = RunOptions::default().order(OutputOrder::Input).parallel(2);
    let records: Vec<Record> = pipeline
        .run(
            futures_util::stream::iter(inputs.collect::<Vec<_>>()),
            options,
        )
        .collect()
        .await;
    let last_decode = *stamps.lock().unwrap().iter().max().unwrap() - start;
    (last_decode, start.elapsed(), records)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_stages_do_not_wait_for_a_slow_describer() {
    // The same work with a describer that answers at once, as the usual speed.
    let (usual, _, _) = local_and_total(SlowDescriber::new(Duration::ZERO)).await;
    let slow = SlowDescriber::new(Duration::from_secs(1));
    let (local, total, records) = local_and_total(slow.clone()).await;
    assert_eq!(records.len(), 28);
    assert!(records.iter().all(|r| {
        match r {
            Record::Image(image) => image
                .description
                .as_ref()
                .is_some_and(|d| d.text == "Slowly said."),
            _ => false,
        }
    }));
    assert_eq!(slow.most_in_flight.load(Ordering::SeqCst), 4);
    assert!(
        total >= Duration::from_secs(7),
        "four calls at a time: {total:?}"
    );
    assert!(
        local < usual * 2 + Duration::from_millis(500),
        "every image's local stages done in {local:?} (usually {usual:?}) while the describer took {total:?}"
    );
}

/// Runs into `out` resuming it with `describer`, and returns (written, skipped).
async fn resume_into(out: &Path, describer: Arc<ScriptedDescriber>) -> (u64, u64) {
    let (mut sink, index, _) = JsonlSink::resume(out).unwrap();
    let index = index.require_description(Some(describer.id()));
    let options = RunOptions::default().resume(Some(Arc::new(index)));
    let summary = describing(describer, DescribeOptions::default().max_side(256))
        .run_into(photos(), options, &mut sink)
        .await
        .unwrap();
    (
        summary.counts.done + summary.counts.failed,
        summary.counts.skipped,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_describes_again_only_what_another_describer_or_a_failure_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("records.jsonl");
    let ours = || Arc::new(ScriptedDescriber::new("Describe it."));
    assert_eq!(resume_into(&out, ours()).await, (7, 0));
    let again = ours();
    assert_eq!(
        resume_into(&out, again.clone()).await,
        (2, 5),
        "the two failures retried"
    );
    assert_eq!(
        again.seen.lock().unwrap().len(),
        2,
        "the five described are not sent again"
    );
    let other_prompt = Arc::new(ScriptedDescriber::new("Say what you see."));
    assert_eq!(
        resume_into(&out, other_prompt).await,
        (7, 0),
        "another prompt redoes all"
    );
    let lines = std::fs::read_to_string(&out).unwrap();
    let last: serde_json::Value = serde_json::from_str(lines.lines().last().unwrap()).unwrap();
    let description = last.get("description").or(last["errors"].get(0));
    assert!(description.is_some(), "{last}");
}
