//! Every output format holds the zip's pixels, in input order, with the labels:
//! WebDataset tar shards, the NumPy array and its CSV, the LMDB store, the zip's
//! and the folder's `metadata.csv`. Read back here with the tar and LMDB crates and
//! by hand (the `.npy` header); `scripts/check-readers.sh` reads them with the
//! Python readers users have.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::common::*;

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/producers")
}

/// The 64-image fixture without labels, its golden outputs at this geometry,
/// and `train_labels.csv` for it.
const GEOMETRY: [&str; 9] = [
    "--height", "20", "--width", "24", "--size", "16", "--pad", "4", "--quiet",
];

fn plain_table() -> PathBuf {
    fixtures().join("pyarrow_snappy.parquet")
}

fn labels_csv() -> PathBuf {
    fixtures().join("train_labels.csv")
}

fn input_order() -> Vec<String> {
    (0..64).map(|i| format!("Train_{i}")).collect()
}

fn golden() -> BTreeMap<String, Gray> {
    folder_images(&fixtures().join("golden"))
}

/// Runs convert on `inputs` into `out` with the fixture geometry and `extra`.
fn convert(inputs: &[&Path], out: &Path, extra: &[&str]) -> Value {
    let mut args: Vec<&str> = GEOMETRY.to_vec();
    args.extend(extra);
    args.push("--json");
    let stdout = pixelprep_ok(convert_args(inputs, out, &args));
    serde_json::from_str(&stdout).expect("--json prints one JSON object")
}

/// The labels of `train_labels.csv`, by id, as the JSON the outputs must hold.
fn expected_labels() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(labels_csv()).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "image_id");
    lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let mut object = serde_json::Map::new();
            for (name, field) in header.iter().zip(&fields).skip(1) {
                let value = field
                    .parse::<i64>()
                    .map_or_else(|_| json!(field), |n| json!(n));
                object.insert(name.to_string(), value);
            }
            (fields[0].to_string(), Value::Object(object))
        })
        .collect()
}

/// A CSV the outputs write, as (key, row as JSON with numbers as numbers).
fn read_csv(bytes: &[u8], key: &str) -> Vec<(String, Value)> {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], key, "the CSV's first column");
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mut object = serde_json::Map::new();
            for (name, field) in header.iter().zip(r.iter()).skip(1) {
                let value = field
                    .parse::<i64>()
                    .map_or_else(|_| json!(field), |n| json!(n));
                object.insert(name.clone(), value);
            }
            (r[0].to_string(), Value::Object(object))
        })
        .collect()
}

/// Tar members in order: (name, bytes), checking the fixed header fields.
fn tar_members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(std::fs::File::open(path).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let header = e.header();
            assert_eq!(header.mtime().unwrap(), 315_532_800, "fixed time");
            assert_eq!(header.mode().unwrap(), 0o644);
            assert_eq!((header.uid().unwrap(), header.gid().unwrap()), (0, 0));
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

/// The `.npy` file's shape and pixels, from its header.
fn read_npy(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!(
        (10 + header_len) % 64,
        0,
        "NumPy aligns the data to 64 bytes"
    );
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': ("));
    let shape_text = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    (shape, bytes[10 + header_len..].to_vec())
}

/// Every key and value of a one-file LMDB store.
pub(crate) fn read_lmdb(path: &Path) -> BTreeMap<Vec<u8>, Vec<u8>> {
    use heed::types::Bytes;
    // SAFETY: the store is this test's own file, not written while it is read.
    let env = unsafe {
        heed::EnvOpenOptions::new()
            .flags(heed::EnvFlags::NO_SUB_DIR | heed::EnvFlags::READ_ONLY | heed::EnvFlags::NO_LOCK)
            .open(path)
            .unwrap()
    };
    let txn = env.read_txn().unwrap();
    let db: heed::Database<Bytes, Bytes> = env.open_database(&txn, None).unwrap().unwrap();
    let all = db
        .iter(&txn)
        .unwrap()
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (k.to_vec(), v.to_vec())
        })
        .collect();
    drop(txn);
    env.prepare_for_closing().wait();
    all
}

