//! Progress on long runs, drawn on stderr: a bar on a real terminal, plain lines
//! (a first one at the start, then one every few seconds, never a carriage return
//! or an escape code) in a notebook cell or a log, or nothing. Warnings go to
//! stderr in every mode.
//!
//! A Jupyter, Kaggle or Colab `!` cell runs the command in a pseudo-terminal, so
//! stderr *is* a terminal there; but the cell keeps every redraw of a bar as text.
//! Notebooks are therefore recognised from the environment they give their
//! commands, not from the terminal test alone.

use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use pixelprep::Progress;

/// What the user asked for with `--progress` (and `--quiet`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProgressChoice {
    /// A bar on a terminal, lines in a notebook or when stderr is not a terminal.
    #[default]
    Auto,
    /// A bar that redraws itself in place.
    Bar,
    /// Plain lines: one at the start, then one every --progress-interval seconds.
    Lines,
    /// Nothing (the same as --quiet).
    None,
}

/// How progress is shown, once the choice meets the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Quiet,
}

/// Variables that notebook front ends set for the commands their cells run:
/// Jupyter's kernel launcher (`JPY_*`, also under VS Code and JupyterLab), Kaggle
/// and Colab.
const NOTEBOOK_VARIABLES: &[&str] = &[
    "JPY_PARENT_PID",
    "JPY_SESSION_NAME",
    "KAGGLE_KERNEL_RUN_TYPE",
    "KAGGLE_URL_BASE",
    "COLAB_RELEASE_TAG",
    "COLAB_BACKEND_VERSION",
];

/// True when `var` says the command runs inside a notebook cell. IPython kernels
/// that were not started by Jupyter's launcher still select the inline plotting
/// backend for their children.
pub fn in_notebook(var: impl Fn(&str) -> Option<String>) -> bool {
    NOTEBOOK_VARIABLES.iter().any(|name| var(name).is_some())
        || var("MPLBACKEND").is_some_and(|b| b.contains("inline"))
}

impl ProgressMode {
    /// Resolves `choice` for a process whose environment is `var` and whose stderr
    /// is (or is not) a terminal.
    pub fn resolve(
        choice: ProgressChoice,
        stderr_is_terminal: bool,
        var: impl Fn(&str) -> Option<String>,
    ) -> Self {
        match choice {
            ProgressChoice::Bar => ProgressMode::Bar,
            ProgressChoice::Lines => ProgressMode::Lines,
            ProgressChoice::None => ProgressMode::Quiet,
            ProgressChoice::Auto => {
                let dumb = var("TERM").is_some_and(|t| t == "dumb");
                if stderr_is_terminal && !dumb && !in_notebook(&var) {
                    ProgressMode::Bar
                } else {
                    ProgressMode::Lines
                }
            }
        }
    }

    /// Resolves `choice` for this process.
    pub fn detect(choice: ProgressChoice) -> Self {
        Self::resolve(choice, std::io::stderr().is_terminal(), |name| {
            std::env::var(name).ok()
        })
    }
}

/// Time between two plain progress lines, unless the user sets another.
pub const DEFAULT_LINE_INTERVAL: Duration = Duration::from_secs(5);

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
    /// Where plain lines and warnings go instead of stderr (the Python API's
    /// `sys.stderr`, which a notebook shows in the cell that made them).
    writer: Option<LineWriter>,
}

/// Writes one line of progress or a warning.
pub type LineWriter = Box<dyn Fn(&str) + Send + Sync>;

impl Reporter {
    pub fn new(mode: ProgressMode, label: &str, line_interval: Duration) -> Self {
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
            line_interval,
            writer: None,
        }
    }

    /// Plain lines through `writer`, and a last line when the run is done (for
    /// the wheel's Python API, which compiles these modules in). The binary,
    /// built with the same features, never calls it.
    #[allow(dead_code)]
    pub fn with_writer(label: &str, line_interval: Duration, writer: LineWriter) -> Self {
        Reporter {
            writer: Some(writer),
            ..Reporter::new(ProgressMode::Lines, label, line_interval)
        }
    }

    fn line(&self, text: &str) {
        match &self.writer {
            Some(write) => write(text),
            None => eprintln!("{text}"),
        }
    }

    fn bar(&self) -> Option<&ProgressBar> {
        self.bar.get()
    }

    /// Clears the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
        if self.writer.is_some() {
            let state = self.lines.lock().unwrap();
            let elapsed = state.started.elapsed().as_secs_f64();
            self.line(&progress_line(
                &self.label,
                state.done,
                state.total,
                elapsed,
            ));
        }
    }
}

