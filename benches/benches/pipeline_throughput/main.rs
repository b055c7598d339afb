//! Does the pipeline run at the model's speed? One run, side by side on the same machine:
//! (a) the raw runtime on already-prepared tensors at its best batch and thread setting,
//! (b) `photon process` with every stage on, (c) the non-model stages alone and (d)
//! `vipsthumbnail -s 256` on the same files; then the ratios, and peak memory with 10x the inputs.
//!
//! Run it with `benches/throughput.sh`, which makes the SigLIP-shaped model and builds the CLI
//! first. Environment: `SIGLIP_MODEL` (a SigLIP-shaped vision tower folder), `PHOTON_MODELS`
//! (default ./models, for EfficientNet-Lite0 and ONNX Runtime), `PHOTON_BIN` (default
//! target/release/photon), `RUNS` (repeats of the quick measurements, default 3, median kept),
//! `FACE_MODEL` (SCRFD-10G- and ArcFace-R50-shaped graphs, default target/bench/faces-full, made
//! by `benches/faces.sh`), `SECTIONS` (`faces` for the faces section alone; by default every
//! section but that one).

mod corpus;
mod faces;
mod measure;

use corpus::CorpusSet;
use measure::{Engine, Setting, cfg, cli_run, median, raw_runtime, vips_rate};
use std::path::{Path, PathBuf};

/// What every section of the report measures with.
struct Bench {
    setting: Setting,
    work: PathBuf,
    siglip: PathBuf,
    efficientnet: PathBuf,
    faces_full: PathBuf,
    runs: usize,
    large: CorpusSet,
    small: CorpusSet,
    heic: CorpusSet,
}

