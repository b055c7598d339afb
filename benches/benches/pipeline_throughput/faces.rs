//! Faces on 12 MP photos: the face stage's cost per image beside the CLIP stage's, and the
//! pipeline with both against the shared-core limit of the three models (issue 24's figures).
//!
//! The face models are graphs of SCRFD-10G's and ArcFace-R50's size with random weights
//! (`scripts/make_face_models.py --full`, made by `benches/faces.sh`), the detector's scores set
//! so that a photo gives a handful of faces, as a photo of a few people does.

use crate::measure::{cli_run, median};
use crate::{Bench, path};
use photon_faces::{FaceAnalysis, FaceOptions};
use photon_models::{ModelOptions, load_faces};
use std::path::Path;
use std::time::{Duration, Instant};

/// The side the pipeline decodes to for the detector: twice its 640 px input.
const FACE_DECODE_SIDE: u32 = 1280;
/// Images per call of the face stage, as the pipeline's micro-batches.
const MICRO_BATCH: usize = 8;

/// The face stage alone, on prepared images.
struct FaceRate {
    /// Images/s on both cores.
    images_per_second: f64,
    /// Faces found per image.
    faces_per_image: f64,
}

/// The face stage alone in both layouts: all of it, and the detector alone.
struct StageRates {
    layouts: [(usize, usize); 2],
    stage: Vec<FaceRate>,
    detector: Vec<FaceRate>,
}

impl StageRates {
    fn measure(bench: &Bench) -> Self {
        let photos = decoded(&bench.large.files[..16]);
        let layouts = [(2, 1), (1, 2)];
        let rates = |max_faces: usize| -> Vec<FaceRate> {
            layouts
                .iter()
                .map(|&l| {
                    face_rate(
                        bench.setting.models(),
                        &bench.faces_full,
                        &photos,
                        max_faces,
                        l,
                    )
                })
                .collect()
        };
        Self {
            layouts,
            stage: rates(100),
            detector: rates(0),
        }
    }

    fn best(rates: &[FaceRate]) -> f64 {
        rates
            .iter()
            .map(|r| r.images_per_second)
            .fold(0.0, f64::max)
    }

    /// Seconds of the detector alone for an image.
    fn detector_seconds(&self) -> f64 {
        1.0 / Self::best(&self.detector)
    }

    /// Seconds of alignment and recognition for a face: the stage less the detector.
    fn seconds_per_face(&self) -> f64 {
        let faces = self.stage[0].faces_per_image.max(1e-9);
        (1.0 / Self::best(&self.stage) - self.detector_seconds()) / faces
    }

    /// Seconds of the stage for an image with `faces` faces.
    fn seconds_for(&self, faces: f64) -> f64 {
        self.detector_seconds() + faces * self.seconds_per_face()
    }

    fn print(&self) {
        for (rates, what) in [
            (&self.stage, "face stage (detector, alignment, recognition)"),
            (&self.detector, "detector alone"),
        ] {
            for (rate, (s, t)) in rates.iter().zip(self.layouts) {
                println!(
                    "{what}, ORT {s} × {t}: {:.2} images/s, {:.1} ms an image ({:.1} faces an image)",
                    rate.images_per_second,
                    1e3 / rate.images_per_second,
                    rate.faces_per_image
                );
            }
        }
        println!(
            "recognition: {:.1} ms a face (the stage less the detector)",
            1e3 * self.seconds_per_face()
        );
    }
}

/// `photon process` on the 12 MP set: without models at the faces' decode, with CLIP alone,
/// and with CLIP and faces in both layouts.
struct PipelineRates {
    no_model: f64,
    clip_only: f64,
    with_faces: [f64; 2],
    /// Faces an image in the records of the runs with faces: the limit's face stage costs
    /// what these photos cost, not what the stage's own sample did.
    faces_per_image: f64,
}

impl PipelineRates {
    fn measure(bench: &Bench) -> Self {
        let siglip = path(&bench.siglip);
        let tiny = bench.work.join("../../testdata/models/faces-tiny");
        // The non-model stages at the face stage's decode: the tiny face graphs cost a
        // millisecond or so, beside the 12 MP decode's tens.
        let no_model = [
            "--no-embedding",
            "--face-model",
            path(&tiny),
            "--max-faces",
            "1",
        ];
        let both = |s: &'static str, t: &'static str| {
            let args = ["--model", siglip, "--face-model", path(&bench.faces_full)];
            let args = [&args[..], &["--sessions", s, "--threads", t]].concat();
            median(
                (0..bench.runs)
                    .map(|_| cli_run(&bench.setting, &bench.large.dir, &args).rate)
                    .collect(),
            )
        };
        let with_faces = [both("2", "1"), both("1", "2")];
        let faces_per_image = faces_per_record(&bench.setting.last_records());
        Self {
            no_model: bench.cli_median(&bench.large.dir, &no_model),
            clip_only: bench.cli_median(&bench.large.dir, &["--model", siglip, "--no-faces"]),
            with_faces,
            faces_per_image,
        }
    }
}

