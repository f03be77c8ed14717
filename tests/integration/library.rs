//! The library API without the binary: `convert` with options built in code.

use std::sync::atomic::AtomicBool;

use crate::common::*;
use pixelprep::{convert, ConvertOptions, Geometry, Silent};

fn options(output: std::path::PathBuf, threads: usize) -> ConvertOptions {
    ConvertOptions {
        inputs: vec![sample()],
        output,
        geometry: Geometry::default(),
        threads,
        ..ConvertOptions::default()
    }
}

#[test]
fn convert_returns_a_summary_and_writes_the_golden_images() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lib.zip");
    let summary = convert(&options(out.clone(), 2), &Silent, &AtomicBool::new(false)).unwrap();
    assert_eq!(
        (
            summary.files,
            summary.images,
            summary.blanks,
            summary.skipped
        ),
        (1, 36, 2, 0)
    );
    assert_eq!(summary.output_bytes, std::fs::metadata(&out).unwrap().len());
    assert_same_images(
        &zip_images(&out),
        &folder_images(&repo().join("data-samples/golden")),
    );
}

#[test]
fn a_cancelled_run_is_interrupted_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cancelled.zip");
    let error = convert(&options(out.clone(), 1), &Silent, &AtomicBool::new(true)).unwrap_err();
    assert!(error.is_interrupted(), "{error}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial file left"
    );
}
