//! Existing output, failures during the conversion.

use super::*;

#[test]
fn existing_zip_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().write(&input);
    let out = dir.path().join("out.zip");
    std::fs::write(&out, b"precious old archive").unwrap();
    let run = convert(&[&input], &out, &[]);
    expect_error(&run, 1, &[&show(&out), "already exists", "--force"]);
    assert_eq!(std::fs::read(&out).unwrap(), b"precious old archive");
    assert_no_partial_inside(dir.path());
}

#[test]
fn force_replaces_an_existing_zip() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(3).write(&input);
    let out = dir.path().join("out.zip");
    std::fs::write(&out, b"old").unwrap();
    let run = convert(&[&input], &out, &["--force"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(entry_names(&out), ["img_0.png", "img_1.png", "img_2.png"]);
    assert_no_partial_inside(dir.path());
}

#[test]
fn non_empty_folder_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().write(&input);
    let out = dir.path().join("images");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let run = convert(&[&input], &out, &[]);
    expect_error(&run, 1, &[&show(&out), "already exists", "--force"]);
    assert_eq!(all_files(&out), ["keep.txt"]);

    // An empty folder is fine.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let run = convert(&[&input], &empty, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(png_names(&empty).len(), 4);
}

#[test]
fn force_leaves_a_folder_holding_exactly_the_new_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("blanks.parquet");
    table_with_blanks().write(&input);
    let out = dir.path().join("images");
    let run = convert(&[&input], &out, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(png_names(&out).len(), 5);
    // A PNG of an earlier run with other ids, and pixelprep's own metadata table.
    std::fs::write(out.join("stale.png"), b"old").unwrap();
    std::fs::write(out.join("metadata.csv"), b"file_name\n").unwrap();
    let run = convert(&[&input], &out, &["--force", "--skip-blank"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(run.stdout.contains("2 skipped"), "{}", run.stdout);
    assert_eq!(all_files(&out), ["img_0.png", "img_2.png", "img_4.png"]);
    assert_no_partial_inside(dir.path());
    assert_eq!(
        all_files(dir.path()).len(),
        5,
        "{:?}",
        all_files(dir.path())
    );
}

#[test]
fn force_refuses_a_folder_with_files_pixelprep_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(3).write(&input);
    for foreign in ["notes.txt", "photos/", "link.png"] {
        let out = dir
            .path()
            .join(format!("out_{}", foreign.trim_end_matches('/')));
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("img_0.png"), b"old").unwrap();
        match foreign {
            "photos/" => std::fs::create_dir(out.join("photos")).unwrap(),
            "link.png" => std::os::unix::fs::symlink(&input, out.join("link.png")).unwrap(),
            name => std::fs::write(out.join(name), b"mine").unwrap(),
        }
        let before = all_files(&out);
        let run = convert(&[&input], &out, &["--force"]);
        let named = out.join(foreign.trim_end_matches('/'));
        expect_error(
            &run,
            1,
            &[&show(&out), "--force does not replace", &show(&named)],
        );
        assert_eq!(all_files(&out), before, "{foreign}: the folder was changed");
        assert_eq!(std::fs::read(out.join("img_0.png")).unwrap(), b"old");
        assert_no_partial_inside(dir.path());
    }
}

#[test]
fn force_refuses_to_replace_a_link_to_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(3).write(&input);
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::write(real.join("old.png"), b"old").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for out in [link.clone(), dir.path().join("link/")] {
        let run = convert(&[&input], &out, &["--force"]);
        expect_error(&run, 1, &["--force does not replace", "symbolic link"]);
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(all_files(&real), ["old.png"]);
    }
}

#[test]
fn failed_force_run_leaves_the_old_folder_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = good_then_bad(dir.path());
    let out = dir.path().join("images");
    let run = convert(&[&good], &out, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let before: Vec<_> = all_files(&out)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(out.join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    let run = convert(&[&good, &bad], &out, &["--force"]);
    expect_error(&run, 1, &[&show(&bad), "row 2", "999"]);
    let after: Vec<_> = all_files(&out)
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(out.join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    assert!(
        after == before,
        "a failed --force run changed the old folder"
    );
    assert_no_partial_inside(dir.path());
}

/// A good first file (`a_0..a_9`) and a second one (`b_0..b_5`) with a bad pixel
/// in row 2: the first file is converted before the error.
fn good_then_bad(dir: &Path) -> (PathBuf, PathBuf) {
    let good = dir.join("good.parquet");
    let bad = dir.join("bad.parquet");
    let ids = |p: &str, n: usize| (0..n).map(|i| format!("{p}_{i}")).collect::<Vec<_>>();
    table().ids(ids("a", 10)).write(&good);
    table()
        .ids(ids("b", 6))
        .pixel_override(2, 40, Cell::Value(999))
        .write(&bad);
    (good, bad)
}

#[test]
fn failure_in_the_second_file_leaves_no_zip_and_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = good_then_bad(dir.path());
    let out = dir.path().join("out.zip");
    let run = convert(&[&good, &bad], &out, &[]);
    expect_error(
        &run,
        1,
        &[&show(&bad), "row 2", "\"b_2\"", "column \"40\"", "999"],
    );
    assert_no_output(&out);
}

#[test]
fn failure_with_force_keeps_the_old_zip() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = good_then_bad(dir.path());
    let out = dir.path().join("out.zip");
    // A real archive from an earlier run.
    let run = convert(&[&good], &out, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    let old = std::fs::read(&out).unwrap();
    let run = convert(&[&good, &bad], &out, &["--force"]);
    expect_error(&run, 1, &[&show(&bad), "row 2", "999"]);
    assert!(
        std::fs::read(&out).unwrap() == old,
        "the old archive was changed by a failed --force run"
    );
    assert_no_partial_inside(dir.path());
}

#[test]
fn failure_in_folder_mode_says_how_many_images_were_written() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = good_then_bad(dir.path());
    let out = dir.path().join("images");
    let run = convert(&[&good, &bad], &out, &[]);
    expect_error(
        &run,
        1,
        &[&show(&bad), "row 2", "999", "10 images had been written"],
    );
    // Nothing lost: the first file's images are there, whole; no temporary file.
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..10).map(|i| format!("a_{i}.png")).collect();
        v.sort();
        v
    };
    assert_eq!(png_names(&out), expected);
    assert_eq!(all_files(&out).len(), 10, "{:?}", all_files(&out));
}
