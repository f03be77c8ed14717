//! Bad input gets a clear error, nothing is lost, nothing escapes the output.
//!
//! Every test runs the real binary on tiny tables (12 x 14 images, see
//! `common/tables.rs`) and checks the exit code (1 bad input or failure, 2 usage,
//! 130 interrupted), that stderr is one `error: ...` line naming the file and, where
//! they apply, the row, the image_id and the column, with a hint of what to do; and
//! that nothing is left under the final output name, nor any `*.partial` temporary
//! file beside it.

mod common;

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::tables::{constant_image, inkless_image, Cell, PixelType, TinyTable};
use common::{sample, zip_entries};

const H: usize = 12;
const W: usize = 14;
/// The tiny tables' geometry; `--size 16` unless a test passes its own `--size`.
const GEOMETRY: [&str; 4] = ["--height", "12", "--width", "14"];

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pixelprep"))
}

fn table() -> TinyTable {
    TinyTable::new(H, W)
}

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(output: std::process::Output) -> Self {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `convert INPUTS -o OUT --height 12 --width 14 [--size 16] --progress none EXTRA...`:
/// no progress lines, so stderr holds only warnings and the error.
fn convert_args(inputs: &[&Path], out: &Path, extra: &[&str]) -> Vec<OsString> {
    let mut args = common::convert_args(inputs, out, &GEOMETRY);
    args.extend(["--progress", "none"].map(OsString::from));
    if !extra.contains(&"--size") {
        args.extend(["--size", "16"].map(OsString::from));
    }
    args.extend(extra.iter().map(OsString::from));
    args
}

fn convert(inputs: &[&Path], out: &Path, extra: &[&str]) -> Run {
    Run::from_output(
        binary()
            .args(convert_args(inputs, out, extra))
            .output()
            .expect("the binary runs"),
    )
}

/// True if `text` contains `fragment`, and if the fragment ends in a digit, one not
/// followed by another digit ("row 6" is not found in "row 60").
fn contains_fragment(text: &str, fragment: &str) -> bool {
    if !fragment.ends_with(|c: char| c.is_ascii_digit()) {
        return text.contains(fragment);
    }
    text.match_indices(fragment)
        .any(|(at, _)| !text[at + fragment.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Asserts a failed run: the exit code, no panic, stderr exactly one `error: ` line
/// holding every fragment. Returns that line.
fn expect_error(run: &Run, code: i32, fragments: &[&str]) -> String {
    assert!(
        !run.stderr.contains("panicked"),
        "the binary panicked:\n{}",
        run.stderr
    );
    assert_eq!(
        run.code,
        Some(code),
        "exit code\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: "),
        "stderr should be one `error: ` line, got:\n{}",
        run.stderr
    );
    for fragment in fragments {
        assert!(
            contains_fragment(lines[0], fragment),
            "the error line lacks {fragment:?}:\n{}",
            lines[0]
        );
    }
    lines[0].to_string()
}

/// Names of `*.partial` files directly in `dir`.
fn partial_files(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".partial"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Nothing under the final name, and no temporary file beside it (or inside it).
fn assert_no_output(out: &Path) {
    assert!(!out.exists(), "{} exists after a failure", out.display());
    let parent = out.parent().unwrap();
    let partial = partial_files(parent);
    assert!(
        partial.is_empty(),
        "temporary files left in {}: {partial:?}",
        parent.display()
    );
}

fn assert_no_partial_inside(dir: &Path) {
    let partial = partial_files(dir);
    assert!(
        partial.is_empty(),
        "temporary files left in {}: {partial:?}",
        dir.display()
    );
}

/// Every file under `dir`, relative, sorted.
fn all_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.push(format!("{}/", path.strip_prefix(root).unwrap().display()));
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files);
    files.sort();
    files
}

fn entry_names(zip: &Path) -> Vec<String> {
    zip_entries(zip).into_iter().map(|(n, _)| n).collect()
}

fn png_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

fn show(path: &Path) -> String {
    path.display().to_string()
}

// ---------------------------------------------------------------------------
// The tiny tables themselves

#[test]
fn tiny_tables_have_the_layouts_the_tests_rely_on() {
    use pixelprep::table::{ImageShape, PixelTable};
    let dir = tempfile::tempdir().unwrap();
    let shape = ImageShape {
        height: H,
        width: W,
    };
    let layout = |t: TinyTable| {
        let path = dir.path().join("t.parquet");
        t.write(&path);
        PixelTable::open(&path, shape).unwrap().describe()
    };
    let dict = layout(table().rows(10).row_group_size(4));
    assert_eq!(dict.row_group_rows, [4, 4, 2]);
    assert!(
        dict.encodings.iter().any(|e| e.ends_with("_DICTIONARY")),
        "{dict:?}"
    );
    assert_eq!(dict.format_version, 1);
    assert!(format!("{dict:?}").contains("INT32"), "{dict:?}");
    assert_eq!(dict.id_column, "image_id");
    assert_eq!(dict.pixel_columns, H * W);
    assert_eq!(dict.columns, H * W + 2);

    let plain = layout(table().dictionary(false));
    assert!(
        !plain.encodings.iter().any(|e| e.contains("DICTIONARY")),
        "{plain:?}"
    );
    let v2 = layout(table().format_v2(true));
    assert_eq!(v2.format_version, 2);
    assert!(v2.encodings.iter().any(|e| e == "RLE_DICTIONARY"), "{v2:?}");
    let int64 = layout(
        table()
            .pixel_type(PixelType::Int64)
            .with_index_column(false),
    );
    assert!(format!("{int64:?}").contains("INT64"), "{int64:?}");
    assert_eq!(int64.columns, H * W + 1);
}

// ---------------------------------------------------------------------------
// Unreadable input

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
            "not a readable Parquet file",
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
            &["Arrow IPC (Feather v2)", "rewrite it"],
        ),
        (
            "old.feather",
            b"FEA1rest".to_vec(),
            &["Feather v1", "read_feather"],
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
            .args(common::convert_args(&[&input], &out, &[]))
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

// ---------------------------------------------------------------------------
// Wrong layout

#[test]
fn wrong_pixel_column_count_says_what_it_found_and_expected() {
    let dir = tempfile::tempdir().unwrap();
    for count in [H * W - 1, H * W + 1] {
        let input = dir.path().join(format!("cols_{count}.parquet"));
        table().pixel_columns(count).write(&input);
        let out = dir.path().join("out.zip");
        let run = convert(&[&input], &out, &[]);
        expect_error(
            &run,
            1,
            &[
                &show(&input),
                &format!("{count} pixel columns"),
                &(H * W).to_string(),
                "--height",
                "--width",
            ],
        );
        assert_no_output(&out);
    }
}

#[test]
fn table_without_id_or_string_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("no_id.parquet");
    table().no_id_column().write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[&show(&input), "\"image_id\"", "no string column", "add an"],
    );
    assert_no_output(&out);
}

