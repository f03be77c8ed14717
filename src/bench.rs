//! `pixelprep bench`: the same conversion serially and in parallel, each in its own
//! child process (so each has its own peak memory, measured by the kernel), into
//! temporary archives that are compared and then removed.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use crate::steps::Geometry;
use crate::table::PixelTable;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The pixelprep binary to run (normally the current executable).
    pub executable: PathBuf,
    pub inputs: Vec<PathBuf>,
    pub geometry: Geometry,
    /// Threads of the parallel run.
    pub threads: usize,
    /// Where the temporary archives go.
    pub temp_dir: PathBuf,
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

#[derive(Debug, Clone)]
pub struct BenchReport {
    pub inputs: Vec<PathBuf>,
    pub runs: Vec<BenchRun>,
    /// Byte-identical archives (entries are dated 1980-01-01, so they must be).
    pub identical: bool,
    /// Raw pixel bytes of the largest row group over the inputs: the unit of memory.
    pub largest_row_group_bytes: u64,
}

impl BenchReport {
    /// The memory bound pixelprep aims at: 1.25 x the largest row group + 256 MB.
    pub fn memory_bound_bytes(&self) -> u64 {
        self.largest_row_group_bytes + self.largest_row_group_bytes / 4 + (256 << 20)
    }

    fn speedup(&self, run: &BenchRun) -> f64 {
        self.runs[0].seconds / run.seconds.max(1e-9)
    }
}

/// Runs the serial, then the parallel conversion.
pub fn run_bench(options: &BenchOptions) -> io::Result<BenchReport> {
    let shape = options.geometry.shape();
    let mut largest = 0;
    for path in &options.inputs {
        let table = PixelTable::open(path, shape).map_err(io::Error::other)?;
        largest = largest.max(table.largest_row_group_bytes());
    }
    let dir = tempfile::Builder::new()
        .prefix("pixelprep-bench-")
        .tempdir_in(&options.temp_dir)?;
    let serial = run_once(options, 1, &dir.path().join("serial.zip"), "serial")?;
    let parallel = run_once(
        options,
        options.threads,
        &dir.path().join("parallel.zip"),
        "parallel",
    )?;
    let identical = files_equal(
        &dir.path().join("serial.zip"),
        &dir.path().join("parallel.zip"),
    )?;
    Ok(BenchReport {
        inputs: options.inputs.clone(),
        runs: vec![serial, parallel],
        identical,
        largest_row_group_bytes: largest,
    })
}

fn run_once(
    options: &BenchOptions,
    threads: usize,
    output: &Path,
    mode: &'static str,
) -> io::Result<BenchRun> {
    let g = options.geometry;
    let mut command = Command::new(&options.executable);
    command
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
    let mut out =
        String::from("mode      threads   images  seconds   images/s  speedup  peak memory\n");
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
    out.push_str(&format!(
        "archives identical: {}; memory bound for this input (1.25 x largest row group + 256 MB): {}\n",
        if report.identical { "yes" } else { "NO" },
        gigabytes(report.memory_bound_bytes())
    ));
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
    let value = json!({
        "inputs": report.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "runs": runs,
        "identical": report.identical,
        "largest_row_group_bytes": report.largest_row_group_bytes,
        "memory_bound_bytes": report.memory_bound_bytes(),
    });
    serde_json::to_string_pretty(&value).expect("JSON values serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> BenchReport {
        BenchReport {
            inputs: vec![PathBuf::from("a.parquet")],
            runs: vec![
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
            ],
            identical: true,
            largest_row_group_bytes: 1 << 30,
        }
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
    }

    #[test]
    fn json_has_the_same_figures() {
        let v: serde_json::Value = serde_json::from_str(&render_json(&report())).unwrap();
        assert_eq!(v["runs"][1]["speedup"], 2.0);
        assert_eq!(v["runs"][0]["images_per_second"], 500.0);
        assert_eq!(v["identical"], true);
        assert_eq!(
            v["memory_bound_bytes"],
            (1u64 << 30) + (1 << 28) + (256 << 20)
        );
    }
}
