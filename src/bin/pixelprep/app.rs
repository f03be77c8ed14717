//! The command line: parse arguments, run, print the summary or the error chain
//! once, and return an exit code shells can test. Shared by the binary
//! (`main.rs`) and the wheel's `pixelprep` command, which runs it through the
//! Python module.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::bench::{render_json, render_table, run_bench};
use super::cli::{Cli, Command};
use super::inspect::{render, render_images};
use super::progress::{ProgressMode, Reporter};
use clap::Parser;
use pixelprep::{convert, inspect, write_synthetic_until, Summary};

/// Exit codes: 0 ok, 1 bad input or failure, 2 usage (clap's own), 130 interrupted.
const EXIT_FAILURE: u8 = 1;
const EXIT_INTERRUPTED: u8 = 130;

/// Runs the command line `args` (the program name first) and returns the exit
/// code. `bench_command` is how `bench` runs pixelprep as its children: `None`
/// for this executable, or a program and its first arguments (`python -m
/// pixelprep` from the wheel).
pub fn run_cli(
    args: impl IntoIterator<Item = std::ffi::OsString>,
    bench_command: Option<Vec<std::ffi::OsString>>,
) -> u8 {
    let cli = Cli::parse_from(args);
    let cancel = Arc::new(AtomicBool::new(false));
    // For convert and synth, Ctrl-C and SIGTERM stop the run between batches so the
    // partial archive or table is removed; bench waits for its child, which does the
    // same. A second signal kills at once. Inspect keeps the default: it writes nothing.
    if matches!(
        cli.command,
        Command::Convert(_) | Command::Bench(_) | Command::Synth(_)
    ) {
        let cancel = cancel.clone();
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
        });
    }
    match run(cli, &cancel, bench_command) {
        Ok(()) => 0,
        // The reader of stdout has gone (`pixelprep inspect ... | head`): the work
        // is done and the rest of the report has nowhere to go.
        Err(error) if is_broken_pipe(&error) => 0,
        Err(error) => {
            eprintln!("error: {}", error_chain(&error));
            let interrupted = error
                .downcast_ref::<pixelprep::Error>()
                .is_some_and(pixelprep::Error::is_interrupted)
                || error
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::Interrupted);
            if interrupted {
                EXIT_INTERRUPTED
            } else {
                EXIT_FAILURE
            }
        }
    }
}

/// Writes `text` to stdout, as `print!` would, but returns a closed pipe as an
/// error instead of panicking.
fn print_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run(
    cli: Cli,
    cancel: &AtomicBool,
    bench_command: Option<Vec<std::ffi::OsString>>,
) -> anyhow::Result<()> {
    match cli.command {
        Command::Convert(args) => {
            let options = match args.to_options() {
                Ok(options) => options,
                Err(message) => {
                    use clap::CommandFactory;
                    super::cli::Cli::command()
                        .error(clap::error::ErrorKind::ArgumentConflict, message)
                        .exit()
                }
            };
            let reporter = Reporter::new(
                ProgressMode::detect(args.progress_choice()),
                "convert",
                args.progress_interval(),
            );
            let result = convert(&options, &reporter, cancel);
            reporter.finish();
            let summary = result?;
            let output = options.output.display().to_string();
            if args.json {
                print_out(&format!("{}\n", summary_json(&summary)))?;
            } else {
                print_out(&format!("{}\n", summary_line(&summary, &output)))?;
            }
            Ok(())
        }
        Command::Bench(args) => {
            let command = match bench_command {
                Some(command) => command,
                None => vec![std::env::current_exe()?.into_os_string()],
            };
            let report = run_bench(&args.to_options(command))?;
            let printed = if args.json {
                print_out(&format!("{}\n", render_json(&report)))
            } else {
                print_out(&render_table(&report))
            };
            // A difference fails the run even when nobody reads the table.
            if !report.identical {
                anyhow::bail!("the serial and parallel archives differ");
            }
            Ok(printed?)
        }
        Command::Synth(args) => {
            if args.output.exists() && !args.force {
                return Err(pixelprep::Error::OutputExists { path: args.output }.into());
            }
            let started = std::time::Instant::now();
            let rows = write_synthetic_until(&args.output, &args.to_options(), cancel)?;
            print_out(&format!(
                "{rows} rows into {} ({:.1} MB) in {:.2} s\n",
                args.output.display(),
                std::fs::metadata(&args.output)?.len() as f64 / 1e6,
                started.elapsed().as_secs_f64()
            ))?;
            Ok(())
        }
        Command::Inspect(args) => {
            let mut failed = 0;
            for path in &args.inputs {
                if pixelprep::is_image_input(path) {
                    let threads = super::cli::default_threads();
                    match pixelprep::inspect_images(std::slice::from_ref(path), None, threads) {
                        Ok(report) => print_out(&render_images(path, &report))?,
                        Err(e) => {
                            eprintln!("error: {}", error_chain(&e.into()));
                            failed += 1;
                        }
                    }
                    continue;
                }
                match inspect(path, args.id.id_column.as_deref()) {
                    Ok(layout) => print_out(&render(path, &layout, args.shape()))?,
                    Err(e) => {
                        eprintln!("error: {}", error_chain(&e.into()));
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                anyhow::bail!(
                    "{failed} of {} files could not be inspected",
                    args.inputs.len()
                );
            }
            Ok(())
        }
    }
}

fn summary_line(s: &Summary, output: &str) -> String {
    let skipped = if s.skipped > 0 {
        format!(", {} skipped", s.skipped)
    } else {
        String::new()
    };
    let files = match s.outputs.len() {
        0 | 1 => String::new(),
        n => format!("{n} files, "),
    };
    let ignored = if s.ignored > 0 {
        format!(" ({} other files ignored)", s.ignored)
    } else {
        String::new()
    };
    let bad = match s.bad.len() {
        0 => String::new(),
        n => format!(", {n} bad file{} left out", if n == 1 { "" } else { "s" }),
    };
    // Colour images: the mean and std of each channel, as a training script
    // normalizes with.
    let stats = if s.channel_mean.len() > 1 {
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "pixel mean (R, G, B) ({}), std ({})",
            list(&s.channel_mean),
            list(&s.channel_std)
        )
    } else {
        format!("pixel mean {:.3}, std {:.3}", s.mean, s.std)
    };
    format!(
        "{} images, {} blank{skipped}{bad}, from {} file{}{ignored} into {output} ({files}{:.1} MB) in {:.2} s, {:.0} images/s; {stats}",
        s.images,
        s.blanks,
        s.files,
        if s.files == 1 { "" } else { "s" },
        s.output_bytes as f64 / 1e6,
        s.seconds,
        s.images_per_second(),
    )
}

/// The whole summary as one JSON object, for notebooks and scripts.
fn summary_json(s: &Summary) -> String {
    serde_json::json!({
        "images": s.images,
        "blanks": s.blanks,
        "skipped": s.skipped,
        "files": s.files,
        "output_bytes": s.output_bytes,
        "seconds": s.seconds,
        "mean": s.mean,
        "std": s.std,
        "outputs": s.outputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "channel_mean": s.channel_mean,
        "channel_std": s.channel_std,
        "ignored": s.ignored,
        "bad": s.bad.iter().map(|b| serde_json::json!({
            "path": b.path.display().to_string(),
            "image_id": b.id,
            "problem": b.problem,
            "reason": b.reason,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// The error and its causes on one line. The library's errors carry their cause in
/// the message and have no source, so each cause appears once.
fn error_chain(error: &anyhow::Error) -> String {
    let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
    causes.join(": ")
}
