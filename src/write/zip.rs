//! The zip writer: stored entries in input order, like Python's `zipfile` with
//! its default `ZIP_STORED`, built under a temporary name next to the target and
//! renamed when complete.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use zip::write::{FileOptions, PreparedZipFile, SimpleFileOptions};
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::staged::{check_target, persist_all, Staged};
use super::{entry_name, write_error, Finished, Sink};
use crate::error::Result;
use crate::meta::{Metadata, MetadataCsv};

/// A `Write + Seek` that answers "where am I" from its own count. The zip writer asks
/// for the position at every entry, and `BufWriter` would flush on every such seek.
///
/// After its first failure (disk full, file too large...) it stops touching the file:
/// later calls succeed and only move the count. The error itself has been returned to
/// the caller, who abandons the archive; but the zip writer's `Drop` then tries to
/// finish it again, and would print a second, raw failure on stderr.
struct PositionedWriter<W: Write + Seek> {
    inner: BufWriter<W>,
    position: u64,
    /// One past the last byte written (for `SeekFrom::End` once failed).
    end: u64,
    failed: bool,
}

impl<W: Write + Seek> PositionedWriter<W> {
    fn new(inner: BufWriter<W>) -> Self {
        PositionedWriter {
            inner,
            position: 0,
            end: 0,
            failed: false,
        }
    }

    fn fail<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        self.failed |= result.is_err();
        result
    }
}

impl<W: Write + Seek> Write for PositionedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = if self.failed {
            buf.len()
        } else {
            let result = self.inner.write(buf);
            self.fail(result)?
        };
        self.position += n as u64;
        self.end = self.end.max(self.position);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failed {
            return Ok(());
        }
        let result = self.inner.flush();
        self.fail(result)
    }
}

impl<W: Write + Seek> Seek for PositionedWriter<W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        if to == SeekFrom::Current(0) {
            return Ok(self.position);
        }
        if self.failed {
            let target = match to {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::End(d) => self.end.checked_add_signed(d),
                SeekFrom::Current(d) => self.position.checked_add_signed(d),
            };
            self.position = target
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
            return Ok(self.position);
        }
        let result = self.inner.seek(to);
        self.position = self.fail(result)?;
        self.end = self.end.max(self.position);
        Ok(self.position)
    }
}

/// A zip of stored entries, like Python's `zipfile` with its default `ZIP_STORED`;
/// with labels, a last entry `metadata.csv` (`file_name` and the labels, as the
/// Hugging Face `imagefolder` loader reads them).
pub struct ZipSink {
    force: bool,
    temp: Staged,
    zip: ZipWriter<PositionedWriter<File>>,
    options: SimpleFileOptions,
    written: u64,
    metadata: Arc<Metadata>,
    table: Option<MetadataCsv>,
}

impl ZipSink {
    /// Starts a zip that will replace `target` when finished (refused if it exists
    /// and `force` is not set).
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        Self::create_with(target, force, Arc::default())
    }

    /// [`ZipSink::create`], with the labels of each image for `metadata.csv`.
    pub fn create_with(target: &Path, force: bool, metadata: Arc<Metadata>) -> Result<Self> {
        check_target(target, force, "a zip output")?;
        let temp = Staged::create(target).map_err(|e| write_error(target, e))?;
        let file = temp
            .file()
            .try_clone()
            .map_err(|e| write_error(target, e))?;
        let writer = PositionedWriter::new(BufWriter::with_capacity(1 << 20, file));
        // A fixed time makes archives reproducible: the same input gives the same bytes.
        let options = FileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        let table = (!metadata.is_empty()).then(|| metadata.table("file_name"));
        Ok(ZipSink {
            force,
            temp,
            zip: ZipWriter::new(writer),
            options,
            written: 0,
            metadata,
            table,
        })
    }

    fn add_entry(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        // Sizes and CRC are known up front, so the local header is written once and
        // never patched: no seek back per entry.
        let prepared = PreparedZipFile::from_data(name, self.options, data).map_err(zip_io)?;
        self.zip.add_prepared_file(prepared).map_err(zip_io)
    }
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

impl Sink for ZipSink {
    fn add(&mut self, id: &str, row: usize, png: &[u8]) -> io::Result<()> {
        let name = entry_name(id);
        self.add_entry(&name, png)?;
        if let Some(table) = &mut self.table {
            self.metadata.add_to(table, &name, row);
        }
        self.written += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Finished> {
        if let Some(table) = self.table.take() {
            self.add_entry("metadata.csv", &table.into_bytes())?;
        }
        let ZipSink {
            force, temp, zip, ..
        } = *self;
        let writer = zip.finish().map_err(zip_io)?;
        if writer.failed {
            // Never reached: the failure was returned by the call that met it.
            return Err(io::Error::other("a write to the archive failed"));
        }
        let size = writer.position;
        // Flushed, not fsynced: the rename guards against our own failures, as
        // zipfile's output does not outlive a power cut either, and an fsync of
        // hundreds of MB would cost seconds of every run.
        let file = writer.inner.into_inner().map_err(|e| e.into_error())?;
        drop(file);
        let paths = persist_all(vec![temp.close()], force)?;
        Ok(Finished { bytes: size, paths })
    }

    fn written(&self) -> u64 {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positioned_writer_tracks_without_flushing() {
        let mut w = PositionedWriter::new(BufWriter::new(io::Cursor::new(Vec::new())));
        w.write_all(b"hello").unwrap();
        assert_eq!(w.stream_position().unwrap(), 5);
        // Nothing reached the inner cursor yet: the query did not flush.
        assert_eq!(w.inner.get_ref().get_ref().len(), 0);
        w.seek(SeekFrom::Start(1)).unwrap();
        w.write_all(b"E").unwrap();
        w.flush().unwrap();
        assert_eq!(w.inner.get_ref().get_ref(), b"hEllo");
    }

    /// A file that takes `room` bytes, then fails like a full disk.
    struct Full {
        room: usize,
        data: Vec<u8>,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.data.len() + buf.len() > self.room {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Full {
        fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
            Ok(self.data.len() as u64)
        }
    }

    #[test]
    fn positioned_writer_reports_the_first_failure_then_stops_writing() {
        let full = Full {
            room: 4,
            data: Vec::new(),
        };
        let mut w = PositionedWriter::new(BufWriter::with_capacity(2, full));
        let error = w.write_all(b"abcdef").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        // Later calls (the zip writer's Drop) neither fail nor reach the file.
        w.write_all(b"more").unwrap();
        w.flush().unwrap();
        assert_eq!(w.seek(SeekFrom::End(-2)).unwrap(), w.end - 2);
        assert!(w.inner.get_ref().data.len() <= 4);
    }

    #[test]
    fn failed_zip_is_dropped_without_printing_or_keeping_anything() {
        let full = Full {
            room: 100,
            data: Vec::new(),
        };
        let writer = PositionedWriter::new(BufWriter::with_capacity(16, full));
        let mut zip = ZipWriter::new(writer);
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
        let png = vec![7u8; 300];
        let prepared = PreparedZipFile::from_data("a.png", options, &png).unwrap();
        assert!(zip.add_prepared_file(prepared).is_err());
        // Dropping finalizes into the failed writer: no second error, no panic.
        drop(zip);
    }
}
