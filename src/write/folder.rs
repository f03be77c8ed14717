//! The folder writer: a flat folder of `<image_id>.png` files, each written under
//! a temporary name and renamed; with `force`, a whole new folder built beside the
//! old one and swapped in.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::{entry_name, ordinary_file_permissions, write_error, Finished, Sink};
use crate::error::{Error, Result};
use crate::meta::{Metadata, MetadataCsv};

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
    metadata: Arc<Metadata>,
    /// `metadata.csv`, built as the images are added (when there are labels).
    table: Option<MetadataCsv>,
}

/// True for a name pixelprep writes into a folder output: its PNGs, the
/// metadata table, and its own temporary files.
fn written_by_pixelprep(name: &str) -> bool {
    name.ends_with(".png")
        || name == "metadata.csv"
        || (name.starts_with(".pixelprep.") && name.ends_with(".partial"))
}

/// The first entry of `dir` that pixelprep would not have written there: a file
/// of another kind, a folder holding such an entry, or a link. `--force` refuses to replace such a
/// folder, so a mistyped `-o ~ --force` cannot delete anyone's files.
pub(crate) fn foreign_entry(dir: &Path) -> io::Result<Option<PathBuf>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        // Sub-folders hold the images of ids with a path (`cat/0001`): ours when
        // all they hold is ours.
        let ours = if kind.is_dir() {
            // An empty folder is not one of ours: nothing we write leaves one.
            let path = entry.path();
            std::fs::read_dir(&path)?.next().is_some() && foreign_entry(&path)?.is_none()
        } else {
            kind.is_file() && name.to_str().is_some_and(written_by_pixelprep)
        };
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

impl FolderSink {
    /// Starts writing into `dir`, or into a folder beside it that will replace it
    /// (`force`, when `dir` holds files already).
    /// `metadata` holds the labels of each image for `metadata.csv` (`file_name`
    /// and the labels: the Hugging Face `imagefolder` layout).
    pub fn create_with(dir: &Path, force: bool, metadata: Arc<Metadata>) -> Result<Self> {
        let mut staging = None;
        if dir.exists() {
            if !dir.is_dir() {
                return Err(write_error(
                    dir,
                    io::Error::other(
                        "it exists and is not a folder; name a folder, or a file path with the extension of a format (.zip, .tar, .npy, .lmdb)",
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
            table: (!metadata.is_empty()).then(|| metadata.table("file_name")),
            metadata,
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
    match crate::os::exchange_paths(staged, target) {
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

impl FolderSink {
    /// Writes `data` as `name` in the folder, under a temporary name first, so a
    /// killed run never leaves a truncated file under a real name.
    fn put(&self, name: &str, data: &[u8]) -> io::Result<()> {
        let target = self.dir.join(name);
        // An id with a path (`cat/0001`) goes into its sub-folder.
        let folder = target.parent().unwrap_or(&self.dir);
        if folder != self.dir {
            std::fs::create_dir_all(folder)?;
        }
        let mut temp = tempfile::Builder::new()
            .prefix(".pixelprep.")
            .suffix(".partial")
            .permissions(ordinary_file_permissions())
            .tempfile_in(folder)?;
        // Through the `File`: `NamedTempFile`'s own errors name the temporary path,
        // which is gone by the time the error is shown.
        temp.as_file_mut().write_all(data)?;
        temp.persist(target).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Sink for FolderSink {
    fn add(&mut self, id: &str, row: usize, png: &[u8]) -> io::Result<()> {
        let name = entry_name(id);
        self.put(&name, png)?;
        if let Some(table) = &mut self.table {
            self.metadata.add_to(table, &name, row);
        }
        self.written += 1;
        self.bytes += png.len() as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Finished> {
        if let Some(table) = self.table.take() {
            self.put("metadata.csv", &table.into_bytes())?;
        }
        let done = Finished {
            bytes: self.bytes,
            paths: vec![self.target.clone()],
        };
        let Some(staging) = self.staging else {
            return Ok(done);
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
        Ok(done)
    }

    fn written(&self) -> u64 {
        self.written
    }

    fn keeps_partial_output(&self) -> bool {
        // A folder built beside the target is removed on failure.
        self.staging.is_none()
    }
}
