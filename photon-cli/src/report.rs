//! What the user sees on stderr: a progress bar on a terminal and a one-line summary.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use photon_core::{ProgressCounts, ProgressEvent, ProgressFn, Record, RunSummary};
use std::sync::Arc;
use std::time::Duration;

/// Progress bar, and each image's tags when asked for.
pub struct Reporter {
    bar: ProgressBar,
    print_tags: bool,
}

impl Reporter {
    /// A bar over `total` inputs; drawn only when stderr is a terminal and not `quiet`.
    pub fn new(total: u64, quiet: bool, print_tags: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} {per_sec} eta {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar, print_tags }
    }

    /// The callback the driver calls for each input.
    pub fn callback(&self) -> ProgressFn {
        let (bar, print_tags) = (self.bar.clone(), self.print_tags);
        Arc::new(move |event: &ProgressEvent<'_>, counts: &ProgressCounts| {
            if let (true, ProgressEvent::Finished { record }) = (print_tags, event) {
                let line = tag_line(record);
                bar.suspend(|| eprintln!("{line}"));
            }
            bar.set_position(counts.completed());
            if counts.failed > 0 || counts.skipped > 0 {
                bar.set_message(format!(
                    "({} failed, {} skipped)",
                    counts.failed, counts.skipped
                ));
            }
        })
    }

    /// Clears the bar and prints the summary line (unless quiet).
    pub fn finish(&self, summary: &RunSummary, not_images: usize, quiet: bool) {
        self.bar.finish_and_clear();
        if quiet {
            return;
        }
        let counts = &summary.counts;
        let memory =
            peak_memory_mib().map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
        eprintln!(
            "photon: {} processed, {} failed, {} skipped, {} retried, {not_images} not images in {:.2} s ({:.1} images/s){memory}{}",
            counts.done,
            counts.failed,
            counts.skipped,
            counts.retried,
            summary.elapsed.as_secs_f64(),
            summary.images_per_second(),
            if summary.cancelled {
                ", interrupted"
            } else {
                ""
            }
        );
    }
}

/// `name: tag 39%, tag 36%` for `--print-tags`.
fn tag_line(record: &Record) -> String {
    match record {
        Record::Image(r) => {
            let tags: Vec<String> = r
                .tags
                .iter()
                .flatten()
                .map(|t| format!("{} {:.0}%", t.name, 100.0 * t.confidence))
                .collect();
            let name = r.file_name.as_deref().unwrap_or(&r.file_path);
            let tags = if tags.is_empty() {
                "(no tags)".to_owned()
            } else {
                tags.join(", ")
            };
            format!("{name}: {tags}")
        }
        Record::Error(e) => format!(
            "{}: failed at {} ({})",
            e.file_path, e.error.stage, e.error.kind
        ),
    }
}

/// The process's peak resident memory so far (Linux `VmHWM`); `None` where there is no /proc.
fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib as f64 / 1024.0)
}

pub use photon_core::with_causes as chain;
