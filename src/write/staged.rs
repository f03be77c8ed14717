//! Output files built under a temporary name beside their target
//! (`.train.zip.XXXXXX.partial`) and renamed into place only when the whole
//! output is complete. Until then a failure, a panic or Ctrl-C drops them, and
//! dropping removes them.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempPath};

use super::{ordinary_file_permissions, write_error};
use crate::error::{Error, Result};

/// Refuses `target` when it exists (unless `force`) or is a folder.
pub(crate) fn check_target(target: &Path, force: bool, what: &str) -> Result<()> {
    if target.symlink_metadata().is_ok() && !force {
        return Err(Error::OutputExists {
            path: target.to_path_buf(),
        });
    }
    if target.is_dir() {
        return Err(write_error(
            target,
            io::Error::other(format!("it is a directory; {what} needs a file path")),
        ));
    }
    Ok(())
}

/// The folder `target` goes in, made if missing.
fn parent_of(target: &Path) -> io::Result<PathBuf> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    Ok(parent)
}

/// An output file being written under a temporary name beside its target.
pub(crate) struct Staged {
    target: PathBuf,
    temp: NamedTempFile,
}

impl Staged {
    /// A new, empty temporary file beside `target`.
    pub fn create(target: &Path) -> io::Result<Staged> {
        let parent = parent_of(target)?;
        let file_name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{file_name}."))
            .suffix(".partial")
            .permissions(ordinary_file_permissions())
            .tempfile_in(&parent)?;
        Ok(Staged {
            target: target.to_path_buf(),
            temp,
        })
    }

    /// The open file.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// The temporary path (for libraries that open files by name).
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Closes the file, keeping it under its temporary name until [`persist_all`].
    pub fn close(self) -> Closed {
        Closed {
            target: self.target,
            temp: self.temp.into_temp_path(),
        }
    }
}

/// A complete output file under its temporary name, without an open descriptor
/// (a run of 50,000 one-image shards must not hold 50,000 files open).
pub(crate) struct Closed {
    target: PathBuf,
    temp: TempPath,
}

/// Renames every file into place, in order. With `force` an existing target is
/// replaced, else refused (one may have appeared during the run). If one fails,
/// those already renamed are removed again (they are this run's) and the rest
/// dropped, so the output is all there or none of it is new.
pub(crate) fn persist_all(files: Vec<Closed>, force: bool) -> io::Result<Vec<PathBuf>> {
    let mut done: Vec<PathBuf> = Vec::with_capacity(files.len());
    for Closed { target, temp } in files {
        let result = if force {
            temp.persist(&target).map_err(|e| e.error)
        } else {
            temp.persist_noclobber(&target).map_err(|e| e.error)
        };
        if let Err(e) = result {
            for path in &done {
                let _ = std::fs::remove_file(path);
            }
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "cannot rename the finished file to {}: {e}",
                    target.display()
                ),
            ));
        }
        done.push(target);
    }
    Ok(done)
}
