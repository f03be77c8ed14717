//! Shared harness for the integration tests: run the real binary in a temp dir and
//! read back what it wrote.
#![allow(dead_code)]

pub mod pty;
pub mod tables;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pixelprep::internals::decode_gray_png;

/// The repository root (fixtures are found from here).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    repo().join("data-samples/bengali_sample.parquet")
}

pub fn layouts() -> PathBuf {
    repo().join("tests/fixtures/layouts")
}

/// Runs `pixelprep ARGS` and returns its output.
pub fn pixelprep<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_pixelprep"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs and asserts success, returning stdout.
pub fn pixelprep_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = pixelprep(args);
    assert!(
        out.status.success(),
        "pixelprep failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A decoded grayscale image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

pub fn decode(bytes: &[u8], what: &str) -> Gray {
    let (width, height, pixels) =
        decode_gray_png(bytes).unwrap_or_else(|| panic!("{what}: not an 8-bit grayscale PNG"));
    Gray {
        width,
        height,
        pixels,
    }
}

/// Zip entries in archive order: (name, raw bytes).
pub fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).expect("a readable zip");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            assert_eq!(
                entry.compression(),
                zip::CompressionMethod::Stored,
                "entries are stored, like zipfile's default"
            );
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().unwrap().to_string(), data)
        })
        .collect()
}

/// Every `*.png` in a folder, decoded, by file name.
pub fn folder_images(dir: &Path) -> BTreeMap<String, Gray> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name.clone(), decode(&std::fs::read(&p).unwrap(), &name))
        })
        .collect()
}

/// Decoded images of a zip, by entry name.
pub fn zip_images(path: &Path) -> BTreeMap<String, Gray> {
    zip_entries(path)
        .into_iter()
        .map(|(name, data)| {
            let img = decode(&data, &name);
            (name, img)
        })
        .collect()
}

/// Asserts that two sets of images are identical pixel for pixel, naming each
/// differing image.
pub fn assert_same_images(ours: &BTreeMap<String, Gray>, golden: &BTreeMap<String, Gray>) {
    assert!(!golden.is_empty(), "no golden images found");
    let missing: Vec<_> = golden.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<_> = ours.keys().filter(|k| !golden.contains_key(*k)).collect();
    assert!(missing.is_empty(), "missing images: {missing:?}");
    assert!(extra.is_empty(), "unexpected images: {extra:?}");
    let differing: Vec<String> = golden
        .iter()
        .filter(|(name, g)| ours[*name] != **g)
        .map(|(name, g)| {
            let o = &ours[name];
            if (o.width, o.height) != (g.width, g.height) {
                format!(
                    "{name}: {}x{} vs golden {}x{}",
                    o.width, o.height, g.width, g.height
                )
            } else {
                let n = o
                    .pixels
                    .iter()
                    .zip(&g.pixels)
                    .filter(|(a, b)| a != b)
                    .count();
                format!("{name}: {n} pixels differ")
            }
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{} of {} images differ from golden: {differing:#?}",
        differing.len(),
        golden.len()
    );
}

/// Arguments of `pixelprep convert INPUTS... -o OUT EXTRA...`.
pub fn convert_args(inputs: &[&Path], out: &Path, extra: &[&str]) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = vec!["convert".into()];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    args.push("-o".into());
    args.push(out.as_os_str().to_owned());
    args.extend(extra.iter().map(Into::into));
    args
}
