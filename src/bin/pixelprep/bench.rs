//! `pixelprep bench`: the same conversion serially and in parallel, each in its own
//! child process (so each has its own peak memory, measured by the kernel), into
//! temporary archives that are compared and then removed.
//!
//! The inputs are read once before the first timed pass. Otherwise the serial
//! pass would read a file that is not yet cached (a fresh notebook's input) from
//! disk and leave it cached for the parallel pass, which inflated the speedup.
//! The passes then alternate over rounds (serial first, then parallel first), so
//! whatever the first pass after a cold start pays (on these VMs, the kernel
//! finding fresh memory for the rows) falls on both modes; the report gives each
//! pass and the medians.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use pixelprep::Geometry;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// How to run pixelprep: the program (normally the current executable) and
    /// the arguments before the subcommand (`python -m pixelprep` from the wheel).
    pub command: Vec<std::ffi::OsString>,
    pub inputs: Vec<PathBuf>,
    pub geometry: Geometry,
    /// Threads of the parallel run.
    pub threads: usize,
    /// Where the temporary archives go.
    pub temp_dir: PathBuf,
    /// Rounds of one serial and one parallel pass, in alternating order.
    pub rounds: usize,
    /// The id column, when it is not `image_id`.
    pub id_column: Option<String>,
}

/// One timed run.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRun {
    pub mode: &'static str,
    pub threads: usize,
    pub images: u64,
    pub seconds: f64,
    pub peak_memory_bytes: u64,
}

impl BenchRun {
    pub fn images_per_second(&self) -> f64 {
        self.images as f64 / self.seconds.max(1e-9)
    }
}

/// One timed pass of a round.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchPass {
    pub round: usize,
    pub run: BenchRun,
}

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub inputs: Vec<PathBuf>,
    /// Serial, then parallel: median seconds over the rounds, largest peak memory.
    pub runs: Vec<BenchRun>,
    /// Every pass, in the order run.
    pub passes: Vec<BenchPass>,
    /// Byte-identical archives (entries are dated 1980-01-01, so they must be).
    pub identical: bool,
    /// Raw pixel bytes of the largest row group over the inputs: the unit of memory.
    pub largest_row_group_bytes: u64,
    /// Bytes of input read before timing, to put both passes on a warm page cache.
    pub warmed_bytes: u64,
    pub warm_seconds: f64,
    /// Why the figures may mean little (an input too small, too large to cache).
    pub warnings: Vec<String>,
}

/// A serial pass shorter than this, or fewer images, is dominated by fixed costs
/// (the footer, each column's setup, process start) and by the machine's noise.
const MEANINGFUL_SECONDS: f64 = 1.0;
const MEANINGFUL_IMAGES: u64 = 10_000;

/// Warnings about what the figures can say.
fn warnings(serial: &BenchRun, warmed_bytes: u64, available_memory: Option<u64>) -> Vec<String> {
    let mut warnings = Vec::new();
    if serial.seconds < MEANINGFUL_SECONDS || serial.images < MEANINGFUL_IMAGES {
        warnings.push(format!(
            "the serial pass converted {} images in {:.2} s: runs this short are dominated by fixed costs and the machine's noise, so the speedup means little; bench at least {MEANINGFUL_IMAGES} images (e.g. `pixelprep synth -o big.parquet --rows 50210`)",
            serial.images, serial.seconds
        ));
    }
    if let Some(available) = available_memory {
        if warmed_bytes > available {
            warnings.push(format!(
                "the inputs ({}) are larger than the memory available for the page cache ({}): each pass reads part of them from disk, and the figures include that",
                gigabytes(warmed_bytes),
                gigabytes(available)
            ));
        }
    }
    warnings
}

