//! One C-order `(N, H, W)` (gray) or `(N, H, W, 3)` (RGB) uint8 NumPy array (`.npy` format 1.0), written
//! as a stream: images are appended as they come and the header, which holds N,
//! is written again at the end (it has room for any N). Beside it,
//! `<name>.metadata.csv`: `image_id` and the labels, a row per array row.

use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::staged::{check_target, persist_all, Staged};
use super::{write_error, Finished, Image, Place, Sink, SinkSpec};
use crate::error::Result;
use crate::meta::{Metadata, MetadataCsv};
use crate::recipe::OutputShape;

/// Header bytes, magic to newline: a multiple of 64 (as NumPy aligns it) with
/// room for a 20-digit N.
const HEADER_LEN: usize = 128;

/// The `.npy` 1.0 header of an `(n, height, width)` uint8 array, or `(n,
/// height, width, channels)` for colour images.
fn header(n: u64, shape: OutputShape) -> Vec<u8> {
    let (h, w) = (shape.height, shape.width);
    let dims = match shape.channels {
        1 => format!("({n}, {h}, {w})"),
        c => format!("({n}, {h}, {w}, {c})"),
    };
    let dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {dims}, }}");
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

/// Writes image `i` at its offset in the array, from any thread (`pwrite`), so
/// that the workers copy the pixels into the file in parallel: they are seven
/// times the PNGs' bytes, and one writer thread copying them all was the slowest
/// stage.
struct Placer {
    file: File,
    image_len: u64,
}

impl Place for Placer {
    fn place(&self, index: u64, pixels: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        debug_assert_eq!(pixels.len() as u64, self.image_len);
        self.file
            .write_all_at(pixels, HEADER_LEN as u64 + index * self.image_len)
    }
}

/// The array and its CSV, both under temporary names until the end.
pub struct NpySink {
    force: bool,
    shape: OutputShape,
    array: Staged,
    /// Written to directly, a batch per `writev`: the pixels are 7 times the
    /// PNGs' bytes, and a buffer would copy each of them once more.
    file: File,
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
        let mut file = array
            .file()
            .try_clone()
            .map_err(|e| write_error(&spec.path, e))?;
        file.write_all(&header(0, spec.shape))
            .map_err(|e| write_error(&spec.path, e))?;
        Ok(NpySink {
            force: spec.force,
            shape: spec.shape,
            array,
            file,
            csv_target,
            table: spec.metadata.table("image_id"),
            metadata: spec.metadata.clone(),
            written: 0,
        })
    }
}

impl Sink for NpySink {
    fn add(&mut self, id: &str, row: usize, pixels: &[u8]) -> io::Result<()> {
        self.add_all(&[Image {
            id,
            row,
            data: Some(pixels),
        }])
    }

    fn add_all(&mut self, images: &[Image<'_>]) -> io::Result<()> {
        // Images placed by the workers are in the file already.
        let mut slices: Vec<IoSlice> = images
            .iter()
            .filter_map(|i| i.data.map(IoSlice::new))
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = self.file.write_vectored(rest)?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
        for image in images {
            self.metadata.add_to(&mut self.table, image.id, image.row);
        }
        self.written += images.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<Finished> {
        let NpySink {
            force,
            shape,
            array,
            mut file,
            csv_target,
            table,
            written,
            ..
        } = *self;
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header(written, shape))?;
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

    fn place(&self) -> Option<Arc<dyn Place>> {
        let file = self.file.try_clone().ok()?;
        Some(Arc::new(Placer {
            file,
            image_len: self.shape.bytes() as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_aligned_and_holds_any_count() {
        for n in [0, 7, u64::MAX] {
            let h = header(n, OutputShape::square_gray(128));
            assert_eq!(h.len(), HEADER_LEN);
            assert_eq!(&h[..8], b"\x93NUMPY\x01\x00");
            assert_eq!(u16::from_le_bytes([h[8], h[9]]) as usize + 10, HEADER_LEN);
            let text = std::str::from_utf8(&h[10..]).unwrap();
            assert!(text.starts_with(&format!(
                "{{'descr': '|u1', 'fortran_order': False, 'shape': ({n}, 128, 128), }}"
            )));
            assert!(text.ends_with(" \n"));
        }
        let rgb = OutputShape {
            height: 24,
            width: 40,
            channels: 3,
        };
        assert!(String::from_utf8_lossy(&header(5, rgb)).contains("'shape': (5, 24, 40, 3)"));
        assert_eq!(
            sidecar_path(Path::new("out/train.npy")),
            Path::new("out/train.metadata.csv")
        );
    }
}