#[test]
fn several_string_columns_without_image_id_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("strings.parquet");
    table()
        .id_column("name")
        .string_column("label")
        .write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[
            &show(&input),
            "\"name\"",
            "\"label\"",
            "rename the one holding the ids to \"image_id\"",
        ],
    );
    assert_no_output(&out);
}

#[test]
fn only_string_column_names_the_images() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("named.parquet");
    table().id_column("name").rows(3).write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(entry_names(&out), ["img_0.png", "img_1.png", "img_2.png"]);
}

#[test]
fn double_pixel_columns_are_refused_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("double.parquet");
    table().pixel_type(PixelType::Double).write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    expect_error(
        &run,
        1,
        &[
            &show(&input),
            "column \"0\"",
            "DOUBLE",
            "convert the table to integer pixels",
        ],
    );
    assert_no_output(&out);
}

/// Writes `table` with `cell` at (`row`, `column`) and checks the run names the
/// file, row, image id and column, plus `extra` fragments.
fn check_bad_pixel(table: TinyTable, row: usize, column: usize, cell: Cell, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.parquet");
    table.pixel_override(row, column, cell).write(&input);
    let out = dir.path().join("out.zip");
    let run = convert(&[&input], &out, &[]);
    let mut fragments = vec![
        show(&input),
        format!("row {row}"),
        format!("\"img_{row}\""),
        format!("column \"{column}\""),
    ];
    fragments.extend(extra.iter().map(|s| s.to_string()));
    let fragments: Vec<&str> = fragments.iter().map(String::as_str).collect();
    expect_error(&run, 1, &fragments);
    assert_no_output(&out);
}

