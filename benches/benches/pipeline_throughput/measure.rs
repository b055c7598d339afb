//! The measurements: the raw runtime in this process, `photon process` and `vipsthumbnail` as
//! child processes, as a user would run them.

use crate::corpus::CorpusSet;
use futures_util::StreamExt;
use photon_backend_common::Parallelism;
use photon_core::{Embedder, ImageBatch};
use photon_models::load_model_dir;
use photon_ort::{OrtEmbedder, OrtOptions, runtime_library_in};
use photon_tract::{TractEmbedder, TractOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Where the tools are.
pub struct Setting {
    bin: PathBuf,
    models: PathBuf,
    scratch: tempfile::TempDir,
}

impl Setting {
    pub fn new(repo: &Path, models: &Path) -> Self {
        let bin = std::env::var_os("PHOTON_BIN")
            .map_or_else(|| repo.join("target/release/photon"), PathBuf::from);
        assert!(
            bin.is_file(),
            "{} missing: run benches/throughput.sh",
            bin.display()
        );
        Self {
            bin,
            models: models.to_path_buf(),
            scratch: tempfile::tempdir().expect("scratch folder"),
        }
    }

    /// The models folder (ONNX Runtime's library is there).
    pub fn models(&self) -> &Path {
        &self.models
    }

    /// The records the last `cli_run` wrote.
    pub fn last_records(&self) -> PathBuf {
        self.scratch.path().join("records.jsonl")
    }
}

/// An inference engine.
#[derive(Clone, Copy)]
pub enum Engine {
    Ort,
    Tract,
}

/// A raw-runtime setting: sessions (tract: concurrent batches), threads each, batch size, and
/// whether idle ONNX Runtime threads spin.
#[derive(Clone, Copy)]
pub struct RawConfig {
    pub sessions: usize,
    pub threads: usize,
    pub batch: usize,
    pub spin: bool,
}

/// `RawConfig` from `(sessions, threads, batch, spin)`.
pub fn cfg(sessions: usize, threads: usize, batch: usize, spin: bool) -> RawConfig {
    RawConfig {
        sessions,
        threads,
        batch,
        spin,
    }
}

/// The raw runtime's images/s per setting.
pub struct RawResult {
    rows: Vec<(RawConfig, f64)>,
    pub best: f64,
}

impl RawResult {
    /// The setting that ran fastest.
    pub fn best_config(&self) -> RawConfig {
        self.rows
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("at least one setting")
            .0
    }

    pub fn print(&self, name: &str) {
        for (c, rate) in &self.rows {
            let spin = if c.spin { ", spinning" } else { "" };
            println!(
                "{name}, {} session(s) × {} thread(s), batch {}{spin}: {rate:.2} images/s",
                c.sessions, c.threads, c.batch
            );
        }
    }
}

/// Images/s of the engine alone on tensors prepared from `files`, for each
/// `(sessions, threads, batch)`; at least 3 s of work per setting, after a warm-up batch.
pub fn raw_runtime(
    setting: &Setting,
    model: &Path,
    files: &[PathBuf],
    engine: Engine,
    configs: &[RawConfig],
) -> RawResult {
    let spec = load_model_dir(model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let tensors = prepared_tensors(&spec, files);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut rows = Vec::new();
    for &config in configs {
        let embedder = load_engine(setting, &spec, engine, config);
        let pre = &spec.preprocessing;
        let batches: Vec<ImageBatch> = tensors
            .chunks(config.batch)
            .map(|c| {
                ImageBatch::stack(pre.height, pre.width, c.iter().map(Vec::as_slice))
                    .expect("batch")
            })
            .collect();
        let rate = runtime.block_on(images_per_second(
            embedder.as_ref(),
            &batches,
            config.sessions,
        ));
        rows.push((config, rate));
    }
    let best = rows.iter().map(|r| r.1).fold(0.0, f64::max);
    RawResult { rows, best }
}

/// The model input of each file, as the pipeline would prepare it.
fn prepared_tensors(spec: &photon_core::ModelSpec, files: &[PathBuf]) -> Vec<Vec<f32>> {
    files
        .iter()
        .map(|f| {
            let image = image::open(f).expect("corpus photo").into_rgb8();
            spec.preprocessing.apply(&image).expect("preprocess")
        })
        .collect()
}

/// The engine at one raw setting.
fn load_engine(
    setting: &Setting,
    spec: &photon_core::ModelSpec,
    engine: Engine,
    config: RawConfig,
) -> Box<dyn Embedder> {
    let layout = Parallelism::new(config.sessions, Some(config.threads));
    match engine {
        Engine::Ort => {
            let mut options = OrtOptions::from(layout);
            options.library = runtime_library_in(&setting.models).ok();
            options.spin_wait = config.spin;
            Box::new(OrtEmbedder::new(spec.clone(), &options).expect("ONNX Runtime session"))
        }
        Engine::Tract => Box::new(
            TractEmbedder::new(spec.clone(), &TractOptions::from(layout)).expect("tract plan"),
        ),
    }
}

/// Images/s over repeated passes of `batches`, `sessions` calls in flight, after a warm-up.
async fn images_per_second(
    embedder: &dyn Embedder,
    batches: &[ImageBatch],
    sessions: usize,
) -> f64 {
    let run = |batches: Vec<ImageBatch>| {
        futures_util::stream::iter(batches)
            .map(|b| embedder.embed(b))
            .buffer_unordered(sessions)
            .for_each(|r| {
                r.expect("embed");
                std::future::ready(())
            })
    };
    run(batches[..sessions.min(batches.len())].to_vec()).await;
    let per_pass: usize = batches.iter().map(|b| b.len).sum();
    let (start, mut images) = (Instant::now(), 0);
    while images == 0 || start.elapsed() < Duration::from_secs(3) {
        run(batches.to_vec()).await;
        images += per_pass;
    }
    images as f64 / start.elapsed().as_secs_f64()
}

/// One `photon process` run.
pub struct CliRun {
    /// Images/s from the summary line (processing only: model loading is not counted).
    pub rate: f64,
    /// Peak resident memory of the process.
    pub peak_mib: f64,
}

/// Runs `photon process DIR -o <scratch> ARGS` and reads its summary line; every input must
/// succeed.
pub fn cli_run(setting: &Setting, dir: &Path, args: &[&str]) -> CliRun {
    let out = setting.last_records();
    let _ = std::fs::remove_file(&out);
    let output = Command::new(&setting.bin)
        .arg("process")
        .arg(dir)
        .arg("-o")
        .arg(&out)
        .args(args)
        .env("PHOTON_MODELS", &setting.models)
        .output()
        .expect("run photon");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "photon {args:?} failed: {stderr}");
    let summary = stderr
        .lines()
        .rfind(|l| l.starts_with("photon: "))
        .expect("summary line");
    assert!(summary.contains(" 0 failed"), "{summary}");
    let number_before = |suffix: &str| -> f64 {
        let end = summary
            .find(suffix)
            .unwrap_or_else(|| panic!("no {suffix:?} in {summary}"));
        let start = summary[..end].rfind([' ', '(']).map_or(0, |i| i + 1);
        summary[start..end]
            .parse()
            .unwrap_or_else(|_| panic!("bad number in {summary}"))
    };
    CliRun {
        rate: number_before(" images/s"),
        peak_mib: number_before(" MiB"),
    }
}

/// `vipsthumbnail -s 256` over a set: one process over all files, and one process per core
/// over a share each.
pub struct VipsResult {
    single: f64,
    per_core: f64,
    pub best: f64,
}

impl VipsResult {
    pub fn print(&self) {
        println!(
            "vipsthumbnail -s 256, one process: {:.1} images/s",
            self.single
        );
        println!(
            "vipsthumbnail -s 256, one process per core: {:.1} images/s",
            self.per_core
        );
    }
}

pub fn vips_rate(set: &CorpusSet, runs: usize, out: &Path) -> VipsResult {
    std::fs::create_dir_all(out).expect("vips output folder");
    let target = format!("{}/%s.jpg", out.display());
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let timed = |processes: usize| -> f64 {
        let share = set.files.len().div_ceil(processes);
        let start = Instant::now();
        let children: Vec<_> = set
            .files
            .chunks(share)
            .map(|files| {
                Command::new("vipsthumbnail")
                    .args(["-s", "256", "-o", &target])
                    .args(files)
                    .spawn()
                    .expect("vipsthumbnail (Debian libvips-tools)")
            })
            .collect();
        for mut child in children {
            assert!(child.wait().expect("vipsthumbnail").success());
        }
        set.files.len() as f64 / start.elapsed().as_secs_f64()
    };
    let single = median((0..runs).map(|_| timed(1)).collect());
    let per_core = median((0..runs).map(|_| timed(cores)).collect());
    VipsResult {
        single,
        per_core,
        best: single.max(per_core),
    }
}

/// The median (the upper one for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
