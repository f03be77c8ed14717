//! The writers, one file per output format behind the [`Sink`] trait: a zip of
//! stored PNG entries ([`zip`]), or a flat folder of PNG files ([`folder`]); and
//! the image-id rules ([`ids`]).
//!
//! Both are fed by one writer thread, in input order. Neither leaves anything
//! half-written under a final name: the zip is built under a temporary name next
//! to its target and renamed when complete; each folder file likewise.

mod folder;
mod ids;
mod zip;

use std::io;
use std::path::Path;

pub use folder::FolderSink;
pub use ids::{entry_name, image_id_problem};
pub use zip::ZipSink;

use crate::error::{Error, Result};

/// Whether `path` names a zip archive (by its extension) rather than a folder.
pub fn is_zip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// Temporary files are private (0600) by default; the outputs they become should
/// be ordinary files, 0666 less the umask, like any other program's.
pub(crate) fn ordinary_file_permissions() -> std::fs::Permissions {
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

pub(crate) fn write_error(path: &Path, source: io::Error) -> Error {
    Error::WriteOutput {
        path: path.to_path_buf(),
        written: None,
        cause: source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_is_chosen_by_extension() {
        assert!(is_zip_path(Path::new("out/train.zip")));
        assert!(is_zip_path(Path::new("TRAIN.ZIP")));
        assert!(!is_zip_path(Path::new("out/")));
        assert!(!is_zip_path(Path::new("out.zipped")));
    }
}