fn main() {
    if std::env::args().any(|a| a == "--corpus-only") {
        // benches/throughput.sh makes the JPEG sets first, then the HEIC set from them.
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        corpus::ensure(&repo, &repo.join("target/bench/corpus"));
        return;
    }
    let bench = Bench::prepare();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!("# Photon pipeline throughput ({cores} cores)\n");
    for set in [&bench.large, &bench.small, &bench.heic] {
        set.describe();
    }
    let rows = match faces_only() {
        true => faces_section(&bench),
        false => {
            let (mut rows, raw) = siglip_section(&bench);
            rows.extend(heic_section(&bench, raw));
            rows.extend(efficientnet_section(&bench));
            rows.push(memory_section(&bench));
            rows
        }
    };
    println!("\n## Targets\n\n| measure | this run | target |\n|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}

impl Bench {
    /// The models (which must be there), the settings from the environment, and the corpus
    /// (generated on first use).
    fn prepare() -> Self {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let work = repo.join("target/bench");
        let models =
            std::env::var_os("PHOTON_MODELS").map_or_else(|| repo.join("models"), PathBuf::from);
        let siglip = std::env::var_os("SIGLIP_MODEL")
            .map_or_else(|| work.join("siglip-base-shaped"), PathBuf::from);
        let efficientnet = models.join("efficientnet-lite0");
        let faces_full =
            std::env::var_os("FACE_MODEL").map_or_else(|| work.join("faces-full"), PathBuf::from);
        for needed in [&siglip, &efficientnet] {
            let shown = needed.display();
            assert!(
                needed.is_dir(),
                "{shown} missing: run benches/throughput.sh"
            );
        }
        let runs = std::env::var("RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        let (large, small) = corpus::ensure(&repo, &work.join("corpus"));
        // The faces section alone needs no HEIC set (made by benches/throughput.sh).
        let heic = match faces_only() {
            true => CorpusSet::none("heic"),
            false => corpus::heic(&work.join("corpus")),
        };
        Self {
            setting: Setting::new(&repo, &models),
            work,
            siglip,
            efficientnet,
            faces_full,
            runs,
            large,
            small,
            heic,
        }
    }

    /// `times` hard-linked copies of `set` under the bench's folder, named `name`.
    fn repeated(&self, set: &CorpusSet, times: usize, name: &str) -> PathBuf {
        repeated(set, times, &self.work.join(name))
    }

    /// The CLI's rate on `dir` with `args`, `self.runs` times, median kept.
    fn cli_median(&self, dir: &Path, args: &[&str]) -> f64 {
        median(
            (0..self.runs)
                .map(|_| cli_run(&self.setting, dir, args).rate)
                .collect(),
        )
    }
}

/// Whether `SECTIONS=faces` asks for the faces section alone.
fn faces_only() -> bool {
    std::env::var("SECTIONS").is_ok_and(|s| s == "faces")
}

/// The faces section, with the CLIP stage's raw rate at its best setting measured first.
fn faces_section(bench: &Bench) -> Vec<String> {
    let clip = raw_runtime(
        &bench.setting,
        &bench.siglip,
        &bench.large.files[..12],
        Engine::Ort,
        &[cfg(1, 2, 1, false), cfg(2, 1, 1, false)],
    );
    clip.print("raw ORT, SigLIP-shaped");
    faces::faces_section(bench, clip.best)
}

/// SigLIP-shaped ViT-B/16 on 4000x3000 camera JPEGs. The raw settings are explored once; then
/// the best one and both pipeline settings take turns, so drift hits them alike. Returns the
/// report's rows and the raw runtime's rate.
fn siglip_section(bench: &Bench) -> (Vec<String>, f64) {
    let (setting, siglip, large) = (&bench.setting, &bench.siglip, &bench.large);
    let explored = raw_runtime(
        setting,
        siglip,
        &large.files[..12],
        Engine::Ort,
        &[
            cfg(1, 2, 1, false),
            cfg(1, 2, 1, true),
            cfg(2, 1, 1, false),
            cfg(1, 2, 4, false),
        ],
    );
    let raw_tract = raw_runtime(
        setting,
        siglip,
        &large.files[..8],
        Engine::Tract,
        &[cfg(1, 2, 1, false), cfg(2, 1, 1, false)],
    );
    let turns = siglip_turns(bench, explored.best_config());
    let tract_flags = ["--model", path(siglip), "--backend", "tract"];
    let tract_flags = [&tract_flags[..], &["--sessions", "2", "--threads", "1"]].concat();
    let pipe_tract = cli_run(setting, &large.dir, &tract_flags).rate;
    let no_model = bench.cli_median(&large.dir, &["--no-embedding"]);
    let vips = vips_rate(large, bench.runs, &bench.work.join("vips-out"));

    println!("\n## SigLIP-shaped ViT-B/16 (random weights), 4000×3000\n");
    explored.print("raw ORT");
    raw_tract.print("raw tract");
    turns.print(large.files.len() * 2);
    println!("pipeline, tract 2 × 1: {pipe_tract:.2} images/s");
    println!(
        "non-model stages: {no_model:.1} images/s (median of {})",
        bench.runs
    );
    let best = turns.best_pipeline();
    print_limit(best, turns.raw, no_model);
    vips.print();
    let rows = vec![
        format!(
            "| pipeline ÷ raw ORT, SigLIP-shaped, 4000×3000 | {:.2} ({best:.2} ÷ {:.2} images/s) | ≥ 0.90 |",
            best / turns.raw,
            turns.raw
        ),
        format!(
            "| non-model stages ÷ vipsthumbnail, 4000×3000 | {:.2} ({no_model:.1} ÷ {:.1} images/s) | ≥ 1.0 |",
            no_model / vips.best,
            vips.best
        ),
        format!(
            "| tract ÷ ORT pipeline, SigLIP-shaped | {:.2} ({pipe_tract:.2} ÷ {best:.2} images/s) | ≥ 0.70 |",
            pipe_tract / best
        ),
    ];
    (rows, turns.raw)
}

/// 12 MP HEIC as a phone writes it. Without a model, a 256 px thumbnail and the perceptual hash
/// are served by the 320x240 thumbnail item, as vipsthumbnail uses it too. With the model (224 px
/// and its 1.4 decode margin) the full image is decoded, so the shared-core limit takes the
/// non-model stages at that decode: a thumbnail of 400 px, which the item cannot serve.
fn heic_section(bench: &Bench, raw: f64) -> Vec<String> {
    let heic = &bench.heic;
    let no_model = bench.cli_median(&heic.dir, &["--no-embedding"]);
    let full_decode = bench.cli_median(&heic.dir, &["--no-embedding", "--thumbnail-size", "400"]);
    let vips = vips_rate(heic, bench.runs, &bench.work.join("vips-out-heic"));
    let flags = |s: &'static str, t: &'static str| {
        vec![
            "--model",
            path(&bench.siglip),
            "--sessions",
            s,
            "--threads",
            t,
        ]
    };
    let pipe_1x2 = cli_run(&bench.setting, &heic.dir, &flags("1", "2")).rate;
    let pipe_2x1 = cli_run(&bench.setting, &heic.dir, &flags("2", "1")).rate;
    let best = pipe_1x2.max(pipe_2x1);
    let limit = 1.0 / (1.0 / raw + 1.0 / full_decode);
    let n = heic.files.len();
    println!("\n## HEIC 4000×3000, quality 85, 320×240 thumbnail item ({n} inputs)\n");
    println!("non-model stages (the thumbnail item serves): {no_model:.1} images/s");
    println!("non-model stages at the model's decode (full image): {full_decode:.2} images/s");
    println!("pipeline, SigLIP-shaped, ORT 1 × 2: {pipe_1x2:.2}, 2 × 1: {pipe_2x1:.2} images/s");
    print_limit(best, raw, full_decode);
    vips.print();
    vec![
        format!(
            "| non-model stages ÷ vipsthumbnail, HEIC 4000×3000 | {:.2} ({no_model:.1} ÷ {:.1} images/s) | ≥ 1.0 |",
            no_model / vips.best,
            vips.best
        ),
        format!(
            "| pipeline ÷ shared-core limit, SigLIP-shaped, HEIC 4000×3000 | {:.2} ({best:.2} ÷ {limit:.2} images/s) | ≥ 0.95 |",
            best / limit
        ),
    ]
}

/// The raw runtime's best setting and the pipeline at 1×2 and 2×1, measured in turns.
struct Turns {
    raw: f64,
    pipe_1x2: f64,
    pipe_2x1: f64,
}

impl Turns {
    fn best_pipeline(&self) -> f64 {
        self.pipe_1x2.max(self.pipe_2x1)
    }

    fn print(&self, inputs: usize) {
        println!(
            "raw ORT, best setting again, mean of 2 turns: {:.2} images/s",
            self.raw
        );
        for (layout, rate) in [
            ("1 session × 2 threads", self.pipe_1x2),
            ("2 sessions × 1 thread", self.pipe_2x1),
        ] {
            println!(
                "pipeline, ORT {layout}: {rate:.2} images/s (mean of 2 turns, {inputs} inputs)"
            );
        }
    }
}

fn siglip_turns(bench: &Bench, best: measure::RawConfig) -> Turns {
    let large_x2 = bench.repeated(&bench.large, 2, "corpus-x2");
    let files = &bench.large.files[..12];
    let flags = |s: &'static str, t: &'static str| {
        vec![
            "--model",
            path(&bench.siglip),
            "--sessions",
            s,
            "--threads",
            t,
        ]
    };
    let (mut raw, mut pipe_1x2, mut pipe_2x1) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..2 {
        raw.push(raw_runtime(&bench.setting, &bench.siglip, files, Engine::Ort, &[best]).best);
        pipe_1x2.push(cli_run(&bench.setting, &large_x2, &flags("1", "2")).rate);
        pipe_2x1.push(cli_run(&bench.setting, &large_x2, &flags("2", "1")).rate);
    }
    Turns {
        raw: mean(&raw),
        pipe_1x2: mean(&pipe_1x2),
        pipe_2x1: mean(&pipe_2x1),
    }
}

/// EfficientNet-Lite0 on 1024x768, ten passes over the set so a run lasts long enough.
fn efficientnet_section(bench: &Bench) -> Vec<String> {
    let small_x10 = bench.repeated(&bench.small, 10, "corpus-x10-small");
    let raw = raw_runtime(
        &bench.setting,
        &bench.efficientnet,
        &bench.small.files,
        Engine::Ort,
        &[
            cfg(1, 2, 1, false),
            cfg(1, 2, 8, false),
            cfg(1, 2, 8, true),
            cfg(2, 1, 1, false),
            cfg(2, 1, 8, false),
        ],
    );
    let runs = bench.runs;
    let eff_1x2 = bench.cli_median(&small_x10, &["--sessions", "1", "--threads", "2"]);
    let eff_2x1 = bench.cli_median(&small_x10, &["--sessions", "2", "--threads", "1"]);
    let no_model = bench.cli_median(&small_x10, &["--no-embedding"]);
    let best = eff_1x2.max(eff_2x1);
    let inputs = bench.small.files.len() * 10;
    println!("\n## EfficientNet-Lite0, 1024×768 ({inputs} inputs per run)\n");
    raw.print("raw ORT");
    println!("pipeline, ORT 1 session × 2 threads: {eff_1x2:.1} images/s (median of {runs})");
    println!("pipeline, ORT 2 sessions × 1 thread: {eff_2x1:.1} images/s (median of {runs})");
    println!("non-model stages: {no_model:.1} images/s (median of {runs})");
    print_limit(best, raw.best, no_model);
    vec![format!(
        "| pipeline ÷ raw ORT, EfficientNet-Lite0, 1024×768 | {:.2} ({best:.1} ÷ {:.1} images/s) | ≥ 0.85 |",
        best / raw.best,
        raw.best
    )]
}

/// Peak memory: EfficientNet-Lite0 with every stage over the set, then 10x the inputs.
fn memory_section(bench: &Bench) -> String {
    let large_x10 = bench.repeated(&bench.large, 10, "corpus-x10");
    let once = cli_run(&bench.setting, &bench.large.dir, &[]);
    let tenfold = cli_run(&bench.setting, &large_x10, &[]);
    let growth = tenfold.peak_mib / once.peak_mib - 1.0;
    let n = bench.large.files.len();
    println!("\n## Peak memory, EfficientNet-Lite0 with every stage, 4000×3000\n");
    println!(
        "{n} inputs: {:.1} MiB; {} inputs: {:.1} MiB",
        once.peak_mib,
        n * 10,
        tenfold.peak_mib
    );
    format!(
        "| peak RSS with 10× more inputs | {:+.1}% ({:.1} → {:.1} MiB) | < +10% |",
        100.0 * growth,
        once.peak_mib,
        tenfold.peak_mib
    )
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// The physical limit when the model and the other stages share the same cores: each image
/// costs the raw runtime's time plus the non-model stages' time, back to back.
fn print_limit(pipeline: f64, raw: f64, no_model: f64) {
    let limit = 1.0 / (1.0 / raw + 1.0 / no_model);
    println!(
        "shared-core limit 1/(1/raw + 1/non-model) = {limit:.2} images/s; pipeline ÷ limit = {:.2}",
        pipeline / limit
    );
}

/// A folder of `times` hard-linked copies of `set`, so a run lasts longer without more disk.
fn repeated(set: &CorpusSet, times: usize, dir: &Path) -> PathBuf {
    for copy in 0..times {
        let sub = dir.join(format!("{copy:02}"));
        std::fs::create_dir_all(&sub).expect("copies folder");
        for file in &set.files {
            let link = sub.join(file.file_name().expect("file name"));
            if !link.exists() {
                std::fs::hard_link(file, &link)
                    .or_else(|_| std::fs::copy(file, &link).map(drop))
                    .expect("copy");
            }
        }
    }
    dir.to_path_buf()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
