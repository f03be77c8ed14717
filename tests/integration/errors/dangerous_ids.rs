//! Dangerous ids.

use super::*;

#[test]
fn dangerous_ids_are_refused_before_anything_is_written() {
    let long = "x".repeat(300);
    let ids = [
        "../evil", "a/b", "/abs", "a\\b", "..", "a\0b", "a\nb", "", &long,
    ];
    let mut failures = Vec::new();
    for (i, bad) in ids.iter().enumerate() {
        for mode in ["zip", "folder"] {
            let dir = tempfile::tempdir().unwrap();
            let work = dir.path().join("work");
            std::fs::create_dir(&work).unwrap();
            let input = work.join("in.parquet");
            table().ids(vec!["ok_0", bad, "ok_2"]).write(&input);
            let out = if mode == "zip" {
                work.join("out").join("train.zip")
            } else {
                work.join("out").join("images")
            };
            let run = convert(&[&input], &out, &[]);
            let checked = std::panic::catch_unwind(|| {
                expect_error(
                    &run,
                    1,
                    &[
                        &show(&input),
                        "row 1",
                        &format!("{bad:?}"),
                        "fix the image_id column",
                    ],
                );
                // Nothing written at all: not the output, not its folder, not a
                // file outside it.
                assert_eq!(all_files(dir.path()), ["work/", "work/in.parquet"]);
            });
            if checked.is_err() {
                failures.push(format!("id #{i} {bad:?} ({mode}): {run:?}"));
            }
            assert!(!Path::new("/abs.png").exists());
        }
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}

#[test]
fn null_id_is_refused_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(4).null_id(2).write(&input);
    let out = dir.path().join("out").join("images");
    let run = convert(&[&input], &out, &[]);
    expect_error(&run, 1, &[&show(&input), "row 2", "image_id", "null"]);
    assert!(!dir.path().join("out").exists());
}