/// `12 s`, `4 min 05 s`.
pub fn format_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.0} s")
    } else {
        let s = seconds.round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

/// Fraction of the images that must be done, and seconds that must have passed,
/// before an ETA is shown: the first row group's decode yields no image, so an
/// early rate says little about the rest.
const ETA_AFTER_FRACTION: f64 = 0.1;
const ETA_AFTER_SECONDS: f64 = 2.0;

/// `2500 images/s, ETA 6 s`: the mean rate since the start, as a whole number,
/// and the time left once it means something.
fn rate_and_eta(done: u64, total: u64, elapsed: f64) -> String {
    let rate = if elapsed > 0.0 {
        done as f64 / elapsed
    } else {
        0.0
    };
    let mut text = format!("{rate:.0} images/s");
    let far_enough = done as f64 >= ETA_AFTER_FRACTION * total as f64
        && elapsed >= ETA_AFTER_SECONDS
        && done < total;
    if far_enough && rate > 0.0 {
        text.push_str(", ETA ");
        text.push_str(&format_duration((total - done) as f64 / rate));
    }
    text
}

/// One plain progress line.
fn progress_line(label: &str, done: u64, total: u64, elapsed: f64) -> String {
    if done == 0 {
        // The first line, printed at once so a notebook cell shows the run has
        // begun: what is to come, not a "0 of N (0%)" that says nothing.
        return format!("{label}: starting, {total} images");
    }
    let percent = (100 * done).checked_div(total).map_or(100, |p| p.min(100));
    let head = format!("{label}: {done} of {total} images ({percent}%)");
    format!("{head}, {}", rate_and_eta(done, total, elapsed))
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} images, {rate_and_eta}")
        .expect("the template is valid")
        .with_key(
            "rate_and_eta",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let text = rate_and_eta(
                    state.pos(),
                    state.len().unwrap_or(0),
                    state.elapsed().as_secs_f64(),
                );
                let _ = w.write_str(&text);
            },
        )
        .progress_chars("=> ")
}

impl Progress for Reporter {
    fn start(&self, total_images: u64) {
        match self.mode {
            ProgressMode::Bar => {
                // Set once here; `bar` is read-only afterwards.
                let bar =
                    ProgressBar::with_draw_target(Some(total_images), ProgressDrawTarget::stderr());
                bar.set_style(bar_style());
                bar.set_prefix(self.label.clone());
                let _ = self.bar.set(bar);
            }
            ProgressMode::Lines => {
                let mut state = self.lines.lock().unwrap();
                state.total = total_images;
                state.started = Instant::now();
                state.last_line = state.started;
                // A first line at once, so a cell shows the run has begun.
                self.line(&progress_line(&self.label, 0, total_images, 0.0));
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
                    self.line(&progress_line(
                        &self.label,
                        state.done,
                        state.total,
                        state.started.elapsed().as_secs_f64(),
                    ));
                }
            }
            ProgressMode::Quiet => {}
        }
    }

    fn warn(&self, message: &str) {
        match self.bar() {
            Some(bar) => bar.suspend(|| eprintln!("warning: {message}")),
            None => self.line(&format!("warning: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn progress_line_has_count_whole_rate_and_eta() {
        let line = progress_line("convert", 5_000, 20_000, 2.0);
        assert_eq!(
            line,
            "convert: 5000 of 20000 images (25%), 2500 images/s, ETA 6 s"
        );
        assert_eq!(
            progress_line("convert", 1_525, 70_210, 2.3),
            "convert: 1525 of 70210 images (2%), 663 images/s"
        );
    }

    #[test]
    fn the_first_line_has_no_rate() {
        assert_eq!(
            progress_line("convert", 0, 36, 0.0),
            "convert: starting, 36 images"
        );
    }

    #[test]
    fn eta_waits_until_it_means_something() {
        // Too early in the run (the first row group's decode yields no image).
        assert_eq!(rate_and_eta(500, 20_000, 1.0), "500 images/s");
        // Too few images done.
        assert_eq!(rate_and_eta(1_000, 20_000, 10.0), "100 images/s");
        // Done: no ETA.
        assert_eq!(rate_and_eta(20_000, 20_000, 10.0), "2000 images/s");
        assert_eq!(rate_and_eta(10_000, 20_000, 4.0), "2500 images/s, ETA 4 s");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(4.4), "4 s");
        assert_eq!(format_duration(245.0), "4 min 05 s");
    }

    #[test]
    fn a_terminal_gets_the_bar_and_a_pipe_gets_lines() {
        let none = env(&[]);
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::Auto, true, &none),
            ProgressMode::Bar
        );
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::Auto, false, &none),
            ProgressMode::Lines
        );
        let dumb = env(&[("TERM", "dumb")]);
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::Auto, true, &dumb),
            ProgressMode::Lines
        );
    }

    #[test]
    fn notebooks_get_lines_although_stderr_is_a_terminal() {
        for vars in [
            &[("JPY_PARENT_PID", "4242"), ("TERM", "xterm-color")][..],
            &[("KAGGLE_KERNEL_RUN_TYPE", "Interactive")],
            &[("COLAB_RELEASE_TAG", "release-colab_20261120-060000")],
            &[("MPLBACKEND", "module://matplotlib_inline.backend_inline")],
        ] {
            let var = env(vars);
            assert!(in_notebook(&var), "{vars:?}");
            assert_eq!(
                ProgressMode::resolve(ProgressChoice::Auto, true, &var),
                ProgressMode::Lines,
                "{vars:?}"
            );
        }
        assert!(!in_notebook(env(&[("MPLBACKEND", "Agg")])));
    }

    #[test]
    fn an_explicit_choice_wins_over_detection() {
        let jupyter = env(&[("JPY_PARENT_PID", "1")]);
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::Bar, false, &jupyter),
            ProgressMode::Bar
        );
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::Lines, true, env(&[])),
            ProgressMode::Lines
        );
        assert_eq!(
            ProgressMode::resolve(ProgressChoice::None, true, env(&[])),
            ProgressMode::Quiet
        );
    }
}
