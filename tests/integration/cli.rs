//! What a Rust CLI user expects: --version, -j, help examples that match the README,
//! exit codes shells can test, results on stdout and errors on stderr.

use crate::common::*;

#[test]
fn version_prints_name_and_version() {
    let out = pixelprep_ok(["--version"]);
    assert_eq!(
        out.trim(),
        format!("pixelprep {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_help_example_is_in_the_readme() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let mut examples = 0;
    for command in [
        &["--help"][..],
        &["convert", "--help"],
        &["inspect", "--help"],
        &["bench", "--help"],
        &["synth", "--help"],
    ] {
        let help = pixelprep_ok(command);
        for line in help
            .lines()
            .filter(|l| l.trim_start().starts_with("pixelprep "))
        {
            examples += 1;
            assert!(
                readme.contains(line.trim()),
                "`{}` example missing from README.md: {line:?}",
                command.join(" ")
            );
        }
    }
    assert!(examples >= 8, "only {examples} examples found in --help");
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    for args in [
        &["convert"][..],
        &["convert", "x.parquet"],
        &["frobnicate"],
        &["convert", "a", "-o", "b", "-j", "0"],
    ] {
        let out = pixelprep(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: usage errors print nothing on stdout"
        );
        assert!(
            stderr(&out).starts_with("error:"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn short_j_sets_threads_and_summary_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out_zip = dir.path().join("j.zip");
    let out = pixelprep(convert_args(
        &[&sample()],
        &out_zip,
        &["-j", "1", "--quiet"],
    ));
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one summary line: {stdout}");
    assert!(stdout.contains("images/s"), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "--quiet prints no progress: {}",
        stderr(&out)
    );
}

#[test]
fn progress_in_a_notebook_is_plain_lines_then_the_summary() {
    // stderr is a pipe here, as in a notebook cell: plain lines, never "\r" redraws.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pixelprep"))
        .args(convert_args(
            &[&sample()],
            &dir.path().join("p.zip"),
            &["--progress-interval", "0"],
        ))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains('\r'), "{err:?}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("convert: 36 of 36 images (100%), ") && l.contains("images/s")),
        "no progress line: {err:?}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("36 images, 2 blank, from 1 file into "),
        "{stdout}"
    );
}

#[test]
fn quiet_prints_no_progress_lines() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pixelprep"))
        .args(convert_args(
            &[&sample()],
            &dir.path().join("q.zip"),
            &["--quiet", "--progress-interval", "0"],
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(stderr(&out), "");
    assert!(String::from_utf8(out.stdout).unwrap().contains("36 images"));
}

/// The binary on a pseudo-terminal, with no notebook variables unless given.
fn convert_on_pty(out: &std::path::Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pixelprep"));
    command.args(convert_args(&[&sample()], out, extra));
    for name in [
        "JPY_PARENT_PID",
        "JPY_SESSION_NAME",
        "KAGGLE_KERNEL_RUN_TYPE",
        "KAGGLE_URL_BASE",
        "COLAB_RELEASE_TAG",
        "COLAB_BACKEND_VERSION",
        "MPLBACKEND",
    ] {
        command.env_remove(name);
    }
    command.env("TERM", "xterm-256color");
    command.envs(env.iter().copied());
    let (code, output) = crate::common::pty::run_on_pty(command);
    assert_eq!(code, Some(0), "{output}");
    output
}

#[test]
fn a_real_terminal_gets_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let output = convert_on_pty(&dir.path().join("t.zip"), &[], &[]);
    assert!(
        output.contains('\r') || output.contains('\x1b'),
        "no bar drawn on a terminal: {output:?}"
    );
    assert!(output.contains("36 images, 2 blank, from 1 file into "));
}

#[test]
fn a_notebook_cell_gets_plain_lines_although_it_is_a_terminal() {
    // What an IPython `!` cell gives its command (see progress.rs), per front end.
    for env in [
        &[("JPY_PARENT_PID", "4242"), ("TERM", "xterm-color")][..],
        &[("KAGGLE_KERNEL_RUN_TYPE", "Interactive")],
        &[("COLAB_RELEASE_TAG", "release-colab_20261120")],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = convert_on_pty(&dir.path().join("n.zip"), &[], env);
        assert!(
            !output.contains('\r') && !output.contains('\x1b'),
            "{env:?}: redraws or escapes in a notebook: {output:?}"
        );
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(
            lines[0], "convert: starting, 36 images",
            "{env:?}: {output}"
        );
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("36 images, 2 blank, from 1 file into "),
            "{env:?}: {output}"
        );
    }
}

#[test]
fn progress_flag_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    let notebook = [("JPY_PARENT_PID", "1")];
    let bar = convert_on_pty(&dir.path().join("b.zip"), &["--progress", "bar"], &notebook);
    assert!(bar.contains('\r') || bar.contains('\x1b'), "{bar:?}");
    let lines = convert_on_pty(&dir.path().join("l.zip"), &["--progress", "lines"], &[]);
    assert!(
        !lines.contains('\r') && !lines.contains('\x1b'),
        "{lines:?}"
    );
    assert!(
        lines.starts_with("convert: starting, 36 images\n"),
        "{lines:?}"
    );
    let none = convert_on_pty(&dir.path().join("q.zip"), &["--progress", "none"], &[]);
    assert!(none.starts_with("36 images, 2 blank"), "{none:?}");
    assert_eq!(none.lines().count(), 1, "{none:?}");
}

#[test]
fn bench_warms_the_page_cache_and_flags_a_tiny_input() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().display().to_string();
    let out = pixelprep_ok([
        "bench",
        &sample().display().to_string(),
        "--temp-dir",
        &temp,
    ]);
    assert!(
        out.starts_with("page cache: read the inputs (0.01 GB) once before timing"),
        "{out}"
    );
    assert!(out.contains("archives identical: yes"), "{out}");
    // Three rounds by default, each in the other order than the one before.
    let passes = out
        .lines()
        .find(|l| l.starts_with("passes in order: "))
        .unwrap_or_else(|| panic!("{out}"));
    let modes: Vec<&str> = passes
        .split(", ")
        .map(|p| p.split_whitespace().rev().nth(2).unwrap())
        .collect();
    assert_eq!(
        modes,
        ["serial", "parallel", "parallel", "serial", "serial", "parallel"],
        "{passes}"
    );
    assert!(
        out.contains("warning: the serial pass converted 36 images in "),
        "{out}"
    );
    // The temporary archives are gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Mean and population standard deviation of every pixel of `images`, computed
/// directly (two passes in f64), to check the tool's exact-integer figures.
fn pixel_stats<'a>(images: impl Iterator<Item = &'a Gray> + Clone) -> (f64, f64) {
    let n: usize = images.clone().map(|g| g.pixels.len()).sum();
    let sum: f64 = images
        .clone()
        .flat_map(|g| &g.pixels)
        .map(|&v| f64::from(v))
        .sum();
    let mean = sum / n as f64;
    let spread: f64 = images
        .flat_map(|g| &g.pixels)
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum();
    (mean, (spread / n as f64).sqrt())
}

fn convert_json(out: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json", "--quiet"];
    args.extend_from_slice(extra);
    let stdout = pixelprep_ok(convert_args(&[&sample()], out, &args));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn json_summary_has_every_field_and_the_pixel_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("s.zip");
    let one = convert_json(&zip, &["-j", "1"]);
    let (mean, std) = pixel_stats(zip_images(&zip).values());
    for (key, value) in [("images", 36), ("blanks", 2), ("skipped", 0), ("files", 1)] {
        assert_eq!(one[key], value, "{key}: {one}");
    }
    assert_eq!(one["outputs"][0], zip.display().to_string());
    assert!(one["output_bytes"].as_u64().unwrap() > 0 && one["seconds"].as_f64().unwrap() > 0.0);
    assert!(
        (one["mean"].as_f64().unwrap() - mean).abs() < 1e-9,
        "{one} vs {mean}"
    );
    assert!(
        (one["std"].as_f64().unwrap() - std).abs() < 1e-9,
        "{one} vs {std}"
    );
    // The same figures, to the bit, whatever the thread count.
    let four = convert_json(&dir.path().join("s4.zip"), &["-j", "4"]);
    assert_eq!((&one["mean"], &one["std"]), (&four["mean"], &four["std"]));

    // Skipped blanks are not counted.
    let folder = dir.path().join("kept");
    let kept = convert_json(&folder, &["--skip-blank"]);
    let (mean, std) = pixel_stats(folder_images(&folder).values());
    assert_eq!(kept["skipped"], 2);
    assert!((kept["mean"].as_f64().unwrap() - mean).abs() < 1e-9);
    assert!((kept["std"].as_f64().unwrap() - std).abs() < 1e-9);
}

#[test]
fn the_summary_line_shows_the_pixel_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let out = pixelprep_ok(convert_args(
        &[&sample()],
        &dir.path().join("s.zip"),
        &["--quiet"],
    ));
    assert!(
        out.trim_end().ends_with("; pixel mean 34.298, std 76.620"),
        "{out}"
    );
}

/// `pixelprep ... | head`: a reader that stops early is not a failure, and no
/// panic message is printed. The pipe's read end is closed before the run starts,
/// so every write to stdout fails.
#[test]
fn a_closed_stdout_is_a_quiet_success() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.zip");
    let convert = convert_args(&[&sample()], &out, &["-q"]);
    let inspect = vec!["inspect".into(), sample().into_os_string()];
    for args in [inspect, convert] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_pixelprep"))
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{args:?}: {}", stderr(&run));
        assert_eq!(stderr(&run), "", "{args:?}");
    }
    assert!(
        out.is_file(),
        "the archive is written whatever happens to stdout"
    );
}
