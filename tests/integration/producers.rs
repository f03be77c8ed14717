//! The tables users bring, written by the real libraries (pyarrow, pandas, polars,
//! DuckDB, fastparquet; Parquet with every codec and encoding, Feather and Arrow
//! IPC, tables with label columns): each converts to the reference kernel's
//! pixels. The fixtures and their manifest are made by
//! `tests/fixtures/producers/make_producers.py`.

use serde_json::Value;

use crate::common::*;

fn fixtures() -> std::path::PathBuf {
    repo().join("tests/fixtures/producers")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    manifest["fixtures"].as_array().unwrap().clone()
}

/// `convert` arguments for a fixture: its geometry, and the id column when it is
/// not `image_id`.
fn fixture_args(fixture: &Value) -> Vec<String> {
    let number = |v: &Value| v.as_u64().unwrap().to_string();
    let mut args = vec![
        "--height".into(),
        number(&fixture["geometry"]["height"]),
        "--width".into(),
        number(&fixture["geometry"]["width"]),
        "--size".into(),
        number(&fixture["golden"]["size"]),
        "--pad".into(),
        number(&fixture["golden"]["pad"]),
        "--quiet".into(),
    ];
    let id = fixture["id_column"].as_str().unwrap();
    if id != "image_id" {
        args.extend(["--id-column".into(), id.into()]);
    }
    args
}

#[test]
fn every_producer_gives_the_reference_pixels() {
    let mut checked = Vec::new();
    for fixture in manifest() {
        let file = fixture["file"].as_str().unwrap();
        if fixture["expected"] != "pixels equal golden" {
            continue;
        }
        let golden = folder_images(&repo().join(fixture["golden"]["folder"].as_str().unwrap()));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("images");
        let args = fixture_args(&fixture);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = pixelprep(convert_args(&[&fixtures().join(file)], &out, &args));
        assert!(
            run.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let images = folder_images(&out);
        assert_eq!(
            images.len() as u64,
            fixture["rows"].as_u64().unwrap(),
            "{file}"
        );
        for (name, image) in &images {
            assert_eq!(Some(image), golden.get(name), "{file}: {name} differs");
        }
        checked.push(file.to_owned());
    }
    // Every producer and container is in the manifest, and was checked above.
    for expected in [
        "pyarrow_zstd.parquet",
        "pyarrow_lz4raw.parquet",
        "pyarrow_gzip.parquet",
        "pyarrow_brotli.parquet",
        "pyarrow_none.parquet",
        "pyarrow_v2_pages.parquet",
        "pyarrow_delta.parquet",
        "pyarrow_byte_stream_split.parquet",
        "polars_default.parquet",
        "polars_lz4_rg10.parquet",
        "duckdb_default.parquet",
        "duckdb_zstd_rg10.parquet",
        "fastparquet_default.parquet",
        "fastparquet_lz4.parquet",
        "feather_uncompressed.feather",
        "feather_lz4.feather",
        "feather_zstd.feather",
        "pandas_to_feather.feather",
        "arrow_file.arrow",
        "arrow_stream.arrows",
        "labels_between.parquet",
        "labels_prefixed.parquet",
        "labels.feather",
        "polars_default_full.parquet",
        "feather_lz4_full.feather",
    ] {
        assert!(
            checked.iter().any(|c| c == expected),
            "{expected} not checked: {checked:?}"
        );
    }
}

#[test]
fn feather_v1_is_refused_with_how_to_rewrite_it() {
    let fixture = manifest()
        .into_iter()
        .find(|f| f["expected"] == "error: feather v1")
        .expect("a Feather v1 fixture");
    let input = fixtures().join(fixture["file"].as_str().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.zip");
    let run = pixelprep(convert_args(
        &[&input],
        &out,
        &fixture_args(&fixture)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    assert_eq!(run.status.code(), Some(1));
    let err = stderr(&run);
    assert!(
        err.contains("it is a Feather v1 file") && err.contains("write_feather"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn inspect_lists_the_label_columns_with_their_types() {
    for (file, expected) in [
        (
            "labels_between.parquet",
            &[
                "format        Parquet format version",
                "\"grapheme_root\" (INT64)",
                "\"grapheme\" (BYTE_ARRAY (UTF8))",
            ][..],
        ),
        (
            "labels.feather",
            &[
                "format        Arrow IPC file (Feather v2)",
                "\"grapheme_root\" (Int64)",
                "\"grapheme\" (Utf8)",
                "compression LZ4_FRAME",
            ],
        ),
        (
            "labels_prefixed.parquet",
            &[
                "id \"name\"",
                "480 pixel columns \"pixel0\"..\"pixel479\"",
                "metadata      \"label\" (INT64)",
            ],
        ),
        (
            "arrow_stream.arrows",
            &["format        Arrow IPC stream", "in 7 record batches"],
        ),
    ] {
        let out = pixelprep_ok(["inspect".as_ref(), fixtures().join(file).as_os_str()]);
        for fragment in expected {
            assert!(
                out.contains(fragment),
                "{file}: {fragment:?} missing in\n{out}"
            );
        }
    }
}
