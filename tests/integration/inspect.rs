//! `pixelprep inspect` reports the competition layout from the footer alone.

use crate::common::*;

#[test]
fn inspect_reports_the_competition_layout_of_the_sample() {
    let out = pixelprep_ok(["inspect".as_ref(), sample().as_os_str()]);
    for expected in [
        "rows          36 in 1 row group (36)",
        "columns       32334: id \"image_id\", 32332 pixel columns \"0\"..\"32331\", stored pandas index \"__index_level_0__\"",
        "image size    137 x 236 (the Bengali.AI layout, the default)",
        "pixel type    INT32 (UINT_8)",
        "encodings     PLAIN_DICTIONARY, RLE; compression SNAPPY",
        "format        Parquet format version 1",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn inspect_reports_row_groups_and_v2_encodings() {
    let out = pixelprep_ok([
        "inspect".as_ref(),
        layouts().join("multi_rg_v2.parquet").as_os_str(),
    ]);
    assert!(
        out.contains("rows          12 in 3 row groups (5, 5, 2)"),
        "{out}"
    );
    assert!(out.contains("RLE_DICTIONARY"), "{out}");
    assert!(out.contains("no stored index"), "{out}");
}

#[test]
fn inspect_checks_a_given_size() {
    let out = pixelprep_ok([
        "inspect".as_ref(),
        sample().as_os_str(),
        "--height".as_ref(),
        "100".as_ref(),
        "--width".as_ref(),
        "100".as_ref(),
    ]);
    assert!(
        out.contains("not 100 x 100 = 10000: there are 32332 pixel columns"),
        "{out}"
    );
}

#[test]
fn inspect_of_a_non_parquet_file_fails_with_its_name() {
    let out = pixelprep(["inspect".as_ref(), repo().join("README.md").as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("README.md: not a Parquet or Feather / Arrow IPC file"),
        "{err}"
    );
}
