//! Unreadable input.

use super::*;

#[test]
fn missing_input_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("missing.parquet");
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(&run, 1, &[&show(&input), "check the path"]);
    // The cause is part of the message, and printed once.
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        run.stderr
    );
    assert_no_output(&out);
}

#[test]
fn folder_as_input_is_an_error_naming_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("tables");
    std::fs::create_dir(&input).unwrap();
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[&show(&input), "directory", ".parquet files inside"],
    );
    assert_no_output(&out);
}

#[test]
fn csv_file_as_input_is_named_as_csv() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("notes.parquet");
    std::fs::write(&input, "image_id,0,1,2\nTrain_0,255,255,0\n").unwrap();
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[
            &show(&input),
            "not a Parquet or Feather / Arrow IPC file",
            "looks like a CSV file",
            "read_csv",
        ],
    );
    assert_no_output(&out);
}

#[test]
fn other_files_as_input_are_named_for_what_their_first_bytes_show() {
    let dir = tempfile::tempdir().unwrap();
    let mut parquet_head = b"PAR1".to_vec();
    parquet_head.extend([0u8; 64]);
    for (name, bytes, fragments) in [
        (
            "empty.parquet",
            b"".to_vec(),
            &["is empty", "download it again"][..],
        ),
        (
            "archive.parquet",
            b"PK\x03\x04rest".to_vec(),
            &["is a zip file", "unzip it"],
        ),
        (
            "table.feather",
            b"ARROW1\0\0rest".to_vec(),
            &[
                "not a readable Arrow IPC file",
                "no footer",
                "download it again",
            ],
        ),
        (
            "old.feather",
            b"FEA1rest".to_vec(),
            &["Feather v1", "write_feather"],
        ),
        (
            "table.parquet.gz",
            vec![0x1f, 0x8b, 8, 0],
            &["gzip-compressed", "gunzip"],
        ),
        (
            "notes.txt",
            b"# notes\nnothing here\n".to_vec(),
            &["is a text file"],
        ),
        (
            "cut.parquet",
            parquet_head,
            &["truncated", "download it again"],
        ),
    ] {
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        let out = dir.path().join(format!("{name}.zip"));
        let run = convert(&[&input], &out, &[]);
        let mut expected = vec![show(&input)];
        expected.extend(fragments.iter().map(|f| f.to_string()));
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        expect_error(&run, 1, &expected);
        assert_no_output(&out);
    }
}

#[test]
fn the_same_input_given_twice_is_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.parquet");
    table().rows(3).write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input, &input], &out, &[]);
    expect_error(
        &run,
        1,
        &[
            &show(&input),
            "given twice",
            "inputs 1 and 2",
            "pass each file once",
        ],
    );
    assert_no_output(&out);
    // The same file under another name.
    let other = dir.path().join("./in.parquet");
    let link = dir.path().join("link.parquet");
    std::os::unix::fs::symlink(&input, &link).unwrap();
    let run = convert(&[&other, &link], &out, &[]);
    expect_error(
        &run,
        1,
        &[
            "given twice",
            "inputs 1 and 2",
            &format!("the second time as {}", show(&link)),
        ],
    );
    assert_no_output(&out);
}

#[test]
fn truncated_sample_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let input = dir.path().join("half.parquet");
    std::fs::write(&input, &bytes[..bytes.len() / 2]).unwrap();
    let out = dir.path().join("out.zip");
    // The sample has the default geometry.
    let run = Run::from_output(
        binary()
            .args(crate::common::convert_args(&[&input], &out, &[]))
            .output()
            .unwrap(),
    );
    expect_error(&run, 1, &[&show(&input), "download it again"]);
    assert_no_output(&out);
}

#[test]
fn truncated_tiny_table_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.parquet");
    table().rows(6).write(&whole);
    let bytes = std::fs::read(&whole).unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 1, 4, 0] {
        let input = dir.path().join(format!("cut_{cut}.parquet"));
        std::fs::write(&input, &bytes[..cut]).unwrap();
        let out = dir.path().join(format!("out_{cut}.zip"));
        let run = convert(&[&input], &out, &[]);
        expect_error(&run, 1, &[&show(&input), "Parquet"]);
        assert_no_output(&out);
    }
}