#[test]
fn every_format_holds_the_golden_pixels_in_input_order_with_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let table = plain_table();
    let labels = labels_csv();
    let labels = labels.to_str().unwrap();
    let golden = golden();
    let order = input_order();
    let expected = expected_labels();
    let golden_at = |id: &str| &golden[&format!("{id}.png")];

    // Zip: the PNGs in input order, then metadata.csv.
    let zip = d.join("train.zip");
    convert(&[&table], &zip, &["--labels", labels]);
    let entries = zip_entries(&zip);
    let (csv_entry, images) = entries.split_last().unwrap();
    assert_eq!(csv_entry.0, "metadata.csv");
    let names: Vec<String> = images.iter().map(|(n, _)| n.clone()).collect();
    let wanted: Vec<String> = order.iter().map(|id| format!("{id}.png")).collect();
    assert_eq!(names, wanted);
    for (name, png) in images {
        assert_eq!(&decode(png, name), &golden[name], "{name}");
    }
    let rows = read_csv(&csv_entry.1, "file_name");
    assert_eq!(rows.len(), 64);
    for (name, row) in &rows {
        assert_eq!(row, &expected[name.trim_end_matches(".png")], "{name}");
    }

    // Folder: the same PNGs and metadata.csv.
    let folder = d.join("folder");
    convert(&[&table], &folder, &["--labels", labels]);
    let csv = std::fs::read(folder.join("metadata.csv")).unwrap();
    assert_eq!(read_csv(&csv, "file_name"), rows);
    assert_same_images(&folder_images(&folder), &golden);

    // Shards of 10: seven tars, `<key>.png` and `<key>.json` per sample.
    let shards = d.join("shards");
    let summary = convert(
        &[&table],
        &shards.join("train-%06d.tar"),
        &["--labels", labels, "--shard-size", "10"],
    );
    let outputs: Vec<String> = summary["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let shard_paths: Vec<String> = (0..7)
        .map(|i| {
            shards
                .join(format!("train-{i:06}.tar"))
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(outputs, shard_paths);
    let mut samples = Vec::new();
    for (i, path) in shard_paths.iter().enumerate() {
        let members = tar_members(Path::new(path));
        assert_eq!(members.len(), if i < 6 { 20 } else { 8 }, "{path}");
        for pair in members.chunks(2) {
            let id = pair[0]
                .0
                .strip_suffix(".png")
                .expect("png first")
                .to_string();
            assert_eq!(pair[1].0, format!("{id}.json"));
            assert_eq!(&decode(&pair[0].1, &id), golden_at(&id), "{id}");
            let json: Value = serde_json::from_slice(&pair[1].1).unwrap();
            assert_eq!(json, expected[&id], "{id}");
            samples.push(id);
        }
    }
    assert_eq!(samples, order);

    // The array: 64 rows in input order, ids and labels in the CSV beside it.
    let npy = d.join("train.npy");
    let summary = convert(&[&table], &npy, &["--labels", labels]);
    let csv_path = d.join("train.metadata.csv");
    assert_eq!(
        summary["outputs"],
        json!([npy.display().to_string(), csv_path.display().to_string()])
    );
    let (shape, pixels) = read_npy(&npy);
    assert_eq!(shape, [64, 16, 16]);
    for (i, id) in order.iter().enumerate() {
        assert_eq!(
            pixels[i * 256..(i + 1) * 256],
            golden_at(id).pixels[..],
            "row {i}"
        );
    }
    let rows = read_csv(&std::fs::read(&csv_path).unwrap(), "image_id");
    let ids: Vec<&String> = rows.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, order.iter().collect::<Vec<_>>());
    for (id, row) in &rows {
        assert_eq!(row, &expected[id]);
    }

    // LMDB: id -> PNG, and the ids, count and labels under reserved keys.
    let lmdb = d.join("train.lmdb");
    convert(&[&table], &lmdb, &["--labels", labels]);
    assert!(!d.join("train.lmdb-lock").exists(), "no lock file is left");
    let store = read_lmdb(&lmdb);
    assert_eq!(store.len(), 64 + 3);
    for id in &order {
        assert_eq!(&decode(&store[id.as_bytes()], id), golden_at(id), "{id}");
    }
    let keys = String::from_utf8(store[&b"__keys__"[..]].clone()).unwrap();
    assert_eq!(keys.split('\n').collect::<Vec<_>>(), order);
    assert_eq!(store[&b"__len__"[..]], b"64");
    let metadata = read_csv(&store[&b"__metadata__"[..]], "image_id");
    assert_eq!(metadata, rows);
}

#[test]
fn the_tables_own_label_columns_reach_the_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let table = fixtures().join("labels_between.parquet");
    let one = dir.path().join("one.tar");
    convert(&[&table], &one, &[]);
    let members = tar_members(&one);
    assert_eq!(
        members.len(),
        128,
        "one tar without a pattern holds every image"
    );
    let first: Value = serde_json::from_slice(&members[1].1).unwrap();
    assert_eq!(members[1].0, "Train_0.json");
    // The row pyarrow wrote: the labels of train_labels.csv and a float column.
    let mut expected = expected_labels()["Train_0"].clone();
    expected["ink_fraction"] = json!(0.15625);
    assert_eq!(first, expected);
    assert!(first["ink_fraction"].is_f64() && first["grapheme_root"].is_i64());
    // Labels from a CSV may not repeat a column of the table.
    let clash = pixelprep(convert_args(
        &[&table],
        &dir.path().join("x.zip"),
        &[&GEOMETRY[..], &["--labels", labels_csv().to_str().unwrap()]].concat(),
    ));
    assert_eq!(clash.status.code(), Some(1));
    assert!(
        stderr(&clash).contains("column \"grapheme_root\" is also a column of"),
        "{}",
        stderr(&clash)
    );
    assert!(!dir.path().join("x.zip").exists());
}

