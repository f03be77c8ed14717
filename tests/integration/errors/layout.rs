//! Wrong layout.

use super::*;

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