/// Reads every input once (every file of a folder), so both timed passes find
/// them in the page cache.
fn warm_page_cache(inputs: &[PathBuf]) -> io::Result<(u64, f64)> {
    fn read_all(path: &Path) -> io::Result<u64> {
        if path.is_dir() {
            let mut bytes = 0;
            for entry in std::fs::read_dir(path)? {
                bytes += read_all(&entry?.path())?;
            }
            return Ok(bytes);
        }
        io::copy(&mut std::fs::File::open(path)?, &mut io::sink())
    }
    let started = Instant::now();
    let mut bytes = 0;
    for path in inputs {
        bytes += read_all(path)?;
    }
    Ok((bytes, started.elapsed().as_secs_f64()))
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

impl BenchReport {
    /// The memory bound pixelprep aims at: 1.25 x the largest row group + 256 MB.
    pub fn memory_bound_bytes(&self) -> u64 {
        self.largest_row_group_bytes + self.largest_row_group_bytes / 4 + (256 << 20)
    }

    fn rounds(&self) -> usize {
        self.passes.iter().map(|p| p.round).max().unwrap_or(0)
    }

    fn speedup(&self, run: &BenchRun) -> f64 {
        self.runs[0].seconds / run.seconds.max(1e-9)
    }
}

/// Reads the inputs once, then runs the serial and the parallel conversion in
/// alternating order, `rounds` times.
pub fn run_bench(options: &BenchOptions) -> io::Result<BenchReport> {
    let mut largest = 0;
    for path in &options.inputs {
        // Image files have no row groups: their memory is the images in flight.
        if pixelprep::is_image_input(path) {
            continue;
        }
        let layout =
            pixelprep::inspect(path, options.id_column.as_deref()).map_err(io::Error::other)?;
        let rows = layout.row_group_rows.iter().copied().max().unwrap_or(0);
        largest = largest.max(rows * layout.pixel_columns as u64);
    }
    let dir = tempfile::Builder::new()
        .prefix("pixelprep-bench-")
        .tempdir_in(&options.temp_dir)?;
    let (warmed_bytes, warm_seconds) = warm_page_cache(&options.inputs)?;
    let modes = [("serial", 1), ("parallel", options.threads)];
    let first = dir.path().join("first.zip");
    let mut passes = Vec::new();
    let mut identical = true;
    for round in 1..=options.rounds.max(1) {
        let mut order = modes;
        if round % 2 == 0 {
            order.reverse();
        }
        for (mode, threads) in order {
            let output = dir.path().join(format!("{round}-{mode}.zip"));
            let run = run_once(options, threads, &output, mode)?;
            // Every archive is compared with the first one, then dropped.
            if first.exists() {
                identical &= files_equal(&first, &output)?;
                std::fs::remove_file(&output)?;
            } else {
                std::fs::rename(&output, &first)?;
            }
            passes.push(BenchPass { round, run });
        }
    }
    let runs: Vec<BenchRun> = modes
        .iter()
        .map(|&(mode, threads)| median_run(mode, threads, &passes))
        .collect();
    let warnings = warnings(&runs[0], warmed_bytes, available_memory());
    Ok(BenchReport {
        inputs: options.inputs.clone(),
        runs,
        passes,
        identical,
        largest_row_group_bytes: largest,
        warmed_bytes,
        warm_seconds,
        warnings,
    })
}

/// The median seconds of `mode`'s passes, with their largest peak memory.
fn median_run(mode: &'static str, threads: usize, passes: &[BenchPass]) -> BenchRun {
    let runs: Vec<&BenchRun> = passes
        .iter()
        .map(|p| &p.run)
        .filter(|r| r.mode == mode)
        .collect();
    let mut seconds: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
    seconds.sort_by(f64::total_cmp);
    let n = seconds.len();
    let median = if n % 2 == 1 {
        seconds[n / 2]
    } else {
        (seconds[n / 2 - 1] + seconds[n / 2]) / 2.0
    };
    BenchRun {
        mode,
        threads,
        images: runs.first().map_or(0, |r| r.images),
        seconds: median,
        peak_memory_bytes: runs.iter().map(|r| r.peak_memory_bytes).max().unwrap_or(0),
    }
}

fn run_once(
    options: &BenchOptions,
    threads: usize,
    output: &Path,
    mode: &'static str,
) -> io::Result<BenchRun> {
    let g = options.geometry;
    let mut command = Command::new(&options.command[0]);
    command
        .args(&options.command[1..])
        .arg("convert")
        .args(&options.inputs)
        .arg("-o")
        .arg(output)
        .args(["--threads", &threads.to_string(), "--quiet"])
        .args([
            "--height",
            &g.height.to_string(),
            "--width",
            &g.width.to_string(),
        ])
        .args(["--size", &g.size.to_string(), "--pad", &g.pad.to_string()])
        .args(
            options
                .id_column
                .iter()
                .flat_map(|c| ["--id-column", c.as_str()]),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let started = Instant::now();
    let child = command.spawn()?;
    let (status, peak) = wait_with_peak_memory(child.id())?;
    let seconds = started.elapsed().as_secs_f64();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout {
        io::Read::read_to_string(&mut out, &mut stdout)?;
    }
    if !status_success(status) {
        return Err(io::Error::other(format!(
            "the {mode} run failed (wait status {status}); its error is above"
        )));
    }
    // The summary line starts with "N images".
    let images = stdout
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| io::Error::other(format!("unexpected summary: {stdout:?}")))?;
    Ok(BenchRun {
        mode,
        threads,
        images,
        seconds,
        peak_memory_bytes: peak,
    })
}

fn status_success(status: i32) -> bool {
    libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
}

/// Waits for `pid` and returns its wait status and peak resident memory in bytes.
/// `std::process::Child::wait` does not give the child's rusage; `wait4` does.
fn wait_with_peak_memory(pid: u32) -> io::Result<(i32, u64)> {
    let mut status = 0;
    // SAFETY: plain FFI call with valid pointers to locals; `pid` is our child,
    // not yet reaped (we never call `Child::wait`).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    // ru_maxrss is in kilobytes on Linux.
    Ok((status, usage.ru_maxrss as u64 * 1024))
}

fn files_equal(a: &Path, b: &Path) -> io::Result<bool> {
    Ok(std::fs::read(a)? == std::fs::read(b)?)
}

fn gigabytes(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / 1e9)
}

