//! `photon process`: walk the inputs, run the pipeline into the output's sink, report, and
//! turn the outcome into an exit status.

use crate::args::{Order, ProcessArgs, RawSource};
use crate::describe::DescribeSetup;
use crate::model_setup::ModelSetup;
use crate::report::Reporter;
use crate::report::chain;
use photon_core::{
    NotImages, OutputOrder, Pipeline, ResumeIndex, RunError, RunOptions, RunSummary, SourceItem,
    ThumbnailOptions, ThumbnailOutput, WalkOptions, walk,
};
use photon_decode::{RawPolicy, default_jpeg_encoder, default_router_with};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Every input processed.
const EXIT_OK: u8 = 0;
/// Finished, but some inputs have error records.
const EXIT_SOME_FAILED: u8 = 1;
/// The run could not be done.
const EXIT_FATAL: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

pub async fn run(args: ProcessArgs) -> ExitCode {
    match process(args).await {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("photon: {message}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

async fn process(args: ProcessArgs) -> Result<u8, String> {
    let (inputs, not_images) = collect_inputs(&args).await?;
    if args.list_not_images {
        for path in not_images.paths() {
            eprintln!("photon: not an image: {}", path.display());
        }
    }
    let describe = crate::describe::setup(&args)?;
    let model = crate::model_setup::load(&args).await?;
    let describer_id = describe.as_ref().map(DescribeSetup::id);
    let (mut sink, resume) = crate::output::open(&args, &model, describer_id)?;
    let pipeline = build_pipeline(&args, model, describe.as_ref());
    let reporter = Reporter::new(inputs.len() as u64, args.quiet, args.print_tags);
    let options = run_options(&args, resume, inputs.len() as u64, &reporter);
    stop_on_ctrl_c(options.cancel.clone());
    let inputs = futures_util::stream::iter(inputs);
    let outcome = pipeline.run_into(inputs, options, &mut sink).await;
    let summary = match &outcome {
        Ok(summary) => *summary,
        Err(RunError::Sink { summary, .. }) => *summary,
        Err(e) => return Err(chain(e)),
    };
    reporter.finish(&summary, not_images.len(), args.quiet);
    if let Some(describe) = &describe {
        report_describing(describe, args.quiet);
    }
    if let Err(e) = outcome {
        return Err(format!(
            "stopped: {}; the records written before are intact",
            chain(&e)
        ));
    }
    Ok(exit_code(&summary))
}

/// Every input under the paths, walked on a blocking thread, and the files passed over as not
/// images.
async fn collect_inputs(args: &ProcessArgs) -> Result<(Vec<SourceItem>, NotImages), String> {
    let roots = args.paths.clone();
    tokio::task::spawn_blocking(move || {
        let walk = walk(roots, &WalkOptions::default());
        let not_images = walk.not_images();
        (walk.collect(), not_images)
    })
    .await
    .map_err(|e| format!("walking the inputs failed: {}", chain(&e)))
}

/// The describing line of the summary; a spent budget is told even with --quiet.
fn report_describing(describe: &DescribeSetup, quiet: bool) {
    if !quiet || describe.describer.refused_by_budget() > 0 {
        eprintln!("{}", crate::describe::summary_line(describe));
    }
}

fn build_pipeline(
    args: &ProcessArgs,
    model: ModelSetup,
    describe: Option<&DescribeSetup>,
) -> Pipeline {
    let thumbnail = (!args.no_thumbnail).then(|| {
        let output = args
            .thumbnail_dir
            .clone()
            .map_or(ThumbnailOutput::Inline, ThumbnailOutput::Directory);
        ThumbnailOptions::default()
            .max_side(args.thumbnail_size)
            .quality(args.thumbnail_quality)
            .output(output)
    });
    let raw = match args.raw {
        RawSource::Preview => RawPolicy::PreviewFirst,
        RawSource::Develop => RawPolicy::Develop,
    };
    let builder = Pipeline::builder()
        .decoder(default_router_with(raw))
        .jpeg_encoder(default_jpeg_encoder())
        .exif(!args.no_exif)
        .perceptual_hash(!args.no_phash)
        .thumbnail(thumbnail);
    let builder = match model.faces {
        Some(finder) => builder.faces(finder),
        None => builder,
    };
    let builder = match describe {
        Some(describe) => builder.describer(describe.describer.clone(), describe.options),
        None => builder,
    };
    match model.embedder {
        Some(embedder) => builder
            .embedder(embedder)
            .tagger_if_any(model.tagger)
            .build(),
        None => builder.build(),
    }
}

fn run_options(
    args: &ProcessArgs,
    resume: Option<Arc<ResumeIndex>>,
    total: u64,
    reporter: &Reporter,
) -> RunOptions {
    // 0 (or less) disables a limit.
    let limit = |seconds: f64| {
        (seconds > 0.0)
            .then(|| Duration::try_from_secs_f64(seconds).ok())
            .flatten()
    };
    let mut options = RunOptions::default()
        .order(match args.order {
            Order::Completion => OutputOrder::Completion,
            Order::Input => OutputOrder::Input,
        })
        .resume(resume)
        .total(Some(total))
        .cpu_timeout(limit(args.cpu_timeout))
        .embed_timeout(limit(args.embed_timeout));
    options.progress = Some(reporter.callback());
    if let Some(parallel) = args.parallel {
        options.parallel = parallel;
    }
    options
}

/// Ctrl-C stops taking inputs (in-flight ones finish); a second one exits at once, every
/// record written so far being whole already.
fn stop_on_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });
}

fn exit_code(summary: &RunSummary) -> u8 {
    if summary.cancelled {
        EXIT_INTERRUPTED
    } else if summary.counts.failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    }
}
