//! The archive writers: a zip of stored PNG entries, or a flat folder of PNG files.
//! Both are fed by one writer thread, in input order. Neither leaves anything
//! half-written under a final name: the zip is built under a temporary name next
//! to its target and renamed when complete; each folder file likewise.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use zip::write::{FileOptions, PreparedZipFile, SimpleFileOptions};
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::error::{Error, Result};

/// Longest image id we accept: `<id>.png` must fit the usual 255-byte file name limit.
pub const MAX_IMAGE_ID_BYTES: usize = 255 - ".png".len();

/// Why an image id cannot name a file; `None` if it can.
pub fn image_id_problem(id: &str) -> Option<String> {
    let problem = if id.is_empty() {
        "is empty".to_string()
    } else if id.len() > MAX_IMAGE_ID_BYTES {
        format!(
            "is {} bytes long; file names allow {MAX_IMAGE_ID_BYTES} bytes before \".png\"",
            id.len()
        )
    } else if id.contains('/') || id.contains('\\') {
        "contains a path separator ('/' or '\\')".to_string()
    } else if id.contains("..") {
        "contains \"..\"".to_string()
    } else if id.chars().any(char::is_control) {
        "contains a control character (NUL, newline, ...)".to_string()
    } else if id.len() >= 2 && id.as_bytes()[1] == b':' && id.as_bytes()[0].is_ascii_alphabetic() {
        "starts like a Windows drive path".to_string()
    } else {
        return None;
    };
    Some(format!(
        "{problem}: it cannot name an output file; fix the image_id column"
    ))
}

/// The file or entry name of an image: `<image_id>.png`.
pub fn entry_name(image_id: &str) -> String {
    format!("{image_id}.png")
}

/// Whether `path` names a zip archive (by its extension) rather than a folder.
pub fn is_zip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Temporary files are private (0600) by default; the outputs they become should
/// be ordinary files, 0666 less the umask, like any other program's.
fn ordinary_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o666)
}

/// Where the encoded images go.
pub trait Sink: Send {
    /// Adds one image under `name`.
    fn add(&mut self, name: &str, png: &[u8]) -> io::Result<()>;
    /// Completes the output and puts it under its final name; returns its size in bytes.
    fn finish(self: Box<Self>) -> io::Result<u64>;
    /// Images added so far.
    fn written(&self) -> u64;
    /// True where a failure leaves the images written so far in place (folders).
    fn keeps_partial_output(&self) -> bool;
}

/// Opens the sink for `path`: a zip if it ends in `.zip`, else a folder.
pub fn open_sink(path: &Path, force: bool) -> Result<Box<dyn Sink>> {
    if is_zip_path(path) {
        Ok(Box::new(ZipSink::create(path, force)?))
    } else {
        Ok(Box::new(FolderSink::create(path, force)?))
    }
}

fn write_error(path: &Path, source: io::Error) -> Error {
    Error::WriteOutput {
        path: path.to_path_buf(),
        written: None,
        cause: source,
    }
}

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

/// A zip of stored entries, like Python's `zipfile` with its default `ZIP_STORED`.
pub struct ZipSink {
    target: PathBuf,
    force: bool,
    temp: NamedTempFile,
    zip: ZipWriter<PositionedWriter<File>>,
    options: SimpleFileOptions,
    written: u64,
}

impl ZipSink {
    pub fn create(target: &Path, force: bool) -> Result<Self> {
        if target.exists() && !force {
            return Err(Error::OutputExists {
                path: target.to_path_buf(),
            });
        }
        if target.is_dir() {
            return Err(write_error(
                target,
                io::Error::other("it is a directory; a zip output needs a file path"),
            ));
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| write_error(target, e))?;
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .suffix(".partial")
            .permissions(ordinary_file_permissions())
            .tempfile_in(&parent)
            .map_err(|e| write_error(target, e))?;
        let file = temp
            .as_file()
            .try_clone()
            .map_err(|e| write_error(target, e))?;
        let writer = PositionedWriter::new(BufWriter::with_capacity(1 << 20, file));
        // A fixed time makes archives reproducible: the same input gives the same bytes.
        let options = FileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        Ok(ZipSink {
            target: target.to_path_buf(),
            force,
            temp,
            zip: ZipWriter::new(writer),
            options,
            written: 0,
        })
    }
}

