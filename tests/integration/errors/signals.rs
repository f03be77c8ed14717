//! Ctrl-C / SIGTERM.

use super::*;

/// Sends SIGTERM to `child`, as a user's `kill` would.
fn send_sigterm(child: &std::process::Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
}

/// Runs a conversion of a table large enough to take seconds, sends SIGTERM once
/// the run is under way (its temporary file exists, then 300 ms more), and returns
/// the run. Retries with 4x the rows if the run finished before the signal.
fn interrupted_run(dir: &Path, out: &Path, threads: &str) -> Run {
    let input = dir.join("big.parquet");
    let mut rows = 20_000;
    for _attempt in 0..3 {
        table().rows(rows).row_group_size(5_000).write(&input);
        let stdout = dir.join("stdout.txt");
        let stderr = dir.join("stderr.txt");
        let mut child = binary()
            .args(convert_args(
                &[&input],
                out,
                &["--size", "96", "--threads", threads],
            ))
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        // Under way: the zip's temporary file, or the folder, exists.
        let started = Instant::now();
        let under_way = || {
            if out.extension().is_some_and(|e| e == "zip") {
                !partial_files(out.parent().unwrap()).is_empty()
            } else {
                out.exists()
            }
        };
        while !under_way() && started.elapsed() < Duration::from_secs(30) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(300));
        let finished_early = child.try_wait().unwrap().is_some();
        if !finished_early {
            send_sigterm(&child);
        }
        let status = wait_with_timeout(&mut child, Duration::from_secs(60))
            .expect("the run stops within 60 s of SIGTERM");
        let run = Run {
            code: status.code(),
            stdout: std::fs::read_to_string(&stdout).unwrap(),
            stderr: std::fs::read_to_string(&stderr).unwrap(),
        };
        if finished_early || run.code == Some(0) {
            // Too fast for the signal: clean up and try a bigger input.
            eprintln!("{rows} rows finished before SIGTERM; retrying with more");
            if out.is_dir() {
                std::fs::remove_dir_all(out).unwrap();
            } else if out.exists() {
                std::fs::remove_file(out).unwrap();
            }
            rows *= 4;
            continue;
        }
        return run;
    }
    panic!("even {rows} rows converted before SIGTERM arrived");
}

/// An interrupted run that says nothing was written to `out`, and left nothing there.
fn expect_interrupted_before_any_output(run: &Run, out: &Path) {
    expect_error(
        run,
        130,
        &["interrupted", "nothing was written", &show(out)],
    );
    assert_no_output(out);
}

#[test]
fn sigterm_exits_130_and_removes_the_partial_zip() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out").join("big.zip");
        let run = interrupted_run(dir.path(), &out, threads);
        assert!(
            run.code.is_some(),
            "{threads} threads: killed by the signal instead of stopping cleanly: {run:?}"
        );
        expect_interrupted_before_any_output(&run, &out);
    }
}

#[test]
fn sigterm_during_synth_exits_130_and_removes_the_partial_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("synthetic.parquet");
    let stderr = dir.path().join("stderr.txt");
    // Minutes of work at full size: the signal always comes first.
    let mut child = binary()
        .args(["synth", "-o"])
        .arg(&out)
        .args(["--rows", "400000", "--row-group-size", "5000"])
        .stdout(Stdio::null())
        .stderr(File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while partial_files(dir.path()).is_empty() && started.elapsed() < Duration::from_secs(60) {
        assert!(child.try_wait().unwrap().is_none(), "synth ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    send_sigterm(&child);
    let status = wait_with_timeout(&mut child, Duration::from_secs(60))
        .expect("synth stops within 60 s of SIGTERM");
    let run = Run {
        code: status.code(),
        stdout: String::new(),
        stderr: std::fs::read_to_string(&stderr).unwrap(),
    };
    expect_interrupted_before_any_output(&run, &out);
}

#[test]
fn sigterm_in_folder_mode_says_how_many_images_were_written() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("images");
        let run = interrupted_run(dir.path(), &out, threads);
        let line = expect_error(&run, 130, &["interrupted", "images had been written"]);
        // The count in the message is the number of PNGs in the folder, all whole.
        let count: usize = line
            .split("interrupted; ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no count in {line}"));
        assert_eq!(png_names(&out).len(), count, "{line}");
        assert_no_partial_inside(&out);
        for name in png_names(&out).iter().take(50) {
            let bytes = std::fs::read(out.join(name)).unwrap();
            crate::common::decode(&bytes, name);
        }
    }
}