/// The table printed on stdout.
pub fn render_table(report: &BenchReport) -> String {
    let mut out = format!(
        "page cache: read the inputs ({}) once before timing, in {:.2} s, so both passes find them cached\n",
        gigabytes(report.warmed_bytes),
        report.warm_seconds
    );
    out.push_str(&format!(
        "mode      threads   images  seconds   images/s  speedup  peak memory   (median of {} round{})\n",
        report.rounds(),
        if report.rounds() == 1 { "" } else { "s" }
    ));
    for run in &report.runs {
        out.push_str(&format!(
            "{:<8} {:>8} {:>8} {:>8.2} {:>10.0} {:>8.2} {:>12}\n",
            run.mode,
            run.threads,
            run.images,
            run.seconds,
            run.images_per_second(),
            report.speedup(run),
            gigabytes(run.peak_memory_bytes)
        ));
    }
    let passes: Vec<String> = report
        .passes
        .iter()
        .map(|p| format!("{} {} {:.2} s", p.round, p.run.mode, p.run.seconds))
        .collect();
    out.push_str(&format!("passes in order: {}\n", passes.join(", ")));
    out.push_str(&format!(
        "archives identical: {}; memory bound for this input (1.25 x largest row group + 256 MB): {}\n",
        if report.identical { "yes" } else { "NO" },
        gigabytes(report.memory_bound_bytes())
    ));
    for warning in &report.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}

