//! The batch driver: real parallelism, input order, cancellation, panic isolation, micro-batches
//! into the embedder, progress counts, skip-existing and resume after a torn last line.

use async_trait::async_trait;
use futures_util::StreamExt;
use photon_core::ResumeIndex;
use photon_core::{ChannelOrder, Normalization, Preprocessing, ResizeFilter, ResizeMode};
use photon_core::{DecodeError, DecodeRequest, DecodedImage, Decoder};
use photon_core::{EmbedError, Embedder, ImageBatch, ModelOutput, ModelSpec};
use photon_core::{JsonlSink, RunError, Sink, SinkError};
use photon_core::{OutputOrder, Pipeline, Record, RunOptions, Source, Stage};
use photon_core::{ProgressCounts, ProgressEvent};
use photon_core::{Tag, Tagger};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Decodes `"<millis>:<grey>"` into a 4x4 grey image after sleeping that long; `"panic"` panics.
struct SlowDecoder;

impl Decoder for SlowDecoder {
    fn decode(&self, bytes: &[u8], _req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))?;
        if text == "panic" {
            panic!("decoder exploded");
        }
        let (millis, grey) = text
            .split_once(':')
            .ok_or_else(|| DecodeError::Malformed(text.into()))?;
        std::thread::sleep(Duration::from_millis(millis.parse().unwrap()));
        let grey: u8 = grey.parse().unwrap();
        let pixels = image::RgbImage::from_pixel(4, 4, image::Rgb([grey; 3]));
        Ok(DecodedImage::new(pixels, "test"))
    }
}

fn item(name: &str, millis: u64, grey: u8) -> Source {
    Source::Bytes {
        name: name.into(),
        bytes: format!("{millis}:{grey}").into_bytes(),
    }
}

fn light_pipeline() -> photon_core::PipelineBuilder {
    Pipeline::builder()
        .decoder(SlowDecoder)
        .thumbnail(None)
        .perceptual_hash(false)
        .exif(false)
}

