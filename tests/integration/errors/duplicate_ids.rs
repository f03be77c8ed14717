//! Duplicate ids.

use super::*;

#[test]
fn duplicate_id_within_a_file_names_both_rows() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table()
        .ids(vec!["a", "b", "c", "b", "d"])
        .row_group_size(2)
        .write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[&show(&input), "\"b\"", "row 1", "row 3", "rename"],
    );
    assert_no_output(&out);
}

#[test]
fn duplicate_id_across_files_names_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.parquet");
    let second = dir.path().join("second.parquet");
    table().ids(vec!["x0", "x1", "dup"]).write(&first);
    table().ids(vec!["y0", "dup"]).write(&second);
    let out = dir.path().join("out.zip");
    let run = convert(&[&first, &second], &out, &[]);
    let line = expect_error(
        &run,
        1,
        &[&show(&first), &show(&second), "\"dup\"", "row 2", "row 1"],
    );
    assert!(
        line.find(&show(&first)) < line.find(&show(&second)),
        "the first occurrence comes first: {line}"
    );
    assert_no_output(&out);
}
