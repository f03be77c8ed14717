//! End-to-end: the real binary on the bundled sample and other layouts of the same
//! rows, checked pixel for pixel against golden outputs of the reference kernel's
//! Python port (scripts/reference_kernel.py).

use crate::common::*;

fn golden_sample() -> std::collections::BTreeMap<String, Gray> {
    folder_images(&repo().join("data-samples/golden"))
}

#[test]
fn sample_zip_is_pixel_identical_to_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("train.zip");
    pixelprep_ok(convert_args(&[&sample()], &out, &[]));
    assert_same_images(&zip_images(&out), &golden_sample());
}

#[test]
fn sample_folder_is_pixel_identical_to_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("images");
    pixelprep_ok(convert_args(&[&sample()], &out, &[]));
    let images = folder_images(&out);
    assert_same_images(&images, &golden_sample());
    // Flat: nothing but the PNGs (no leftover temporary files, no subfolders).
    let entries = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(entries, images.len());
}

#[test]
fn zip_entries_follow_input_order_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("two.zip");
    pixelprep_ok(convert_args(&[&sample()], &out, &[]));
    let names: Vec<String> = zip_entries(&out).into_iter().map(|(n, _)| n).collect();
    let expected: Vec<String> = (0..names.len()).map(|i| format!("Train_{i}.png")).collect();
    assert_eq!(
        names, expected,
        "entries are in row order, not sorted or by thread"
    );
}

#[test]
fn one_thread_and_many_threads_write_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let serial = dir.path().join("serial.zip");
    let parallel = dir.path().join("parallel.zip");
    pixelprep_ok(convert_args(&[&sample()], &serial, &["--threads", "1"]));
    pixelprep_ok(convert_args(&[&sample()], &parallel, &["-j", "4"]));
    let a = std::fs::read(&serial).unwrap();
    let b = std::fs::read(&parallel).unwrap();
    assert!(!a.is_empty());
    assert!(a == b, "archives differ between 1 and 4 threads");
}

#[test]
fn summary_counts_images_and_blanks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.zip");
    let stdout = pixelprep_ok(convert_args(&[&sample()], &out, &[]));
    let golden = golden_sample().len();
    assert!(
        stdout.starts_with(&format!("{golden} images, 2 blank,")),
        "summary: {stdout}"
    );
    assert!(stdout.contains("images/s"), "summary: {stdout}");
}

fn layout_golden() -> std::collections::BTreeMap<String, Gray> {
    folder_images(&layouts().join("golden"))
}

fn convert_layout(file: &str) -> std::collections::BTreeMap<String, Gray> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.zip");
    pixelprep_ok(convert_args(&[&layouts().join(file)], &out, &[]));
    zip_images(&out)
}

#[test]
fn several_row_groups_format_2_matches_single_row_group_golden() {
    assert_same_images(&convert_layout("multi_rg_v2.parquet"), &layout_golden());
}

#[test]
fn int64_pixels_without_index_column_match_golden() {
    assert_same_images(&convert_layout("int64_no_index.parquet"), &layout_golden());
}

#[test]
fn plain_uncompressed_pages_match_golden() {
    assert_same_images(
        &convert_layout("plain_uncompressed.parquet"),
        &layout_golden(),
    );
}

#[test]
fn outputs_get_ordinary_file_permissions_not_the_temp_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // What this process's umask gives an ordinary new file.
    let reference = dir.path().join("ordinary");
    std::fs::write(&reference, b"").unwrap();
    let ordinary = std::fs::metadata(&reference).unwrap().permissions().mode() & 0o777;
    let zip = dir.path().join("p.zip");
    let folder = dir.path().join("p");
    pixelprep_ok(convert_args(&[&sample()], &zip, &[]));
    pixelprep_ok(convert_args(&[&sample()], &folder, &[]));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&zip), ordinary);
    assert_eq!(mode(&folder.join("Train_0.png")), ordinary);
}