/// The same as JSON, for notebooks and scripts.
pub fn render_json(report: &BenchReport) -> String {
    let runs: Vec<_> = report
        .runs
        .iter()
        .map(|r| {
            json!({
                "mode": r.mode,
                "threads": r.threads,
                "images": r.images,
                "seconds": r.seconds,
                "images_per_second": r.images_per_second(),
                "speedup": report.speedup(r),
                "peak_memory_bytes": r.peak_memory_bytes,
            })
        })
        .collect();
    let passes: Vec<_> = report
        .passes
        .iter()
        .map(|p| {
            json!({
                "round": p.round,
                "mode": p.run.mode,
                "threads": p.run.threads,
                "seconds": p.run.seconds,
                "peak_memory_bytes": p.run.peak_memory_bytes,
            })
        })
        .collect();
    let value = json!({
        "passes": passes,
        "inputs": report.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "runs": runs,
        "identical": report.identical,
        "largest_row_group_bytes": report.largest_row_group_bytes,
        "memory_bound_bytes": report.memory_bound_bytes(),
        "warmed_bytes": report.warmed_bytes,
        "warm_seconds": report.warm_seconds,
        "warnings": report.warnings,
    });
    serde_json::to_string_pretty(&value).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> BenchReport {
        let runs = vec![
            BenchRun {
                mode: "serial",
                threads: 1,
                images: 1000,
                seconds: 2.0,
                peak_memory_bytes: 1_000_000_000,
            },
            BenchRun {
                mode: "parallel",
                threads: 2,
                images: 1000,
                seconds: 1.0,
                peak_memory_bytes: 1_100_000_000,
            },
        ];
        let passes = vec![
            BenchPass {
                round: 1,
                run: runs[0].clone(),
            },
            BenchPass {
                round: 1,
                run: runs[1].clone(),
            },
        ];
        BenchReport {
            inputs: vec![PathBuf::from("a.parquet")],
            runs,
            passes,
            identical: true,
            largest_row_group_bytes: 1 << 30,
            warmed_bytes: 1_600_000_000,
            warm_seconds: 0.5,
            warnings: vec!["too short".into()],
        }
    }

    fn serial_run(images: u64, seconds: f64) -> BenchRun {
        BenchRun {
            mode: "serial",
            threads: 1,
            images,
            seconds,
            peak_memory_bytes: 0,
        }
    }

    #[test]
    fn medians_over_alternating_rounds() {
        let pass = |round, mode, seconds| BenchPass {
            round,
            run: BenchRun {
                seconds,
                mode,
                threads: if mode == "serial" { 1 } else { 2 },
                peak_memory_bytes: (seconds * 1e9) as u64,
                ..serial_run(100, 0.0)
            },
        };
        let passes = [
            pass(1, "serial", 6.1),
            pass(1, "parallel", 1.2),
            pass(2, "parallel", 1.1),
            pass(2, "serial", 2.1),
            pass(3, "serial", 2.3),
            pass(3, "parallel", 1.3),
        ];
        let serial = median_run("serial", 1, &passes);
        assert_eq!((serial.seconds, serial.images), (2.3, 100));
        assert_eq!(serial.peak_memory_bytes, 6_100_000_000);
        let parallel = median_run("parallel", 2, &passes[..4]);
        assert!((parallel.seconds - 1.15).abs() < 1e-12, "{parallel:?}");
    }

    #[test]
    fn short_or_small_runs_are_flagged() {
        let gb = 1_000_000_000;
        assert_eq!(
            warnings(&serial_run(50_210, 3.4), gb, Some(20 * gb)).len(),
            0
        );
        let short = warnings(&serial_run(36, 0.05), gb, Some(20 * gb));
        assert_eq!(short.len(), 1);
        assert!(short[0].contains("36 images in 0.05 s"), "{short:?}");
        assert_eq!(warnings(&serial_run(5_000, 2.0), gb, None).len(), 1);
        assert_eq!(warnings(&serial_run(50_000, 0.9), gb, None).len(), 1);
        let too_big = warnings(&serial_run(200_840, 10.0), 7 * gb, Some(4 * gb));
        assert_eq!(too_big.len(), 1);
        assert!(too_big[0].contains("larger than the memory"), "{too_big:?}");
    }

    #[test]
    fn table_has_rates_and_speedup() {
        let table = render_table(&report());
        assert!(
            table.contains("serial          1     1000     2.00        500     1.00      1.00 GB"),
            "{table}"
        );
        assert!(
            table.contains("parallel        2     1000     1.00       1000     2.00      1.10 GB"),
            "{table}"
        );
        assert!(table.contains("archives identical: yes"), "{table}");
        assert!(
            table.starts_with("page cache: read the inputs (1.60 GB) once before timing"),
            "{table}"
        );
        assert!(table.ends_with("warning: too short\n"), "{table}");
        assert!(
            table.contains("passes in order: 1 serial 2.00 s, 1 parallel 1.00 s\n"),
            "{table}"
        );
    }

    #[test]
    fn json_has_the_same_figures() {
        let v: serde_json::Value = serde_json::from_str(&render_json(&report())).unwrap();
        assert_eq!(v["runs"][1]["speedup"], 2.0);
        assert_eq!(v["runs"][0]["images_per_second"], 500.0);
        assert_eq!(v["identical"], true);
        assert_eq!(v["warmed_bytes"], 1_600_000_000u64);
        assert_eq!(v["warnings"][0], "too short");
        assert_eq!(
            v["memory_bound_bytes"],
            (1u64 << 30) + (1 << 28) + (256 << 20)
        );
    }
}