fn zip_io(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

impl Sink for ZipSink {
    fn add(&mut self, name: &str, png: &[u8]) -> io::Result<()> {
        // Sizes and CRC are known up front, so the local header is written once and
        // never patched: no seek back per entry.
        let prepared = PreparedZipFile::from_data(name, self.options, png).map_err(zip_io)?;
        self.zip.add_prepared_file(prepared).map_err(zip_io)?;
        self.written += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<u64> {
        let ZipSink {
            target,
            force,
            temp,
            zip,
            ..
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
        if force {
            temp.persist(&target).map_err(|e| e.error)?;
        } else {
            // Refuse to clobber a file that appeared while we were writing.
            temp.persist_noclobber(&target).map_err(|e| e.error)?;
        }
        Ok(size)
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn keeps_partial_output(&self) -> bool {
        false
    }
}

/// A flat folder of `<image_id>.png` files.
///
/// A new or empty folder is filled in place. With `--force`, a folder that holds
/// files already is replaced as a whole: the new one is built beside it and the
/// two are swapped once it is complete, so afterwards it holds exactly this run's
/// output, and a failed run leaves the old one as it was. Only a folder of what
/// pixelprep writes is ever replaced (see [`foreign_entry`]).
pub struct FolderSink {
    /// Where the files go: the target itself, or the folder built beside it.
    dir: PathBuf,
    target: PathBuf,
    /// The folder built beside the target, while replacing it.
    staging: Option<tempfile::TempDir>,
    written: u64,
    bytes: u64,
}

/// True for a name pixelprep writes into a folder output: its PNGs, the
/// metadata table, and its own temporary files.
fn written_by_pixelprep(name: &str) -> bool {
    name.ends_with(".png")
        || name == "metadata.csv"
        || (name.starts_with(".pixelprep.") && name.ends_with(".partial"))
}

/// The first entry of `dir` that pixelprep would not have written there: a file
/// of another kind, a folder or a link. `--force` refuses to replace such a
/// folder, so a mistyped `-o ~ --force` cannot delete anyone's files.
pub fn foreign_entry(dir: &Path) -> io::Result<Option<PathBuf>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let plain_file = entry.file_type()?.is_file();
        let name = entry.file_name();
        let ours = plain_file && name.to_str().is_some_and(written_by_pixelprep);
        if !ours {
            names.push(entry.path());
        }
    }
    // The first by name, so the message does not depend on the directory's order.
    names.sort();
    Ok(names.into_iter().next())
}

/// `dir` without a trailing slash or `.` parts, made absolute, so that it can be
/// renamed; `None` when its last part is not a name (`/`, `..`).
fn nameable(dir: &Path) -> io::Result<Option<PathBuf>> {
    let absolute = std::path::absolute(dir)?;
    let named = matches!(
        absolute.components().next_back(),
        Some(std::path::Component::Normal(_))
    );
    Ok(named.then(|| absolute.components().collect()))
}

/// Swaps two paths in one step (Linux's `renameat2` with `RENAME_EXCHANGE`).
/// Called through `syscall`: glibc has no wrapper before 2.28, and the portable
/// binary needs only 2.17.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both pointers are NUL-terminated strings that outlive the call; the
    // syscall only reads them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl FolderSink {
    pub fn create(dir: &Path, force: bool) -> Result<Self> {
        let mut staging = None;
        if dir.exists() {
            if !dir.is_dir() {
                return Err(write_error(
                    dir,
                    io::Error::other(
                        "it exists and is not a folder; name a folder, or a path ending in .zip",
                    ),
                ));
            }
            let mut entries = std::fs::read_dir(dir).map_err(|e| write_error(dir, e))?;
            if entries.next().is_some() {
                if !force {
                    return Err(Error::OutputExists {
                        path: dir.to_path_buf(),
                    });
                }
                staging = Some(Self::stage_beside(dir)?);
            }
        }
        let (staging, target) = match staging {
            Some((temp, target)) => (Some(temp), target),
            None => (None, dir.to_path_buf()),
        };
        let dir = match &staging {
            Some(temp) => temp.path().to_path_buf(),
            None => {
                std::fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
                target.clone()
            }
        };
        Ok(FolderSink {
            dir,
            target,
            staging,
            written: 0,
            bytes: 0,
        })
    }

    /// Checks that `dir` may be replaced, and makes the folder that will replace
    /// it; returns that folder and `dir` as a path that can be renamed.
    fn stage_beside(dir: &Path) -> Result<(tempfile::TempDir, PathBuf)> {
        let refuse = |why: &str| Error::ForceRefused {
            path: dir.to_path_buf(),
            why: why.to_owned(),
        };
        let target = nameable(dir)
            .map_err(|e| write_error(dir, e))?
            .ok_or_else(|| {
                refuse("it has no name of its own to replace; name the folder itself")
            })?;
        // `dir` may end in a slash, which follows a link: ask about the name itself.
        if target
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(refuse(
                "it is a symbolic link; name the folder it points to",
            ));
        }
        if let Some(foreign) = foreign_entry(&target).map_err(|e| write_error(dir, e))? {
            return Err(refuse(&format!(
                "it holds {}, which pixelprep does not write",
                foreign.display()
            )));
        }
        let parent = target.parent().unwrap_or(Path::new("/"));
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempdir_in(parent)
            .map_err(|e| write_error(dir, e))?;
        Ok((staging, target))
    }
}

