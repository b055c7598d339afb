//! What the user sees on stderr: a progress bar on a terminal and a one-line summary.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use photon_core::progress::{ProgressCounts, ProgressEvent, ProgressFn};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Progress bar plus timing for the summary.
pub struct Reporter {
    bar: ProgressBar,
    started: Instant,
}

impl Reporter {
    /// A bar over `total` inputs; drawn only when stderr is a terminal and not `quiet`.
    pub fn new(total: u64, quiet: bool) -> Self {
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
        Self {
            bar,
            started: Instant::now(),
        }
    }

    /// The callback the driver calls for each input.
    pub fn callback(&self) -> ProgressFn {
        let bar = self.bar.clone();
        Arc::new(move |_event: &ProgressEvent<'_>, counts: &ProgressCounts| {
            bar.set_position(counts.completed());
            if counts.failed > 0 || counts.skipped > 0 {
                bar.set_message(format!(
                    "({} failed, {} skipped)",
                    counts.failed, counts.skipped
                ));
            }
        })
    }

    /// Prints a line above the progress bar.
    pub fn print(&self, line: &str) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Clears the bar and prints the summary line (unless quiet).
    pub fn finish(&self, counts: &ProgressCounts, quiet: bool, interrupted: bool) {
        self.bar.finish_and_clear();
        if quiet {
            return;
        }
        let seconds = self.started.elapsed().as_secs_f64();
        let worked = counts.done + counts.failed;
        let rate = if seconds > 0.0 {
            worked as f64 / seconds
        } else {
            0.0
        };
        let memory =
            peak_memory_mib().map_or(String::new(), |m| format!(", peak memory {m:.1} MiB"));
        eprintln!(
            "photon: {} processed, {} failed, {} skipped in {seconds:.2} s ({rate:.1} images/s){memory}{}",
            counts.done,
            counts.failed,
            counts.skipped,
            if interrupted { ", interrupted" } else { "" }
        );
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
