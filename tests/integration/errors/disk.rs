//! Unwritable output, full disk.

use super::*;

#[test]
fn output_under_a_regular_file_is_a_write_error() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().write(&input);
    let blocker = dir.path().join("file.txt");
    std::fs::write(&blocker, "not a folder").unwrap();
    for out in [blocker.join("out.zip"), blocker.join("images")] {
        let run = convert(&[&input], &out, &[]);
        expect_error(&run, 1, &[&show(&out), "cannot write output"]);
        assert_eq!(std::fs::read(&blocker).unwrap(), b"not a folder");
    }
    assert_eq!(all_files(dir.path()), ["file.txt", "in.parquet"]);
}

/// Runs `convert` through `sh` with the file size limit at `blocks` x 512 bytes and
/// SIGXFSZ ignored, so writes past it fail with EFBIG.
fn convert_with_file_size_limit(inputs: &[&Path], out: &Path, extra: &[&str], blocks: u32) -> Run {
    let script = format!("trap '' XFSZ; ulimit -f {blocks} && exec \"$0\" \"$@\"");
    Run::from_output(
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_pixelprep"))
            .args(convert_args(inputs, out, extra))
            .output()
            .unwrap(),
    )
}

#[test]
fn write_failure_in_zip_mode_leaves_no_zip_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(300).write(&input);
    let out = dir.path().join("out.zip");
    // Sanity: without the limit the archive is well over 8 KB.
    let run = convert(&[&input], &out, &["--size", "64"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(std::fs::metadata(&out).unwrap().len() > 64 * 1024);
    std::fs::remove_file(&out).unwrap();

    for threads in MODES {
        let run = convert_with_file_size_limit(
            &[&input],
            &out,
            &["--size", "64", "--threads", threads],
            16,
        );
        expect_error(&run, 1, &[&show(&out), "cannot write output"]);
        assert_no_output(&out);
    }
}

#[test]
fn write_failure_with_force_keeps_the_old_zip() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.parquet");
        table().rows(300).write(&input);
        let out = dir.path().join("out.zip");
        std::fs::write(&out, b"old archive").unwrap();
        let run = convert_with_file_size_limit(
            &[&input],
            &out,
            &["--size", "64", "--force", "--threads", threads],
            16,
        );
        expect_error(&run, 1, &[&show(&out), "cannot write output"]);
        assert_eq!(std::fs::read(&out).unwrap(), b"old archive");
        assert_no_partial_inside(dir.path());
    }
}

#[test]
fn write_failure_in_folder_mode_says_how_many_images_were_written() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    // Image 2 is noise at full size: its PNG is far bigger than the others.
    let noisy: Vec<u8> = (0..H * W).map(|p| ((p * 7919) % 251) as u8).collect();
    table().rows(5).image(2, noisy).write(&input);
    let out = dir.path().join("images");
    let run = convert(&[&input], &out, &["--size", "128"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let sizes: Vec<u64> = (0..5)
        .map(|i| {
            std::fs::metadata(out.join(format!("img_{i}.png")))
                .unwrap()
                .len()
        })
        .collect();
    let small = sizes[0].max(sizes[1]);
    let limit_blocks = small.div_ceil(512) as u32;
    assert!(
        sizes[2] > u64::from(limit_blocks) * 512,
        "image 2 must be bigger than the limit: sizes {sizes:?}"
    );

    for threads in MODES {
        std::fs::remove_dir_all(&out).unwrap();
        let run = convert_with_file_size_limit(
            &[&input],
            &out,
            &["--size", "128", "--threads", threads],
            limit_blocks,
        );
        expect_error(
            &run,
            1,
            &[
                &show(&out),
                "cannot write output",
                "2 images had been written",
            ],
        );
        assert_eq!(png_names(&out), ["img_0.png", "img_1.png"]);
        assert_no_partial_inside(&out);
    }
}

#[test]
fn full_disk_leaves_no_zip_and_no_temp_file() {
    // A 64 KB tmpfs in a private mount namespace; skipped where that is not allowed.
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot create a user + mount namespace here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(300).write(&input);
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    let out = mount.join("out.zip");
    let script = "mnt=$1; shift; mount -t tmpfs -o size=64k tmpfs \"$mnt\" || exit 99; \
                  \"$@\"; rc=$?; echo LISTING; ls -A \"$mnt\"; exit $rc";
    let output = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(&mount)
        .arg(env!("CARGO_BIN_EXE_pixelprep"))
        .args(convert_args(&[&input], &out, &["--size", "64"]))
        .output()
        .unwrap();
    let mut run = Run::from_output(output);
    assert_ne!(run.code, Some(99), "mount failed: {}", run.stderr);
    let (stdout, listing) = run
        .stdout
        .split_once("LISTING\n")
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    run.stdout = stdout;
    expect_error(
        &run,
        1,
        &[&show(&out), "cannot write output", "No space left"],
    );
    assert_eq!(listing.trim(), "", "left in the full tmpfs: {listing}");
}
