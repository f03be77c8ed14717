//! `--resume`: a run of photos into tar shards, stopped by a kill, SIGTERM, a
//! crash or a bad file at several points, then continued, must leave exactly the
//! shards one uninterrupted run writes, byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{pixelprep, stderr};

fn images() -> PathBuf {
    crate::common::repo().join("tests/fixtures/images/folder")
}

/// A folder of `copies` copies of two fixture photos in two class folders.
fn photo_folder(dir: &Path, copies: usize) -> PathBuf {
    let folder = dir.join(format!("photos-{copies}"));
    for (class, source) in [("a", "cat/0001.jpg"), ("b", "coffee/rgba8.png")] {
        std::fs::create_dir_all(folder.join(class)).unwrap();
        let extension = Path::new(source).extension().unwrap().to_str().unwrap();
        for i in 0..copies {
            let to = folder.join(class).join(format!("{i:05}.{extension}"));
            std::fs::copy(images().join(source), to).unwrap();
        }
    }
    folder
}

const SHARD: &str = "8";

fn args(folder: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut all = vec![
        "convert".to_string(),
        folder.display().to_string(),
        "-o".into(),
        out.join("s-%05d.tar").display().to_string(),
        "--shard-size".into(),
        SHARD.into(),
        "--size".into(),
        "48".into(),
        "--filter".into(),
        "lanczos".into(),
        "-q".into(),
    ];
    all.extend(extra.iter().map(|s| s.to_string()));
    all
}

/// Every file in `dir`, name and bytes, sorted by name.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    all.sort();
    all
}

fn shards_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("s-") && name.ends_with(".tar")
            })
            .count()
    })
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pixelprep"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts the run, waits until `shards` shards are under their names, then
/// stops it with `signal` (`KILL` or `TERM`). `None` if the run ended first.
fn stop_after(args: &[String], out: &Path, shards: usize, signal: &str) -> Option<String> {
    let mut child = spawn(args);
    let started = Instant::now();
    while shards_in(out) < shards {
        if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if child.try_wait().unwrap().is_some() {
        return None;
    }
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = child.wait_with_output().unwrap();
    // Success: it ended between the check and the signal.
    (!output.status.success()).then(|| String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_killed_or_interrupted_run_resumes_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut copies = 400;
    'attempt: for _attempt in 0..3 {
        let folder = photo_folder(dir.path(), copies);
        let whole = dir.path().join(format!("whole-{copies}"));
        let result = pixelprep(args(&folder, &whole, &["-j1"]));
        assert!(result.status.success(), "{}", stderr(&result));
        let expected = contents(&whole);
        let total = expected.len();
        assert_eq!(total, (2 * copies).div_ceil(8));
        for (point, signal, threads) in [
            (1, "KILL", "-j1"),
            (total / 3, "KILL", "-j2"),
            (total / 2, "TERM", "-j2"),
            (total * 3 / 4, "KILL", "-j1"),
        ] {
            let out = dir.path().join(format!("r-{copies}-{point}-{signal}"));
            let Some(said) = stop_after(&args(&folder, &out, &[threads]), &out, point, signal)
            else {
                // Finished before the signal: try again with more photos.
                copies *= 4;
                continue 'attempt;
            };
            if signal == "TERM" {
                assert!(said.contains("--resume"), "{said}");
            }
            let kept = shards_in(&out);
            assert!(kept >= point, "{kept} of {total}");
            let result = pixelprep(args(&folder, &out, &["--resume", threads]));
            assert!(result.status.success(), "{}", stderr(&result));
            // The same files, the same bytes; no temporary file left over.
            assert!(contents(&out) == expected, "stopped at {point} by {signal}");
        }
        return;
    }
    panic!("every run finished before it could be stopped");
}

#[test]
fn a_crash_or_a_bad_file_resumes_and_foreign_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = photo_folder(dir.path(), 300);
    let whole = dir.path().join("whole");
    let result = pixelprep(args(&folder, &whole, &[]));
    assert!(result.status.success(), "{}", stderr(&result));
    let expected = contents(&whole);

    // A crash in the third batch of 256: two batches of shards are kept.
    let out = dir.path().join("crashed");
    let result = pixelprep(args(&folder, &out, &["--panic-on-image-id", "b/00250"]));
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("--resume"), "{}", stderr(&result));
    assert_eq!(shards_in(&out), 512 / 8);
    // Run again as it was, the kept shards are not overwritten: it says how to go on.
    let result = pixelprep(args(&folder, &out, &[]));
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("--resume"), "{}", stderr(&result));
    let result = pixelprep(args(&folder, &out, &["--resume"]));
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(contents(&out) == expected);
    // Resuming a finished run changes nothing.
    let result = pixelprep(args(&folder, &out, &["--resume"]));
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(contents(&out) == expected);

    // A bad file stops the run; mended, the run resumes; with --skip-bad the
    // bad file is listed as one run lists it.
    let bad = folder.join("b/00200.png");
    let good = std::fs::read(&bad).unwrap();
    std::fs::write(&bad, &good[..good.len() / 2]).unwrap();
    let out = dir.path().join("bad");
    let result = pixelprep(args(&folder, &out, &[]));
    assert_eq!(result.status.code(), Some(1));
    assert!(stderr(&result).contains("00200.png"), "{}", stderr(&result));
    let mut skipping = args(&folder, &dir.path().join("skipping"), &["--skip-bad"]);
    let result = pixelprep(&skipping);
    assert!(result.status.success(), "{}", stderr(&result));
    let skipped = contents(&dir.path().join("skipping"));
    let out = dir.path().join("skipping-resumed");
    let crash = ["--skip-bad", "--panic-on-image-id", "b/00260"];
    let result = pixelprep(args(&folder, &out, &crash));
    assert_eq!(result.status.code(), Some(1));
    skipping = args(&folder, &out, &["--skip-bad", "--resume"]);
    let result = pixelprep(&skipping);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(contents(&out) == skipped);
    std::fs::write(&bad, &good).unwrap();

    // Shards of another command (another size) are refused, untouched.
    let other = dir.path().join("other");
    let mut small = args(&folder, &other, &["--panic-on-image-id", "b/00250"]);
    small[7] = "32".into();
    assert!(!pixelprep(&small).status.success());
    let before = contents(&other);
    let result = pixelprep(args(&folder, &other, &["--resume"]));
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("another command"),
        "{}",
        stderr(&result)
    );
    assert!(contents(&other) == before);

    // A shard cut short under its name is never taken as finished.
    let cut = dir.path().join("cut");
    assert!(
        !pixelprep(args(&folder, &cut, &["--panic-on-image-id", "b/00250"]))
            .status
            .success()
    );
    let last = cut.join("s-00063.tar");
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(&last, &bytes[..bytes.len() - 700]).unwrap();
    let result = pixelprep(args(&folder, &cut, &["--resume"]));
    assert_eq!(result.status.code(), Some(1));
    assert!(
        stderr(&result).contains("s-00063.tar"),
        "{}",
        stderr(&result)
    );

    // --resume needs shards, and does not go with --force.
    let result = pixelprep([
        "convert",
        folder.to_str().unwrap(),
        "-o",
        "x.tar",
        "--resume",
    ]);
    assert_eq!(result.status.code(), Some(2));
    let result = pixelprep(args(&folder, &cut, &["--resume", "--force"]));
    assert_eq!(result.status.code(), Some(2));
}
