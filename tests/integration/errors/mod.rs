//! Bad input gets a clear error, nothing is lost, nothing escapes the output.
//!
//! Every test runs the real binary on tiny tables (12 x 14 images, see
//! `common/tables.rs`) and checks the exit code (1 bad input or failure, 2 usage,
//! 130 interrupted), that stderr is one `error: ...` line naming the file and, where
//! they apply, the row, the image_id and the column, with a hint of what to do; and
//! that nothing is left under the final output name, nor any `*.partial` temporary
//! file beside it.

mod blank;
mod dangerous_ids;
mod disk;
mod duplicate_ids;
mod formats;
mod fuzz;
mod layout;
mod output;
mod panic;
mod signals;
mod tiny_tables;
mod unreadable;
mod usage;

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::common::tables::{constant_image, inkless_image, Cell, PixelType, TinyTable};
use crate::common::{sample, zip_entries};

const H: usize = 12;
const W: usize = 14;
/// The tiny tables' geometry; `--size 16` unless a test passes its own `--size`.
const GEOMETRY: [&str; 4] = ["--height", "12", "--width", "14"];

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pixelprep"))
}

fn table() -> TinyTable {
    TinyTable::new(H, W)
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(output: std::process::Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `convert INPUTS -o OUT --height 12 --width 14 [--size 16] --progress none EXTRA...`:
/// no progress lines, so stderr holds only warnings and the error.
fn convert_args(inputs: &[&Path], out: &Path, extra: &[&str]) -> Vec<OsString> {
    let mut args = crate::common::convert_args(inputs, out, &GEOMETRY);
    args.extend(["--progress", "none"].map(OsString::from));
    if !extra.contains(&"--size") {
        args.extend(["--size", "16"].map(OsString::from));
    }
    args.extend(extra.iter().map(OsString::from));
    args
}

fn convert(inputs: &[&Path], out: &Path, extra: &[&str]) -> Run {
    Run::from_output(
        binary()
            .args(convert_args(inputs, out, extra))
            .output()
            .expect("the binary runs"),
    )
}

/// True if `text` contains `fragment`, and if the fragment ends in a digit, one not
/// followed by another digit ("row 6" is not found in "row 60").
fn contains_fragment(text: &str, fragment: &str) -> bool {
    if !fragment.ends_with(|c: char| c.is_ascii_digit()) {
        return text.contains(fragment);
    }
    text.match_indices(fragment)
        .any(|(at, _)| !text[at + fragment.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Asserts a failed run: the exit code, no panic, stderr exactly one `error: ` line
/// holding every fragment. Returns that line.
fn expect_error(run: &Run, code: i32, fragments: &[&str]) -> String {
    assert!(
        !run.stderr.contains("panicked"),
        "the binary panicked:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(code),
        "exit code\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: "),
        "stderr should be one `error: ` line, got:\n{}",
        run.stderr
    );
    for fragment in fragments {
        assert!(
            contains_fragment(lines[0], fragment),
            "the error line lacks {fragment:?}:\n{}",
            lines[0]
        );
    }
    lines[0].to_string()
}

/// Names of `*.partial` files directly in `dir`.
fn partial_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".partial"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Nothing under the final name, and no temporary file beside it (or inside it).
fn assert_no_output(out: &Path) {
    assert!(!out.exists(), "{} exists after a failure", out.display());
    let parent = out.parent().unwrap();
    let partial = partial_files(parent);
    assert!(
        partial.is_empty(),
        "temporary files left in {}: {partial:?}",
        parent.display()
    );
}

fn assert_no_partial_inside(dir: &Path) {
    let partial = partial_files(dir);
    assert!(
        partial.is_empty(),
        "temporary files left in {}: {partial:?}",
        dir.display()
    );
}

/// Every file under `dir`, relative, sorted.
fn all_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push(format!("{}/", path.strip_prefix(root).unwrap().display()));
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

fn entry_names(zip: &Path) -> Vec<String> {
    zip_entries(zip).into_iter().map(|(n, _)| n).collect()
}

fn png_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

/// Five images: 1 is constant white, 3 has no ink; the others are ordinary.
fn table_with_blanks() -> TinyTable {
    table()
        .rows(5)
        .image(1, constant_image(H, W, 255))
        .image(3, inkless_image(H, W))
}

/// Serial runs write on the converting thread, parallel ones on a writer thread:
/// failures must clean up the same way in both.
const MODES: [&str; 2] = ["1", "2"];

/// Waits for `child`, killing it after `timeout`; `None` if it had to be killed.
fn wait_with_timeout(child: &mut std::process::Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