const NULL_HINT: [&str; 2] = ["is null", "fill or drop the row"];

#[test]
fn null_pixel_names_file_row_id_and_column() {
    check_bad_pixel(table().rows(6), 3, 57, Cell::Null, &NULL_HINT);
}

#[test]
fn null_pixel_in_plain_pages_names_file_row_id_and_column() {
    check_bad_pixel(
        table().rows(6).dictionary(false),
        3,
        57,
        Cell::Null,
        &NULL_HINT,
    );
}

#[test]
fn null_pixel_in_data_page_v2_names_file_row_id_and_column() {
    check_bad_pixel(
        table().rows(6).format_v2(true),
        4,
        101,
        Cell::Null,
        &NULL_HINT,
    );
}

#[test]
fn null_pixel_in_a_later_row_group_counts_rows_over_the_file() {
    let t = table().rows(10).row_group_size(4);
    check_bad_pixel(t.clone(), 6, 100, Cell::Null, &NULL_HINT);
    check_bad_pixel(t.dictionary(false), 9, 3, Cell::Null, &NULL_HINT);
}

#[test]
fn pixel_300_names_file_row_id_column_and_value() {
    check_bad_pixel(table().rows(6), 2, 20, Cell::Value(300), &["300", "0..255"]);
}

#[test]
fn pixel_minus_one_names_file_row_id_column_and_value() {
    check_bad_pixel(table().rows(6), 5, 167, Cell::Value(-1), &["-1", "0..255"]);
}

#[test]
fn out_of_range_pixel_in_plain_pages_names_file_row_id_column_and_value() {
    let plain = table().rows(6).dictionary(false);
    check_bad_pixel(plain.clone(), 2, 20, Cell::Value(300), &["300", "0..255"]);
    check_bad_pixel(plain, 1, 0, Cell::Value(-1), &["-1", "0..255"]);
}

#[test]
fn out_of_range_int64_pixel_names_file_row_id_column_and_value() {
    let int64 = table()
        .rows(6)
        .pixel_type(PixelType::Int64)
        .with_index_column(false);
    check_bad_pixel(int64.clone(), 3, 50, Cell::Value(256), &["256", "0..255"]);
    check_bad_pixel(int64.dictionary(false), 3, 50, Cell::Value(-1), &["-1"]);
}

#[test]
fn out_of_range_pixel_in_a_later_row_group_counts_rows_over_the_file() {
    let t = table().rows(10).row_group_size(4);
    check_bad_pixel(t.clone(), 5, 77, Cell::Value(300), &["300"]);
    check_bad_pixel(t.clone().dictionary(false), 8, 77, Cell::Value(-1), &["-1"]);
    check_bad_pixel(t.format_v2(true), 9, 1, Cell::Value(1000), &["1000"]);
}

// ---------------------------------------------------------------------------
// Empty file, blank images

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

/// Five images: 1 is constant white, 3 has no ink; the others are ordinary.
fn table_with_blanks() -> TinyTable {
    table()
        .rows(5)
        .image(1, constant_image(H, W, 255))
        .image(3, inkless_image(H, W))
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

// ---------------------------------------------------------------------------
// Dangerous ids

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

// ---------------------------------------------------------------------------
// Duplicate ids

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

// ---------------------------------------------------------------------------
// Existing output, failures during the conversion

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

// ---------------------------------------------------------------------------
// Ctrl-C / SIGTERM

/// Waits for `child`, killing it after `timeout`; `None` if it had to be killed.
fn wait_with_timeout(child: &mut std::process::Child, timeout: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

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

/// Serial runs write on the converting thread, parallel ones on a writer thread:
/// failures must clean up the same way in both.
const MODES: [&str; 2] = ["1", "2"];

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
            common::decode(&bytes, name);
        }
    }
}

// ---------------------------------------------------------------------------
// Unwritable output, full disk

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

// ---------------------------------------------------------------------------
// Worker panic

