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

/// The producer fixtures' geometry and golden images, in input order.
fn fixture_golden() -> (Geometry, Vec<u8>) {
    let geometry = Geometry {
        height: 20,
        width: 24,
        size: 16,
        pad: 4,
    };
    let golden = folder_images(&repo().join("tests/fixtures/producers/golden"));
    let pixels = (0..64)
        .flat_map(|i| golden[&format!("Train_{i}.png")].pixels.clone())
        .collect();
    (geometry, pixels)
}

#[test]
fn transform_gives_the_golden_images_in_memory_from_a_file_and_from_batches() {
    use pixelprep::{transform, transform_batches, TransformOptions};
    let (geometry, golden) = fixture_golden();
    let options = TransformOptions {
        geometry,
        ..TransformOptions::default()
    };
    let ids: Vec<String> = (0..64).map(|i| format!("Train_{i}")).collect();
    let fixtures = repo().join("tests/fixtures/producers");
    let never = AtomicBool::new(false);
    for name in ["pyarrow_snappy.parquet", "feather_zstd.feather"] {
        let images = transform(&fixtures.join(name), &options, &never).unwrap();
        assert_eq!(
            (images.ids.as_slice(), images.size),
            (ids.as_slice(), 16),
            "{name}"
        );
        assert!(images.pixels == golden, "{name}: pixels differ from golden");
    }
    // Record batches in memory, as the Python API gets them from an Arrow stream.
    let file = std::fs::File::open(fixtures.join("feather_uncompressed.feather")).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
    let schema = reader.schema();
    let batches: Vec<_> = reader.map(Result::unwrap).collect();
    let images = transform_batches("<batches>", schema, batches, &options, &never).unwrap();
    assert_eq!(images.ids, ids);
    assert!(
        images.pixels == golden,
        "batches: pixels differ from golden"
    );
    // A cancelled call stops with the interruption.
    let cancelled = AtomicBool::new(true);
    let error = transform(
        &fixtures.join("pyarrow_snappy.parquet"),
        &options,
        &cancelled,
    );
    assert!(error.unwrap_err().is_interrupted());
}
