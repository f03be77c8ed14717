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

/// A new temporary file `.NAME.XXXXXX<suffix>` in `target`'s folder (made if
/// missing), with an ordinary file's permissions.
fn temp_beside(target: &Path, suffix: &str) -> io::Result<NamedTempFile> {
    let parent = parent_of(target)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(suffix)
        .permissions(ordinary_file_permissions())
        .tempfile_in(&parent)
}

/// An output file being written under a temporary name beside its target.
pub(crate) struct Staged {
    target: PathBuf,
    temp: NamedTempFile,
}

impl Staged {
    /// A new, empty temporary file beside `target`.
    pub fn create(target: &Path) -> io::Result<Staged> {
        let temp = temp_beside(target, ".partial")?;
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

/// Renames every file into place, in order. An existing target is refused (one
/// may have appeared during the run) unless `force`; then it is first moved aside,
/// under a temporary name beside it, and removed only once every file is in
/// place. If a rename fails, the files already renamed are removed (they are this
/// run's) and what was moved aside is put back: the output is replaced whole, or
/// left as it was.
pub(crate) fn persist_all(files: Vec<Closed>, force: bool) -> io::Result<Vec<PathBuf>> {
    if let ([_], true) = (files.as_slice(), force) {
        // One file: a rename over the old one replaces it atomically.
        let Closed { target, temp } = files.into_iter().next().expect("one file");
        temp.persist(&target)
            .map_err(|e| rename_error(&target, e.error))?;
        return Ok(vec![target]);
    }
    let mut done: Vec<PathBuf> = Vec::with_capacity(files.len());
    // (target, its old content under a temporary name)
    let mut aside: Vec<(PathBuf, TempPath)> = Vec::new();
    let undo = |done: &[PathBuf], aside: Vec<(PathBuf, TempPath)>| {
        for path in done {
            let _ = std::fs::remove_file(path);
        }
        for (target, old) in aside {
            if std::fs::rename(&old, &target).is_ok() {
                // The old file is back under its name: the temporary path is gone.
                let _ = old.keep();
            }
        }
    };
    for Closed { target, temp } in files {
        if force && target.symlink_metadata().is_ok() {
            match move_aside(&target) {
                Ok(old) => aside.push((target.clone(), old)),
                Err(e) => {
                    undo(&done, aside);
                    return Err(rename_error(&target, e));
                }
            }
        }
        if let Err(e) = temp.persist_noclobber(&target) {
            undo(&done, aside);
            return Err(rename_error(&target, e.error));
        }
        done.push(target);
    }
    // Every file is in place: the old ones go (dropping their temporary paths).
    drop(aside);
    Ok(done)
}

/// Renames `target` to a new temporary name beside it; dropping the result
/// removes it.
fn move_aside(target: &Path) -> io::Result<TempPath> {
    let holder = temp_beside(target, ".old.partial")?.into_temp_path();
    std::fs::rename(target, &holder)?;
    Ok(holder)
}

fn rename_error(target: &Path, e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "cannot rename the finished file to {}: {e}",
            target.display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn staged(target: &Path, text: &str) -> Closed {
        let file = Staged::create(target).unwrap();
        file.file().write_all(text.as_bytes()).unwrap();
        file.close()
    }

    #[test]
    fn force_replaces_every_file_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.npy"), dir.path().join("a.metadata.csv"));
        std::fs::write(&a, "old a").unwrap();
        std::fs::write(&b, "old b").unwrap();
        let done = persist_all(vec![staged(&a, "new a"), staged(&b, "new b")], true).unwrap();
        assert_eq!(done, [a.clone(), b.clone()]);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "new b");

        // The second rename fails (its target is a non-empty folder): the first
        // file is put back as it was.
        std::fs::remove_file(&b).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::write(b.join("keep"), "x").unwrap();
        let result = persist_all(vec![staged(&a, "newer a"), staged(&b, "newer b")], true);
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        assert!(b.join("keep").exists());
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".partial"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
    }

    #[test]
    fn without_force_an_existing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.zip");
        std::fs::write(&a, "mine").unwrap();
        assert!(persist_all(vec![staged(&a, "new")], false).is_err());
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "mine");
    }
}
