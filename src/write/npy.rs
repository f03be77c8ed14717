//! One C-order `(N, size, size)` uint8 NumPy array (`.npy` format 1.0), written
//! as a stream: images are appended as they come and the header, which holds N,
//! is written again at the end (it has room for any N). Beside it,
//! `<name>.metadata.csv`: `image_id` and the labels, a row per array row.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::staged::{check_target, persist_all, Staged};
use super::{write_error, Finished, Sink, SinkSpec};
use crate::error::Result;
use crate::meta::{Metadata, MetadataCsv};

/// Header bytes, magic to newline: a multiple of 64 (as NumPy aligns it) with
/// room for a 20-digit N.
const HEADER_LEN: usize = 128;

/// The `.npy` 1.0 header of an `(n, size, size)` uint8 array.
fn header(n: u64, size: usize) -> Vec<u8> {
    let dict =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, {size}, {size}), }}");
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&((HEADER_LEN - 10) as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.resize(HEADER_LEN - 1, b' ');
    out.push(b'\n');
    out
}

/// The sidecar of `array`: `train.npy` -> `train.metadata.csv`.
pub(crate) fn sidecar_path(array: &Path) -> PathBuf {
    array.with_extension("metadata.csv")
}

/// The array and its CSV, both under temporary names until the end.
pub struct NpySink {
    force: bool,
    size: usize,
    array: Staged,
    writer: BufWriter<File>,
    csv_target: PathBuf,
    metadata: Arc<Metadata>,
    table: MetadataCsv,
    written: u64,
}

impl NpySink {
    /// Refuses an existing array or CSV (unless `force`).
    pub fn create(spec: &SinkSpec) -> Result<Self> {
        let csv_target = sidecar_path(&spec.path);
        check_target(&spec.path, spec.force, "an .npy output")?;
        check_target(&csv_target, spec.force, "the array's CSV")?;
        let array = Staged::create(&spec.path).map_err(|e| write_error(&spec.path, e))?;
        let file = array
            .file()
            .try_clone()
            .map_err(|e| write_error(&spec.path, e))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        writer
            .write_all(&header(0, spec.size))
            .map_err(|e| write_error(&spec.path, e))?;
        Ok(NpySink {
            force: spec.force,
            size: spec.size,
            array,
            writer,
            csv_target,
            table: spec.metadata.table("image_id"),
            metadata: spec.metadata.clone(),
            written: 0,
        })
    }
}

impl Sink for NpySink {
    fn add(&mut self, id: &str, row: usize, pixels: &[u8]) -> io::Result<()> {
        debug_assert_eq!(pixels.len(), self.size * self.size);
        self.writer.write_all(pixels)?;
        self.metadata.add_to(&mut self.table, id, row);
        self.written += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<Finished> {
        let NpySink {
            force,
            size,
            array,
            mut writer,
            csv_target,
            table,
            written,
            ..
        } = *self;
        writer.flush()?;
        let mut file = writer.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header(written, size))?;
        let bytes = file.metadata()?.len();
        drop(file);
        let csv = Staged::create(&csv_target)?;
        let table = table.into_bytes();
        csv.file().write_all(&table)?;
        let paths = persist_all(vec![array.close(), csv.close()], force)?;
        Ok(Finished {
            bytes: bytes + table.len() as u64,
            paths,
        })
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn keeps_partial_output(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_aligned_and_holds_any_count() {
        for n in [0, 7, u64::MAX] {
            let h = header(n, 128);
            assert_eq!(h.len(), HEADER_LEN);
            assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize + 10, HEADER_LEN);
            let text = std::str::from_utf8(&h[10..]).unwrap();
            assert!(text.starts_with(&format!(
                "{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, 128, 128), }}"
            )));
            assert!(text.ends_with(" \n"));
        }
        assert_eq!(
            sidecar_path(Path::new("out/train.npy")),
            Path::new("out/train.metadata.csv")
        );
    }
}