#[test]
fn worker_panic_exits_1_and_leaves_no_zip() {
    for threads in MODES {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.parquet");
        table().rows(20).write(&input);
        let out = dir.path().join("out.zip");
        let output = binary()
            .args(convert_args(
                &[&input],
                &out,
                &["--threads", threads, "--panic-on-image-id", "img_7"],
            ))
            .output()
            .unwrap();
        let run = Run::from_output(output);
        assert_eq!(run.code, Some(1), "exit code; stderr: {}", run.stderr);
        let errors: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "one error line: {}", run.stderr);
        assert!(errors[0].contains("panicked"), "{}", errors[0]);
        assert_no_output(&out);
    }
}

// ---------------------------------------------------------------------------
// Usage errors

#[test]
fn usage_errors_exit_2() {
    let cases: [&[&str]; 5] = [
        &["convert", "-o", "x.zip"],
        &["convert", "a.parquet"],
        &["convert", "a.parquet", "-o", "x.zip", "--threads", "0"],
        &["convert", "a.parquet", "-o", "x.zip", "--height", "tall"],
        &["convert", "a.parquet", "-o", "x.zip", "--frobnicate"],
    ];
    let dir = tempfile::tempdir().unwrap();
    for args in cases {
        let run = Run::from_output(
            binary()
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap(),
        );
        assert_eq!(run.code, Some(2), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!dir.path().join("x.zip").exists());
    }
}

// ---------------------------------------------------------------------------
// Fuzzing

/// What went wrong with one damaged file, if anything.
fn fuzz_one(input: &Path, out: &Path) -> Option<String> {
    let stderr_path = input.with_extension("stderr");
    let mut child = binary()
        .args(convert_args(&[input], out, &["--threads", "1"]))
        .stdout(Stdio::null())
        .stderr(File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let problem = match status.map(|s| s.code()) {
        None => Some("hung (killed after 20 s)".to_string()),
        Some(None) => Some(format!("killed by a signal: {status:?}")),
        Some(Some(_)) if stderr.contains("panicked") => Some("panicked".into()),
        Some(Some(0)) => {
            let readable = std::panic::catch_unwind(|| zip_entries(out).len());
            readable
                .is_err()
                .then(|| "exit 0 but no readable zip".into())
        }
        Some(Some(1)) => (!stderr.lines().any(|l| l.starts_with("error: ")))
            .then(|| "exit 1 without an `error: ` line".into()),
        Some(Some(code)) => Some(format!("exit code {code}")),
    };
    let _ = std::fs::remove_file(out);
    problem.map(|p| format!("{p}; stderr: {}", stderr.trim()))
}

#[test]
fn damaged_tables_never_panic_hang_or_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut originals = Vec::new();
    let dict = dir.path().join("dict.parquet");
    table().rows(6).write(&dict);
    originals.push(("dict", std::fs::read(&dict).unwrap()));
    let plain = dir.path().join("plain.parquet");
    table()
        .rows(6)
        .row_group_size(3)
        .dictionary(false)
        .format_v2(true)
        .snappy(false)
        .pixel_type(PixelType::Int64)
        .write(&plain);
    originals.push(("plain", std::fs::read(&plain).unwrap()));

    // (name, bytes) of every damaged variant: a flipped byte every 97, and cuts at
    // 60 offsets spread over the file.
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in &originals {
        for at in (0..bytes.len()).step_by(97) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xFF;
            cases.push((format!("{name} flip@{at}"), damaged));
        }
        for i in 0..60 {
            let at = bytes.len() * i / 60 + i % 7;
            cases.push((format!("{name} cut@{at}"), bytes[..at].to_vec()));
        }
    }
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (cases, next, failures, dir) = (&cases, &next, &failures, dir.path());
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, bytes)) = cases.get(i) else {
                    break;
                };
                let input = dir.join(format!("case_{worker}.parquet"));
                std::fs::write(&input, bytes).unwrap();
                let out = dir.join(format!("out_{worker}.zip"));
                if let Some(problem) = fuzz_one(&input, &out) {
                    failures.lock().unwrap().push(format!("{name}: {problem}"));
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert_no_partial_inside(dir.path());
    eprintln!(
        "{} damaged files in {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} damaged files misbehaved:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
