//! `photon process`: walk the inputs, run the pipeline, write JSON Lines.

use crate::args::{Order, ProcessArgs};
use crate::report::Reporter;
use futures_util::StreamExt;
use photon_core::progress::{ProgressCounts, ProgressEvent};
use photon_core::sink::{JsonlSink, Sink, SinkError};
use photon_core::thumbnail::{ThumbnailOptions, ThumbnailOutput};
use photon_core::walk::{WalkOptions, walk};
use photon_core::{OutputOrder, Pipeline, RunOptions};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Every input processed.
const EXIT_OK: u8 = 0;
/// Finished, but some inputs have error records.
const EXIT_SOME_FAILED: u8 = 1;
/// The run could not be done.
const EXIT_FATAL: u8 = 2;
/// Interrupted by Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

pub async fn run(args: ProcessArgs) -> ExitCode {
    match run_inner(args).await {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("photon: {message}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

async fn run_inner(args: ProcessArgs) -> Result<u8, String> {
    let (mut sink, resume): (Box<dyn Sink + Send>, _) = match (&args.output, args.skip_existing) {
        (Some(path), true) => {
            let (sink, index, report) =
                JsonlSink::resume(path).map_err(|e| format!("{}: {e}", path.display()))?;
            if report.bad_lines > 0 && !args.quiet {
                eprintln!(
                    "photon: {} unreadable lines in {} left as they are",
                    report.bad_lines,
                    path.display()
                );
            }
            (Box::new(sink), Some(Arc::new(index)))
        }
        (Some(path), false) => {
            let sink = JsonlSink::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (Box::new(sink), None)
        }
        (None, _) => (Box::new(JsonlSink::new(std::io::stdout())), None),
    };

    let roots = args.paths.clone();
    let inputs = tokio::task::spawn_blocking(move || {
        walk(roots, &WalkOptions::default()).collect::<Vec<_>>()
    })
    .await
    .map_err(|e| format!("walking the inputs failed: {e}"))?;

    let thumbnail = (!args.no_thumbnail).then(|| ThumbnailOptions {
        max_side: args.thumbnail_size,
        quality: args.thumbnail_quality,
        output: args
            .thumbnail_dir
            .clone()
            .map_or(ThumbnailOutput::Inline, ThumbnailOutput::Directory),
    });
    let model = crate::model_setup::load(&args).await?;
    let pipeline = Pipeline::builder()
        .exif(!args.no_exif)
        .perceptual_hash(!args.no_phash)
        .thumbnail(thumbnail)
        .shared_embedder(model.embedder)
        .shared_tagger(model.tagger)
        .build();

    let reporter = Reporter::new(inputs.len() as u64, args.quiet);
    let counts = Arc::new(Mutex::new(ProgressCounts::default()));
    let show = reporter.callback();
    let latest = counts.clone();
    let mut opts = RunOptions {
        order: match args.order {
            Order::Completion => OutputOrder::Completion,
            Order::Input => OutputOrder::Input,
        },
        resume,
        total: Some(inputs.len() as u64),
        progress: Some(Arc::new(
            move |event: &ProgressEvent<'_>, c: &ProgressCounts| {
                *latest.lock().unwrap_or_else(|p| p.into_inner()) = *c;
                show(event, c);
            },
        )),
        ..RunOptions::default()
    };
    if let Some(parallel) = args.parallel {
        opts.parallel = parallel;
    }
    let limit = |seconds: f64| {
        (seconds > 0.0)
            .then(|| std::time::Duration::try_from_secs_f64(seconds).ok())
            .flatten()
    };
    opts.cpu_timeout = limit(args.cpu_timeout);
    opts.embed_timeout = limit(args.embed_timeout);
    let cancel = opts.cancel.clone();
    let interrupted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let on_signal = interrupted.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.store(true, std::sync::atomic::Ordering::SeqCst);
            cancel.cancel();
            // A second Ctrl-C means now: every record written so far is already whole.
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        }
    });

    let mut records =
        std::pin::pin!(pipeline.run(futures_util::stream::iter(inputs), opts.clone()));
    let mut write_error: Option<SinkError> = None;
    while let Some(record) = records.next().await {
        if args.print_tags {
            reporter.print(&tag_line(&record));
        }
        if let Err(e) = sink.write(&record) {
            write_error = Some(e);
            opts.cancel.cancel();
            break;
        }
    }
    let finish = sink.finish();
    let counts = *counts.lock().unwrap_or_else(|p| p.into_inner());
    let interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
    reporter.finish(&counts, args.quiet, interrupted);
    if let Some(e) = write_error.or(finish.err()) {
        return Err(format!(
            "stopped: {e}; the records written before are intact"
        ));
    }
    Ok(if interrupted {
        EXIT_INTERRUPTED
    } else if counts.failed > 0 {
        EXIT_SOME_FAILED
    } else {
        EXIT_OK
    })
}

/// `name: tag 39%, tag 36%` for `--print-tags`.
fn tag_line(record: &photon_core::Record) -> String {
    match record {
        photon_core::Record::Image(r) => {
            let tags: Vec<String> = r
                .tags
                .iter()
                .flatten()
                .map(|t| format!("{} {:.0}%", t.name, 100.0 * t.confidence))
                .collect();
            let name = r.file_name.as_deref().unwrap_or(&r.file_path);
            format!(
                "{name}: {}",
                if tags.is_empty() {
                    "(no tags)".to_owned()
                } else {
                    tags.join(", ")
                }
            )
        }
        photon_core::Record::Error(e) => format!(
            "{}: failed at {} ({})",
            e.file_path, e.error.stage, e.error.kind
        ),
    }
}