async fn run_all(pipeline: &Pipeline, items: Vec<Source>, opts: RunOptions) -> Vec<Record> {
    pipeline
        .run(futures_util::stream::iter(items), opts)
        .collect()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_stages_run_in_parallel() {
    let pipeline = light_pipeline().build();
    let items = || {
        (0..8)
            .map(|i| item(&format!("{i}"), 150, 0))
            .collect::<Vec<_>>()
    };
    let time = |parallel| {
        let pipeline = pipeline.clone();
        async move {
            let start = Instant::now();
            let records =
                run_all(&pipeline, items(), RunOptions::default().parallel(parallel)).await;
            assert_eq!(records.len(), 8);
            assert!(records.iter().all(Record::is_ok));
            start.elapsed()
        }
    };
    let serial = time(1).await;
    let four = time(4).await;
    let clamped = time(0).await; // 0 means 1
    assert!(
        serial >= Duration::from_millis(8 * 150),
        "serial took {serial:?}"
    );
    // 8 items of 150 ms with 4 in flight: about 2 × 150 ms, whatever the core count, since
    // the work sleeps. The bound leaves room for a loaded CI machine and still needs at least
    // two items running at once.
    assert!(
        four < Duration::from_millis(8 * 150 * 6 / 10),
        "parallel 4 took {four:?}"
    );
    assert!(
        clamped >= Duration::from_millis(8 * 150),
        "parallel 0 took {clamped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_order_is_kept_when_asked() {
    let pipeline = light_pipeline().build();
    // Earlier items are slower, so completion order is the reverse of input order.
    let items = || {
        (0..6u64)
            .map(|i| item(&format!("{i}"), 50 * (6 - i), 0))
            .collect::<Vec<_>>()
    };
    let names = |records: Vec<Record>| {
        records
            .iter()
            .map(|r| r.file_path().to_owned())
            .collect::<Vec<_>>()
    };
    let ordered = names(
        run_all(
            &pipeline,
            items(),
            RunOptions::default().parallel(6).order(OutputOrder::Input),
        )
        .await,
    );
    assert_eq!(ordered, ["0", "1", "2", "3", "4", "5"]);
    let completion = names(run_all(&pipeline, items(), RunOptions::default().parallel(6)).await);
    assert_eq!(completion, ["5", "4", "3", "2", "1", "0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_intake_and_finishes_in_flight_work() {
    let pipeline = light_pipeline().build();
    let opts = RunOptions::default().parallel(2);
    let cancel = opts.cancel.clone();
    let items = (0..1000).map(|i| item(&format!("{i}"), 20, 0));
    let mut records = std::pin::pin!(pipeline.run(futures_util::stream::iter(items), opts));
    let mut seen = Vec::new();
    while let Some(record) = records.next().await {
        assert!(record.is_ok(), "{record:?}");
        seen.push(record);
        if seen.len() == 3 {
            cancel.cancel();
        }
    }
    // What was in flight when cancelled still comes out; nothing new is started.
    assert!(
        (3..=3 + 2 + 1).contains(&seen.len()),
        "{} records after cancel",
        seen.len()
    );
}

/// An embedder that records batch sizes, returns [mean grey, 1] and panics on grey 13.
struct RecordingEmbedder {
    spec: ModelSpec,
    batches: Arc<Mutex<Vec<usize>>>,
    delay: Duration,
}

fn tiny_spec(max_batch: usize) -> ModelSpec {
    let preprocessing = Preprocessing::new(2, 2)
        .resize(ResizeMode::Squash)
        .filter(ResizeFilter::Bilinear)
        .normalization(Normalization::ScaleOffset {
            scale: [1.0; 3],
            offset: [0.0; 3],
        })
        .channel_order(ChannelOrder::Rgb);
    ModelSpec::new("test/mean-grey", preprocessing, 2).with_max_batch(max_batch)
}

#[async_trait]
impl Embedder for RecordingEmbedder {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        assert_eq!(batch.shape(), [batch.len, 3, 2, 2]);
        self.batches.lock().unwrap().push(batch.len);
        tokio::time::sleep(self.delay).await;
        (0..batch.len)
            .map(|i| {
                let grey = batch.image(i)[0];
                if grey == 13.0 {
                    panic!("embedder exploded");
                }
                if grey == 14.0 {
                    return Err(EmbedError::Backend("engine says no".into()));
                }
                Ok(ModelOutput::new(vec![grey, 1.0]).with_logits(vec![grey]))
            })
            .collect()
    }
}

/// Tags every image "grey <n>"; panics on grey 21.
struct GreyTagger;

impl Tagger for GreyTagger {
    fn tag(&self, out: &ModelOutput) -> Vec<Tag> {
        let grey = out.logits.as_ref().unwrap()[0];
        assert_ne!(grey, 21.0, "tagger exploded");
        vec![Tag::new(format!("grey {grey}"), 1.0)]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn micro_batches_fill_up_to_max_batch_and_outputs_are_normalised() {
    let batches = Arc::new(Mutex::new(Vec::new()));
    let embedder = RecordingEmbedder {
        spec: tiny_spec(4),
        batches: batches.clone(),
        delay: Duration::from_millis(30),
    };
    let pipeline = light_pipeline()
        .embedder(embedder)
        .tagger(GreyTagger)
        .build();
    let items: Vec<Source> = (0..10).map(|i| item(&format!("{i}"), 1, 3)).collect();
    let records = run_all(&pipeline, items, RunOptions::default().parallel(8)).await;
    assert_eq!(records.len(), 10);
    let sizes = batches.lock().unwrap().clone();
    assert_eq!(sizes.iter().sum::<usize>(), 10);
    assert!(sizes.iter().all(|n| *n <= 4), "{sizes:?}");
    assert!(sizes.len() <= 4, "images were not batched: {sizes:?}");
    for record in records {
        let Record::Image(r) = record else {
            panic!("{record:?}")
        };
        let e = r.embedding.unwrap();
        let norm = (3.0f32 * 3.0 + 1.0).sqrt();
        assert!(
            (e[0] - 3.0 / norm).abs() < 1e-6 && (e[1] - 1.0 / norm).abs() < 1e-6,
            "{e:?}"
        );
        assert_eq!(r.tags.unwrap()[0].name, "grey 3");
        assert_eq!(r.model.unwrap().id, "test/mean-grey");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_plugin_fails_only_its_own_inputs() {
    let batches = Arc::new(Mutex::new(Vec::new()));
    // max_batch 1 so that the embedder's panic and error each hit one image only.
    let embedder = RecordingEmbedder {
        spec: tiny_spec(1),
        batches,
        delay: Duration::ZERO,
    };
    let pipeline = light_pipeline()
        .embedder(embedder)
        .tagger(GreyTagger)
        .build();
    let items = vec![
        item("fine-1", 1, 1),
        Source::Bytes {
            name: "decoder-panics".into(),
            bytes: b"panic".to_vec(),
        },
        item("embedder-panics", 1, 13),
        item("embedder-errs", 1, 14),
        item("tagger-panics", 1, 21),
        item("fine-2", 1, 2),
    ];
    let records = run_all(
        &pipeline,
        items,
        RunOptions::default().parallel(3).order(OutputOrder::Input),
    )
    .await;
    let outcome: Vec<(String, Option<(Stage, String)>)> = records
        .iter()
        .map(|r| {
            (
                r.file_path().to_owned(),
                r.error().map(|e| (e.stage, e.kind.clone())),
            )
        })
        .collect();
    assert_eq!(
        outcome,
        vec![
            ("fine-1".into(), None),
            (
                "decoder-panics".into(),
                Some((Stage::Decode, "panic".into()))
            ),
            (
                "embedder-panics".into(),
                Some((Stage::Embed, "panic".into()))
            ),
            (
                "embedder-errs".into(),
                Some((Stage::Embed, "backend".into()))
            ),
            ("tagger-panics".into(), Some((Stage::Tag, "panic".into()))),
            ("fine-2".into(), None),
        ]
    );
    let Record::Error(e) = &records[2] else {
        unreachable!()
    };
    assert!(e.error.message.contains("embedder exploded"));
    assert!(
        e.content_hash.is_some(),
        "a late failure keeps the input's identity"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_every_input() {
    let events = Arc::new(Mutex::new(Vec::<ProgressCounts>::new()));
    let skipped_paths = Arc::new(Mutex::new(Vec::<String>::new()));
    let (sink, skipped_sink) = (events.clone(), skipped_paths.clone());
    // "skip-me" was recorded with the same size and content: skipped. "done-before" was
    // recorded with another size: processed again.
    let earlier = format!(
        "{{\"file_path\":\"done-before\",\"file_size\":4,\"content_hash\":\"x\"}}\n\
         {{\"file_path\":\"skip-me\",\"file_size\":3,\"content_hash\":\"{}\"}}\n",
        photon_core::content_hash(b"1:0")
    );
    let (index, _) = ResumeIndex::from_reader(earlier.as_bytes()).unwrap();
    let opts = RunOptions::default()
        .total(Some(5))
        .resume(Some(Arc::new(index)))
        .progress(move |event: &ProgressEvent<'_>, counts: &ProgressCounts| {
            if let ProgressEvent::Skipped { file_path } = event {
                skipped_sink.lock().unwrap().push(file_path.to_string());
            }
            sink.lock().unwrap().push(*counts);
        });
    let items = vec![
        item("a", 1, 0),
        item("b", 1, 0),
        Source::Bytes {
            name: "bad".into(),
            bytes: b"nonsense".to_vec(),
        },
        item("done-before", 1, 0),
        item("skip-me", 1, 0),
    ];
    let records = run_all(&light_pipeline().build(), items, opts).await;
    assert_eq!(records.len(), 4, "no record for the skipped input");
    assert_eq!(*skipped_paths.lock().unwrap(), ["skip-me"]);
    let events = events.lock().unwrap();
    assert_eq!(
        events.len(),
        5,
        "one event per input, the skipped one included"
    );
    let last = *events.last().unwrap();
    assert_eq!(
        (last.total, last.done, last.failed, last.skipped),
        (Some(5), 3, 1, 1)
    );
    assert_eq!(
        last.completed(),
        5,
        "completed reaches total, skipped included"
    );
    assert!(
        events
            .windows(2)
            .all(|w| w[1].completed() == w[0].completed() + 1)
    );
}

fn read_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l:?}: {e}")))
        .collect()
}

/// Resumes into `out`; the hostile inputs' error records are kept (`skip_failed`), so that
/// every input is done once (retrying failures is tested with the CLI, resume_failures.rs).
async fn process_folder(dir: &std::path::Path, out: &std::path::Path) -> (u64, u64) {
    let (mut sink, index, _) = JsonlSink::resume(out).unwrap();
    let opts = RunOptions::default().resume(Some(Arc::new(index.skip_failed(true))));
    let sources = futures_util::stream::iter(photon_core::walk([dir], &Default::default()));
    let summary = Pipeline::default()
        .run_into(sources, opts, &mut sink)
        .await
        .unwrap();
    let counts = summary.counts;
    (counts.done + counts.failed, counts.skipped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_a_torn_last_line_records_every_input_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    for f in photon_testkit::files_in("photos")
        .iter()
        .chain(&photon_testkit::files_in("hostile")[..3])
    {
        std::fs::copy(f, photos.join(f.file_name().unwrap())).unwrap();
    }
    let out = dir.path().join("out.jsonl");

    let (written, skipped) = process_folder(&photos, &out).await;
    assert_eq!((written, skipped), (10, 0));
    let clean = read_lines(&out);

    // Simulate a crash mid-write: keep 4 whole lines and half of the fifth.
    let text = std::fs::read_to_string(&out).unwrap();
    let cut: usize = text.lines().take(4).map(|l| l.len() + 1).sum::<usize>() + 40;
    std::fs::write(&out, &text.as_bytes()[..cut]).unwrap();

    let (written, skipped) = process_folder(&photos, &out).await;
    assert_eq!(
        (written, skipped),
        (6, 4),
        "only the unfinished inputs are redone"
    );
    let resumed = read_lines(&out);
    assert_eq!(resumed.len(), 10, "no torn or duplicated line");
    let key = |v: &serde_json::Value| v["file_path"].as_str().unwrap().to_owned();
    let mut a: Vec<_> = clean.iter().map(|v| (key(v), v.to_string())).collect();
    let mut b: Vec<_> = resumed.iter().map(|v| (key(v), v.to_string())).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the resumed output equals a clean run");

    // A third run has nothing to do; touching a file without changing it is noticed by its hash.
    let touched = std::fs::File::options()
        .write(true)
        .open(photos.join("dog.jpg"))
        .unwrap();
    touched
        .set_modified(std::time::SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(touched);
    let (written, skipped) = process_folder(&photos, &out).await;
    assert_eq!((written, skipped), (0, 10));

    // A changed file is processed again (its new record is appended; the last one wins).
    std::fs::copy(
        photon_testkit::testdata().join("photos/eagle.jpg"),
        photos.join("dog.jpg"),
    )
    .unwrap();
    let (written, skipped) = process_folder(&photos, &out).await;
    assert_eq!((written, skipped), (1, 9));
}

#[test]
fn the_resume_reader_cuts_only_a_torn_tail() {
    let good = "{\"file_path\":\"a\",\"file_size\":1}\n";
    let text = format!("{good}not json\n{good}{{\"file_path\":\"b\"");
    let (index, report) = ResumeIndex::from_reader(text.as_bytes()).unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!((report.records, report.bad_lines), (2, 1));
    assert_eq!(
        report.valid_len as usize,
        2 * good.len() + "not json\n".len()
    );
    assert!(!report.missing_final_newline);

    let (_, report) = ResumeIndex::from_reader(good.trim_end().as_bytes()).unwrap();
    assert_eq!((report.records, report.missing_final_newline), (1, true));
}

/// A gate a stuck stage waits behind until the test opens it, after its measurements: the
/// stage is stuck for as long as the test looks, however slow the machine.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }
}

/// Decodes like [`SlowDecoder`], except that `"stuck"` waits behind the gate.
struct GatedDecoder(Gate);

impl Decoder for GatedDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        if bytes == b"stuck" {
            self.0.wait();
        }
        SlowDecoder.decode(bytes, req)
    }
}

/// Its first call waits behind the gate, as a stuck engine would; the others return at once.
struct StuckOnceEmbedder {
    spec: ModelSpec,
    calls: Mutex<usize>,
    gate: Gate,
}

#[async_trait]
impl Embedder for StuckOnceEmbedder {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        let first = {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            *calls == 1
        };
        if first {
            let gate = self.gate.clone();
            tokio::task::spawn_blocking(move || gate.wait())
                .await
                .unwrap();
        }
        Ok((0..batch.len)
            .map(|i| ModelOutput::new(vec![batch.image(i)[0], 1.0]))
            .collect())
    }
}

/// Runs `items` to the end, failing (rather than hanging) past 10 s.
async fn run_within(pipeline: &Pipeline, items: Vec<Source>, opts: RunOptions) -> Vec<Record> {
    tokio::time::timeout(Duration::from_secs(10), run_all(pipeline, items, opts))
        .await
        .expect("the run stalled behind the stuck stage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_decode_times_out_and_frees_its_slot_at_once() {
    // One input in flight at a time, the first stuck until after the measurement: the rest of
    // the run can only go on if the timeout gives the slot back while the decode still hangs.
    let gate = Gate::default();
    let pipeline = light_pipeline().decoder(GatedDecoder(gate.clone())).build();
    let mut items = vec![Source::Bytes {
        name: "stuck".into(),
        bytes: b"stuck".to_vec(),
    }];
    items.extend((0..10).map(|i| item(&format!("ok{i}"), 10, i)));
    let opts = RunOptions::default()
        .parallel(1)
        .cpu_timeout(Some(Duration::from_millis(200)));
    let start = Instant::now();
    let records = run_within(&pipeline, items, opts).await;
    let elapsed = start.elapsed();
    gate.open();
    // 200 ms for the timeout, then ten inputs of 10 ms: well under a second.
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(records.len(), 11);
    let failed: Vec<&Record> = records.iter().filter(|r| !r.is_ok()).collect();
    assert_eq!(failed.len(), 1);
    let Record::Error(e) = failed[0] else {
        unreachable!()
    };
    assert_eq!(e.file_path, "stuck");
    assert_eq!(
        (e.error.stage, e.error.kind.as_str()),
        (Stage::Decode, "timeout")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_model_call_times_out_and_the_next_batches_run() {
    // One model call at a time; the first never returns until after the measurement.
    let gate = Gate::default();
    let pipeline = light_pipeline()
        .embedder(StuckOnceEmbedder {
            spec: tiny_spec(2),
            calls: Mutex::new(0),
            gate: gate.clone(),
        })
        .build();
    let items: Vec<Source> = (0..6).map(|i| item(&format!("ok{i}"), 0, i)).collect();
    let opts = RunOptions::default()
        .parallel(1)
        .order(OutputOrder::Input)
        .embed_parallel(1)
        .embed_timeout(Some(Duration::from_millis(200)));
    let start = Instant::now();
    let records = run_within(&pipeline, items, opts).await;
    let elapsed = start.elapsed();
    gate.open();
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(records.len(), 6);
    let timed_out: Vec<&str> = records
        .iter()
        .filter_map(|r| match r {
            Record::Error(e) => {
                assert_eq!(
                    (e.error.stage, e.error.kind.as_str()),
                    (Stage::Embed, "timeout")
                );
                Some(e.file_path.as_str())
            }
            Record::Image(r) => {
                assert!(r.embedding.is_some());
                None
            }
        })
        .collect();
    // The stuck call held the first batch (one or two images), and only that.
    assert!(
        (1..=2).contains(&timed_out.len()) && timed_out[0] == "ok0",
        "{timed_out:?}"
    );
}

/// Counts the calls in flight and the most there ever were.
#[derive(Clone, Default)]
struct InFlight(
    Arc<(
        std::sync::atomic::AtomicUsize,
        std::sync::atomic::AtomicUsize,
    )>,
);

impl InFlight {
    fn enter(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.0.0.fetch_add(1, SeqCst) + 1;
        self.0.1.fetch_max(now, SeqCst);
    }
    fn leave(&self) {
        self.0.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
    fn most(&self) -> usize {
        self.0.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A decoder that takes 30 ms and counts how many decode at once.
struct CountingDecoder(InFlight);

impl Decoder for CountingDecoder {
    fn decode(&self, bytes: &[u8], req: &DecodeRequest) -> Result<DecodedImage, DecodeError> {
        self.0.enter();
        std::thread::sleep(Duration::from_millis(30));
        let decoded = SlowDecoder.decode(bytes, req);
        self.0.leave();
        decoded
    }
}

/// A model whose calls take 50 ms, `sessions` at once by its own account, counted.
struct CountingEmbedder {
    spec: ModelSpec,
    sessions: usize,
    calls: InFlight,
}

#[async_trait]
impl Embedder for CountingEmbedder {
    fn spec(&self) -> &ModelSpec {
        &self.spec
    }
    fn concurrency(&self) -> usize {
        self.sessions
    }
    async fn embed(&self, batch: ImageBatch) -> Result<Vec<ModelOutput>, EmbedError> {
        self.calls.enter();
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.calls.leave();
        Ok((0..batch.len)
            .map(|_| ModelOutput::new(vec![1.0, 0.0]))
            .collect())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_parallel_cpu_stages_and_concurrency_model_calls_run_at_once() {
    for parallel in [1, 3, 5] {
        let decodes = InFlight::default();
        let pipeline = light_pipeline()
            .decoder(CountingDecoder(decodes.clone()))
            .build();
        let items: Vec<Source> = (0..20).map(|i| item(&format!("{i}"), 0, 0)).collect();
        let records = run_all(&pipeline, items, RunOptions::default().parallel(parallel)).await;
        assert_eq!(records.len(), 20);
        assert_eq!(
            decodes.most(),
            parallel,
            "CPU stages at once with parallel {parallel}"
        );
    }
    // Two sessions: two model calls overlap, never three, even with decoding far ahead.
    let calls = InFlight::default();
    let pipeline = light_pipeline()
        .embedder(CountingEmbedder {
            spec: tiny_spec(1),
            sessions: 2,
            calls: calls.clone(),
        })
        .build();
    let items: Vec<Source> = (0..12).map(|i| item(&format!("{i}"), 0, 0)).collect();
    let start = Instant::now();
    let records = run_all(&pipeline, items, RunOptions::default().parallel(4)).await;
    assert_eq!(records.len(), 12);
    assert!(records.iter().all(Record::is_ok));
    assert_eq!(calls.most(), 2, "model calls at once with concurrency() 2");
    // Twelve 50 ms calls two at a time: about 300 ms, not 600.
    assert!(
        start.elapsed() < Duration::from_millis(550),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_that_stops_reading_stops_the_intake() {
    // 100 000 inputs available, a consumer that takes one record and then waits: the driver
    // pulls only what its in-flight bounds allow, so memory stays bounded by them, not by the
    // number of inputs.
    let pulled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let inputs = futures_util::stream::iter(0..100_000).map(move |i| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        item(&format!("{i}"), 0, 0)
    });
    let pipeline = light_pipeline()
        .embedder(CountingEmbedder {
            spec: tiny_spec(4),
            sessions: 2,
            calls: InFlight::default(),
        })
        .build();
    let opts = RunOptions::default().parallel(4);
    let mut records = std::pin::pin!(pipeline.run(inputs, opts));
    assert!(records.next().await.unwrap().is_ok());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = pulled.load(std::sync::atomic::Ordering::SeqCst);
    assert!(held < 200, "{held} inputs pulled while the consumer waited");
    // Reading on finishes the run.
    let mut rest = 1;
    while records.next().await.is_some() {
        rest += 1;
        if rest == 2_000 {
            break;
        }
    }
    assert_eq!(rest, 2_000);
}

/// Takes `room` records, then fails like a full disk; counts its finish calls.
struct FillingSink {
    room: usize,
    written: Vec<String>,
    finished: usize,
}

impl Sink for FillingSink {
    fn write(&mut self, record: &Record) -> Result<(), SinkError> {
        if self.written.len() == self.room {
            return Err(std::io::Error::from_raw_os_error(28).into());
        }
        self.written.push(record.file_path().to_owned());
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.finished += 1;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_into_stops_at_a_failing_sink_and_still_finishes_it() {
    let items: Vec<Source> = (0..20).map(|i| item(&format!("in-{i}"), 1, 0)).collect();
    let mut sink = FillingSink {
        room: 5,
        written: Vec::new(),
        finished: 0,
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let opts = RunOptions::default().parallel(2).cancel(cancel.clone());
    let outcome = light_pipeline()
        .build()
        .run_into(futures_util::stream::iter(items), opts, &mut sink)
        .await;
    let Err(RunError::Sink { source, summary }) = outcome else {
        panic!("the full sink was not reported: {outcome:?}")
    };
    assert!(
        photon_core::with_causes(&source).contains("No space left"),
        "{source}"
    );
    assert!(
        std::error::Error::source(&source).is_some(),
        "the cause is kept"
    );
    assert_eq!(sink.written.len(), 5);
    assert_eq!(sink.finished, 1, "finish runs after a failed write too");
    assert!(
        !cancel.is_cancelled(),
        "the caller's token is the caller's: the sink stopped this run alone"
    );
    assert!(
        !summary.cancelled,
        "a sink failure is not an outside cancellation"
    );
    assert!(
        summary.counts.done < 20,
        "the run went on after the sink failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_into_writes_every_record_and_sums_up_the_run() {
    let items: Vec<Source> = (0..12).map(|i| item(&format!("in-{i}"), 1, 0)).collect();
    let mut sink = FillingSink {
        room: usize::MAX,
        written: Vec::new(),
        finished: 0,
    };
    let summary = light_pipeline()
        .build()
        .run_into(
            futures_util::stream::iter(items),
            RunOptions::default(),
            &mut sink,
        )
        .await
        .unwrap();
    assert_eq!((summary.counts.done, summary.counts.failed), (12, 0));
    assert_eq!((sink.written.len(), sink.finished), (12, 1));
    assert!(!summary.cancelled && summary.images_per_second() > 0.0);
}

/// Who opened a gate first: an async task of the run's runtime, or the fallback thread that
/// opens it after a minute so that a broken build fails instead of hanging.
fn open_from_the_runtime_or_fallback(
    gate: Gate,
    entered: tokio::sync::oneshot::Receiver<()>,
) -> std::thread::JoinHandle<&'static str> {
    let opened_by = Arc::new(Mutex::new(None));
    let by_task = opened_by.clone();
    let task_gate = gate.clone();
    tokio::spawn(async move {
        if entered.await.is_ok() {
            by_task.lock().unwrap().get_or_insert("an async task");
            task_gate.open();
        }
    });
    std::thread::spawn(move || {
        let started = Instant::now();
        while opened_by.lock().unwrap().is_none() && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let who = *opened_by
            .lock()
            .unwrap()
            .get_or_insert("the fallback thread");
        gate.open();
        who
    })
}

/// Waits behind a gate on its first call, after saying so.
struct GatedTagger {
    gate: Gate,
    entered: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
}

impl Tagger for GatedTagger {
    fn tag(&self, _: &ModelOutput) -> Vec<Tag> {
        if let Some(entered) = self.entered.lock().unwrap().take() {
            let _ = entered.send(());
            self.gate.wait();
        }
        vec![Tag::new("tagged", 1.0)]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn tagging_runs_off_the_async_workers() {
    // One worker: a tagger blocking it would starve the task that opens the gate.
    let gate = Gate::default();
    let (entered, entered_rx) = tokio::sync::oneshot::channel();
    let tagger = GatedTagger {
        gate: gate.clone(),
        entered: Mutex::new(Some(entered)),
    };
    let pipeline = light_pipeline()
        .embedder(RecordingEmbedder {
            spec: tiny_spec(4),
            batches: Arc::default(),
            delay: Duration::ZERO,
        })
        .tagger(tagger)
        .build();
    let run = tokio::spawn(async move {
        run_all(&pipeline, vec![item("a", 0, 7)], RunOptions::default()).await
    });
    let opener = open_from_the_runtime_or_fallback(gate, entered_rx);
    let records = run.await.unwrap();
    assert_eq!(opener.join().unwrap(), "an async task");
    let Record::Image(image) = &records[0] else {
        panic!("{records:?}")
    };
    assert_eq!(image.tags.as_ref().unwrap()[0].name, "tagged");
}

/// A sink whose finish waits behind a gate, after saying so.
struct GatedFinishSink {
    gate: Gate,
    entered: Option<tokio::sync::oneshot::Sender<()>>,
    written: usize,
}

impl Sink for GatedFinishSink {
    fn write(&mut self, _: &Record) -> Result<(), SinkError> {
        self.written += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if let Some(entered) = self.entered.take() {
            let _ = entered.send(());
            self.gate.wait();
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn a_sinks_finish_runs_off_the_async_workers() {
    let gate = Gate::default();
    let (entered, entered_rx) = tokio::sync::oneshot::channel();
    let mut sink = GatedFinishSink {
        gate: gate.clone(),
        entered: Some(entered),
        written: 0,
    };
    let run = tokio::spawn(async move {
        let items: Vec<Source> = (0..3).map(|i| item(&format!("in-{i}"), 0, 1)).collect();
        let summary = light_pipeline()
            .build()
            .run_into(
                futures_util::stream::iter(items),
                RunOptions::default(),
                &mut sink,
            )
            .await
            .unwrap();
        (summary, sink.written)
    });
    let opener = open_from_the_runtime_or_fallback(gate, entered_rx);
    let (summary, written) = run.await.unwrap();
    assert_eq!(opener.join().unwrap(), "an async task");
    assert_eq!((summary.counts.done, written), (3, 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_sink_stops_its_own_run_not_the_others_on_the_same_token() {
    let token = tokio_util::sync::CancellationToken::new();
    let inputs = |n: usize| {
        let items: Vec<Source> = (0..n).map(|i| item(&format!("in-{i}"), 2, 0)).collect();
        futures_util::stream::iter(items)
    };
    let pipeline = light_pipeline().build();
    let mut full = FillingSink {
        room: 2,
        written: Vec::new(),
        finished: 0,
    };
    let mut roomy = FillingSink {
        room: usize::MAX,
        written: Vec::new(),
        finished: 0,
    };
    let options = RunOptions::default().parallel(2).cancel(token.clone());
    let (failed, finished) = tokio::join!(
        pipeline.run_into(inputs(30), options.clone(), &mut full),
        pipeline.run_into(inputs(30), options, &mut roomy),
    );
    assert!(matches!(failed, Err(RunError::Sink { .. })), "{failed:?}");
    let summary = finished.unwrap();
    assert_eq!(
        (summary.counts.done, roomy.written.len()),
        (30, 30),
        "the other run on the token went on to its end"
    );
    assert!(!summary.cancelled && !token.is_cancelled());
}
