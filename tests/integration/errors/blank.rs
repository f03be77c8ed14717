//! Empty file, blank images.

use super::*;

#[test]
fn empty_table_gives_an_empty_zip_and_a_no_rows_warning() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.parquet");
    table().rows(0).write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(entry_names(&out), Vec::<String>::new());
    assert!(
        run.stdout.starts_with("0 images, 0 blank"),
        "summary: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("no rows") && run.stderr.contains(&show(&input)),
        "expected a warning naming the file and saying it has no rows, stderr: {:?}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("error"),
        "a warning, not an error: {}",
        run.stderr
    );
    assert_no_partial_inside(dir.path());
}

#[test]
fn constant_and_inkless_images_are_counted_blank() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("blanks.parquet");
    table_with_blanks().write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout.starts_with("5 images, 2 blank, from 1 file"),
        "summary: {}",
        run.stdout
    );
    assert_eq!(entry_names(&out).len(), 5);
}

#[test]
fn skip_blank_leaves_blank_images_out_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("blanks.parquet");
    table_with_blanks().write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &["--skip-blank"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert!(
        run.stdout.starts_with("5 images, 2 blank, 2 skipped"),
        "summary: {}",
        run.stdout
    );
    assert_eq!(entry_names(&out), ["img_0.png", "img_2.png", "img_4.png"]);

    let folder = dir.path().join("images");
    let run = convert(&[&input], &folder, &["--skip-blank"]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(png_names(&folder), ["img_0.png", "img_2.png", "img_4.png"]);
}
