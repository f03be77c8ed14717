//! Progress on long runs: a bar with images/s and an ETA on a terminal; plain lines
//! every few seconds when stderr is not a terminal (a notebook cell shows every
//! carriage-return redraw as a new line); nothing with `--quiet`. Warnings go to
//! stderr in every mode.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::pipeline::Progress;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

impl ProgressMode {
    /// A bar on a terminal, lines elsewhere, nothing when quiet.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// Time between two plain progress lines.
const LINE_INTERVAL: Duration = Duration::from_secs(5);

struct LineState {
    started: Instant,
    last_line: Instant,
    done: u64,
    total: u64,
}

/// The binary's [`Progress`]: draws on stderr.
pub struct Reporter {
    mode: ProgressMode,
    bar: OnceLock<ProgressBar>,
    lines: Mutex<LineState>,
    label: String,
    line_interval: Duration,
}

impl Reporter {
    pub fn new(mode: ProgressMode, label: &str) -> Self {
        let now = Instant::now();
        Reporter {
            mode,
            bar: OnceLock::new(),
            lines: Mutex::new(LineState {
                started: now,
                last_line: now,
                done: 0,
                total: 0,
            }),
            label: label.to_owned(),
            line_interval: LINE_INTERVAL,
        }
    }

    /// Prints plain lines this often instead of every 5 s.
    pub fn with_line_interval(mut self, interval: Duration) -> Self {
        self.line_interval = interval;
        self
    }

    fn bar(&self) -> Option<&ProgressBar> {
        self.bar.get()
    }

    /// Clears the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
    }
}

/// `12.3 s`, `4 min 05 s`.
pub fn format_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else {
        let s = seconds.round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// The plain progress line.
fn progress_line(label: &str, done: u64, total: u64, elapsed: f64) -> String {
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let percent = if total > 0 {
        100.0 * done as f64 / total as f64
    } else {
        100.0
    };
    let eta = if rate > 0.0 && total >= done {
        format!(", ETA {}", format_duration((total - done) as f64 / rate))
    } else {
        String::new()
    };
    format!("{label}: {done} of {total} images ({percent:.0}%), {rate:.0} images/s{eta}")
}

impl Progress for Reporter {
    fn start(&self, total_images: u64) {
        match self.mode {
            ProgressMode::Bar => {
                // Set once here; `bar` is read-only afterwards.
                let bar =
                    ProgressBar::with_draw_target(Some(total_images), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:40}] {pos}/{len} images, {per_sec}, ETA {eta}",
                    )
                    .expect("the template is valid")
                    .progress_chars("=> "),
                );
                bar.set_prefix(self.label.clone());
                let _ = self.bar.set(bar);
            }
            ProgressMode::Lines => {
                let mut state = self.lines.lock().unwrap();
                state.total = total_images;
                state.started = Instant::now();
                state.last_line = state.started;
            }
            ProgressMode::Quiet => {}
        }
    }

    fn advance(&self, images: u64) {
        match self.mode {
            ProgressMode::Bar => {
                if let Some(bar) = self.bar() {
                    bar.inc(images);
                }
            }
            ProgressMode::Lines => {
                let mut state = self.lines.lock().unwrap();
                state.done += images;
                if state.last_line.elapsed() >= self.line_interval {
                    state.last_line = Instant::now();
                    eprintln!(
                        "{}",
                        progress_line(
                            &self.label,
                            state.done,
                            state.total,
                            state.started.elapsed().as_secs_f64()
                        )
                    );
                }
            }
            ProgressMode::Quiet => {}
        }
    }

    fn warn(&self, message: &str) {
        match self.bar() {
            Some(bar) => bar.suspend(|| eprintln!("warning: {message}")),
            None => eprintln!("warning: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_has_count_rate_and_eta() {
        let line = progress_line("convert", 5_000, 20_000, 2.0);
        assert_eq!(
            line,
            "convert: 5000 of 20000 images (25%), 2500 images/s, ETA 6 s"
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(4.4), "4 s");
        assert_eq!(format_duration(245.0), "4 min 05 s");
    }

    #[test]
    fn quiet_wins_over_terminal_detection() {
        assert_eq!(ProgressMode::detect(true), ProgressMode::Quiet);
    }
}