#[test]
fn shards_are_byte_identical_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let labels = labels_csv();
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let shards = dir.path().join(format!("j{threads}"));
        convert(
            &[&plain_table()],
            &shards.join("train-%03d.tar"),
            &[
                "--labels",
                labels.to_str().unwrap(),
                "--shard-size",
                "25",
                "-j",
                threads,
            ],
        );
        let files: Vec<(String, Vec<u8>)> = ["train-000.tar", "train-001.tar", "train-002.tar"]
            .iter()
            .map(|n| (n.to_string(), std::fs::read(shards.join(n)).unwrap()))
            .collect();
        assert_eq!(std::fs::read_dir(&shards).unwrap().count(), 3);
        runs.push(files);
    }
    assert!(runs[0] == runs[1], "the -j 1 and -j 2 shards differ");
}

#[test]
fn skip_blank_keeps_the_array_and_its_csv_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("kept.npy");
    let summary = convert(&[&plain_table()], &npy, &["--skip-blank"]);
    let skipped = summary["skipped"].as_u64().unwrap() as usize;
    assert!(skipped > 0, "the fixture has blank images");
    let (shape, pixels) = read_npy(&npy);
    assert_eq!(shape, [64 - skipped, 16, 16]);
    let csv = std::fs::read(dir.path().join("kept.metadata.csv")).unwrap();
    let rows = read_csv(&csv, "image_id");
    assert_eq!(rows.len(), 64 - skipped);
    let golden = golden();
    for (i, (id, _)) in rows.iter().enumerate() {
        assert_eq!(
            pixels[i * 256..(i + 1) * 256],
            golden[&format!("{id}.png")].pixels[..],
            "{id}"
        );
    }
}