pub fn faces_section(bench: &Bench, clip_raw: f64) -> Vec<String> {
    let stage = StageRates::measure(bench);
    let pipelines = PipelineRates::measure(bench);
    let face_best = StageRates::best(&stage.stage);
    let faces = stage.stage[0].faces_per_image;
    let pipeline = pipelines.with_faces[0].max(pipelines.with_faces[1]);
    let face_seconds = stage.seconds_for(pipelines.faces_per_image);
    let limit = 1.0 / (1.0 / clip_raw + face_seconds + 1.0 / pipelines.no_model);

    println!("\n## Faces: SCRFD-10G- and ArcFace-R50-shaped graphs, 4000×3000\n");
    stage.print();
    let clip_ms = 1e3 / clip_raw;
    println!("CLIP stage (SigLIP-shaped, raw ORT, best): {clip_raw:.2} images/s, {clip_ms:.1} ms");
    let ratio = clip_raw / face_best;
    println!("face stage ÷ CLIP stage, time an image: {ratio:.2}");
    println!(
        "non-model stages at the faces' decode: {:.2} images/s",
        pipelines.no_model
    );
    println!("pipeline, CLIP only: {:.2} images/s", pipelines.clip_only);
    let [two, one] = pipelines.with_faces;
    println!("pipeline, CLIP and faces, ORT 2 × 1: {two:.2}, 1 × 2: {one:.2} images/s");
    println!(
        "face stage at the pipeline's {:.1} faces an image: {:.1} ms (detector + faces × recognition)",
        pipelines.faces_per_image,
        1e3 * face_seconds
    );
    let share = pipeline / limit;
    println!(
        "shared-core limit 1/(1/CLIP + faces + 1/non-model) = {limit:.2} images/s; pipeline ÷ \
         limit = {share:.2}"
    );
    vec![
        format!(
            "| face stage ({faces:.1} faces an image) ÷ CLIP stage, time a 12 MP image | {ratio:.2} ({:.0} ÷ {clip_ms:.0} ms) | |",
            1e3 / face_best
        ),
        format!(
            "| pipeline with faces ÷ shared-core limit of the three models | {share:.2} ({pipeline:.2} ÷ {limit:.2} images/s) | ≥ 0.90 |"
        ),
    ]
}

/// Faces an image in a JSON Lines file of records.
fn faces_per_record(records: &Path) -> f64 {
    let text = std::fs::read_to_string(records).expect("the run's records");
    let counts: Vec<usize> = text
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("a record");
            record["faces"].as_array().map_or(0, Vec::len)
        })
        .collect();
    counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64
}

/// `files` decoded and scaled to the side the pipeline gives the face stage.
fn decoded(files: &[std::path::PathBuf]) -> Vec<photon_core::RgbImage> {
    files
        .iter()
        .map(|f| {
            let image = image::open(f).expect("corpus photo").into_rgb8();
            let scale = FACE_DECODE_SIDE as f32 / image.width().max(image.height()) as f32;
            let (w, h) = (
                (image.width() as f32 * scale).round() as u32,
                (image.height() as f32 * scale).round() as u32,
            );
            image::imageops::resize(&image, w, h, image::imageops::FilterType::Triangle)
        })
        .collect()
}

/// The face stage over `photos` in micro-batches, `sessions` at once with `threads` each, for
/// at least 3 s after a warm-up.
fn face_rate(
    models: &Path,
    dir: &Path,
    photos: &[photon_core::RgbImage],
    max_faces: usize,
    (sessions, threads): (usize, usize),
) -> FaceRate {
    let options = ModelOptions::default()
        .parallelism(sessions as u32, Some(threads as u32))
        .models_dir(models.to_path_buf());
    let faces = FaceOptions::default().max_faces(max_faces);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let analysis = runtime
        .block_on(load_faces(dir, &options, (640, 640), faces))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let pass = |analysis: &FaceAnalysis| -> usize {
        let batches: Vec<&[photon_core::RgbImage]> = photos.chunks(MICRO_BATCH).collect();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..sessions)
                .map(|worker| {
                    let mine: Vec<_> = batches.iter().skip(worker).step_by(sessions).collect();
                    scope.spawn(move || {
                        mine.iter()
                            .map(|batch| {
                                let refs: Vec<&photon_core::RgbImage> = batch.iter().collect();
                                analysis
                                    .scan_batch(&refs)
                                    .into_iter()
                                    .map(|scan| scan.expect("face scan").faces.len())
                                    .sum::<usize>()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("worker")).sum()
        })
    };
    pass(&analysis);
    let (start, mut images, mut faces) = (Instant::now(), 0, 0);
    while images == 0 || start.elapsed() < Duration::from_secs(3) {
        faces += pass(&analysis);
        images += photos.len();
    }
    FaceRate {
        images_per_second: images as f64 / start.elapsed().as_secs_f64(),
        faces_per_image: faces as f64 / images as f64,
    }
}