/// Puts the folder at `staged` in the place of `target` and removes the old one.
fn replace_folder(staged: &Path, target: &Path) -> io::Result<()> {
    match exchange(staged, target) {
        Ok(()) => std::fs::remove_dir_all(staged),
        // File systems without the exchange: two renames, the old folder first
        // moved aside under a name of ours.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            let aside = staged.with_extension("old");
            std::fs::rename(target, &aside)?;
            if let Err(e) = std::fs::rename(staged, target) {
                let _ = std::fs::rename(&aside, target);
                return Err(e);
            }
            std::fs::remove_dir_all(&aside)
        }
        Err(e) => Err(e),
    }
}

impl Sink for FolderSink {
    fn add(&mut self, name: &str, png: &[u8]) -> io::Result<()> {
        // Written under a temporary name and renamed, so a killed run never leaves
        // a truncated PNG under a real image's name.
        let mut temp = tempfile::Builder::new()
            .prefix(".pixelprep.")
            .suffix(".partial")
            .permissions(ordinary_file_permissions())
            .tempfile_in(&self.dir)?;
        // Through the `File`: `NamedTempFile`'s own errors name the temporary path,
        // which is gone by the time the error is shown.
        temp.as_file_mut().write_all(png)?;
        temp.persist(self.dir.join(name)).map_err(|e| e.error)?;
        self.written += 1;
        self.bytes += png.len() as u64;
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<u64> {
        let Some(staging) = self.staging else {
            return Ok(self.bytes);
        };
        let target = &self.target;
        // Files may have appeared in the old folder during the run: check again
        // right before it goes.
        if let Some(foreign) = foreign_entry(target)? {
            return Err(io::Error::other(format!(
                "{} appeared during the run, so the folder was not replaced; the new images are not kept",
                foreign.display()
            )));
        }
        // The new folder takes the old one's permissions (a temporary folder is 0700).
        std::fs::set_permissions(staging.path(), std::fs::metadata(target)?.permissions())?;
        // Kept: after the swap its path holds the old folder, removed by hand.
        let staged = staging.keep();
        if let Err(e) = replace_folder(&staged, target) {
            // Still ours (the new images) unless the swap happened.
            if foreign_entry(&staged).is_ok_and(|f| f.is_none()) {
                let _ = std::fs::remove_dir_all(&staged);
            }
            return Err(e);
        }
        Ok(self.bytes)
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn keeps_partial_output(&self) -> bool {
        // A folder built beside the target is removed on failure.
        self.staging.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_ids_are_accepted() {
        for id in ["Train_0", "Test_49999", "a.b", "日本", "x y"] {
            assert_eq!(image_id_problem(id), None, "{id}");
        }
    }

    #[test]
    fn dangerous_ids_are_refused() {
        let long = "a".repeat(MAX_IMAGE_ID_BYTES + 1);
        for id in [
            "",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            "a\nb",
            "C:x",
            &long,
        ] {
            assert!(image_id_problem(id).is_some(), "{id:?}");
        }
        assert_eq!(image_id_problem(&"a".repeat(MAX_IMAGE_ID_BYTES)), None);
    }

    #[test]
    fn zip_is_chosen_by_extension() {
        assert!(is_zip_path(Path::new("out/train.zip")));
        assert!(is_zip_path(Path::new("TRAIN.ZIP")));
        assert!(!is_zip_path(Path::new("out/")));
        assert!(!is_zip_path(Path::new("out.zipped")));
    }

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
