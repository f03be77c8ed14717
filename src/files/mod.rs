//! Image files as a source: folders walked recursively, single files and lists
//! of paths, turned into one ordered list with an id per image (its relative
//! path without extension, with `/`) and, in the ImageFolder layout, its class.

mod archive;
mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::decode::{DecodeError, Problem};
use crate::error::{Error, Location, Result};
use crate::meta::Metadata;
use archive::ArchiveKind;
pub use table::TableColumns;

/// The extensions of files taken from a folder (case-insensitive). The decoder
/// is still chosen by the content.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"];

/// One image file of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its path relative to the folder or list it came from, with `/`.
    pub relative: String,
    /// Its id: `relative` without the extension.
    pub id: String,
    /// Where its bytes are: the file at `path`, an entry of the archive at
    /// `path`, or a row of the table at `path`.
    pub entry: Entry,
}

/// Where the bytes of an image are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Entry {
    /// The file itself.
    #[default]
    File,
    /// Entry `index` of a zip archive (its central directory parsed once).
    Zip {
        /// The archive, opened.
        archive: Shared<archive::Zip>,
        /// The entry's number in the central directory.
        index: usize,
    },
    /// `size` bytes at `offset` of a plain tar archive.
    Tar {
        /// The archive, opened.
        file: Shared<std::fs::File>,
        /// Where the entry's data start.
        offset: u64,
        /// How long they are.
        size: u64,
    },
    /// Row `row` of row group `group` (an Arrow record batch) of a Parquet or
    /// Arrow IPC table of encoded images.
    Row {
        /// The table, opened.
        table: Shared<table::ImageTable>,
        /// The row group.
        group: usize,
        /// The row in the group.
        row: usize,
        /// The row in the table.
        number: u64,
        /// The file the row's path names beside the table, read when its bytes are null.
        file: Option<PathBuf>,
    },
}

/// An opened archive, shared by its entries; two are equal when they are the
/// same opening.
pub struct Shared<T>(Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Eq for Shared<T> {}

impl<T> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared(..)")
    }
}

impl ImageFile {
    /// How the image is named in messages and in the bad-files CSV: its path,
    /// or for an archive entry `train.zip: cat/0001.jpg`.
    pub fn place(&self) -> PathBuf {
        match self.entry {
            Entry::File => self.path.clone(),
            Entry::Row { number, .. } => {
                PathBuf::from(format!("{}, row {number}", self.path.display()))
            }
            _ => archive::entry_place(&self.path, &self.relative),
        }
    }

    /// The file's name (`0001.jpg`).
    pub fn name(&self) -> &str {
        self.relative.rsplit('/').next().unwrap_or(&self.relative)
    }

    /// Its class folder, the first part of its relative path, when it has one
    /// (a table's rows have their labels in columns instead).
    pub fn class(&self) -> Option<&str> {
        if matches!(self.entry, Entry::Row { .. }) {
            return None;
        }
        self.relative.split_once('/').map(|(class, _)| class)
    }
}

/// Every image file of a run, in order, and how many other files were passed over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileList {
    /// The images, in conversion order.
    pub files: Vec<ImageFile>,
    /// Files in the folders without an image extension.
    pub ignored: u64,
    /// The label columns of an image table, a row per image (empty otherwise).
    pub metadata: Metadata,
}

impl FileList {
    /// The sorted class folders when every image sits in one (the ImageFolder
    /// layout, numbered as torchvision numbers them); `None` otherwise.
    pub fn classes(&self) -> Option<Vec<String>> {
        let mut classes = Vec::new();
        for file in &self.files {
            classes.push(file.class()?.to_string());
        }
        classes.sort();
        classes.dedup();
        (!classes.is_empty()).then_some(classes)
    }
}

/// True for a path that names an image by its extension.
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// True when `path` is an input of image files rather than a pixel table: a
/// folder, a zip or tar archive (read as the folder it unpacks to), a Parquet
/// or Arrow IPC (Feather v2) table of encoded images, or a file with an image extension or image content.
pub fn is_image_input(path: &Path) -> bool {
    if path.is_dir()
        || has_image_extension(path)
        || ArchiveKind::of(path).is_some()
        || table::is_image_table(path)
    {
        return true;
    }
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .is_ok_and(|n| crate::decode::Format::sniff(&head[..n]).is_some())
}

fn without_extension(relative: &str) -> &str {
    let name_start = relative.rfind('/').map_or(0, |i| i + 1);
    match relative[name_start..].rfind('.') {
        Some(dot) if dot > 0 => &relative[..name_start + dot],
        _ => relative,
    }
}

fn image_file(path: PathBuf, relative: String) -> ImageFile {
    let id = without_extension(&relative).to_string();
    ImageFile {
        path,
        relative,
        id,
        entry: Entry::File,
    }
}

/// The bytes of an image: the file read, or the archive entry read from the
/// archive.
pub fn read_bytes(file: &ImageFile) -> std::result::Result<Vec<u8>, DecodeError> {
    match &file.entry {
        Entry::File => std::fs::read(&file.path)
            .map_err(|e| DecodeError::new(Problem::Unreadable, format!("cannot be read: {e}"))),
        Entry::Zip { archive, index } => archive::read_zip(&archive.0, *index),
        Entry::Tar { file, offset, size } => archive::read_tar(&file.0, *offset, *size),
        Entry::Row {
            table,
            group,
            row,
            file,
            ..
        } => table::read_row(&table.0, *group, *row, file.as_deref()),
    }
}

fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// Walks `root`, collecting image files (hidden files and dot-folders skipped)
/// and counting the rest.
fn walk(root: &Path, dir: &Path, list: &mut FileList) -> Result<()> {
    let open = |cause| Error::OpenInput {
        path: dir.to_path_buf(),
        cause,
    };
    for entry in std::fs::read_dir(dir).map_err(open)? {
        let entry = entry.map_err(open)?;
        let name = entry.file_name();
        if hidden(&name) {
            continue;
        }
        let path = entry.path();
        // Links are followed, as os.walk's callers usually open them.
        let kind = std::fs::metadata(&path).map_err(|cause| Error::OpenInput {
            path: path.clone(),
            cause,
        })?;
        if kind.is_dir() {
            walk(root, &path, list)?;
        } else if kind.is_file() && has_image_extension(&path) {
            let relative = relative_text(root, &path)?;
            list.files.push(image_file(path, relative));
        } else {
            list.ignored += 1;
        }
    }
    Ok(())
}

/// `path` relative to `root`, with `/`, as UTF-8.
fn relative_text(root: &Path, path: &Path) -> Result<String> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect();
    parts.map(|p| p.join("/")).ok_or_else(|| Error::BadImageId {
        at: Location::file(path),
        message: "its path is not valid UTF-8, so it cannot name the image; rename the file".into(),
    })
}

/// The images of a list file: one path a line, relative to `root` (the list's
/// folder by default), or absolute inside it; blank lines and `#` comments
/// skipped. The list's order is kept.
fn read_list(list_path: &Path, root: Option<&Path>, list: &mut FileList) -> Result<()> {
    let text = std::fs::read_to_string(list_path).map_err(|cause| Error::OpenInput {
        path: list_path.to_path_buf(),
        cause,
    })?;
    let base = root.unwrap_or_else(|| list_path.parent().unwrap_or(Path::new("")));
    for (number, line) in text.lines().enumerate() {
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let written = Path::new(entry);
        let path = base.join(written);
        let inside = if written.is_absolute() {
            std::path::absolute(base)
                .ok()
                .and_then(|b| written.strip_prefix(b).ok().map(Path::to_path_buf))
        } else {
            Some(written.to_path_buf())
        };
        let escapes = inside.as_ref().is_none_or(|p| {
            p.components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        });
        if escapes {
            return Err(Error::Labels {
                path: list_path.to_path_buf(),
                line: Some(number as u64 + 1),
                message: format!(
                    "{entry:?} is not a path inside {} (the list's folder, or --root); each \
                     image's id is its path relative to that folder, so write the paths \
                     relative to it, without \"..\"",
                    base.display()
                ),
            });
        }
        let relative = relative_text(Path::new(""), inside.as_deref().expect("checked"))?;
        list.files.push(image_file(path, relative));
    }
    Ok(())
}

/// Lists the images of `inputs` (folders, zip and tar archives and single
/// files, in the order given, each folder sorted by relative path as Python's
/// `sorted()` sorts them, each archive in its own order), then
/// those of the list file `files`, whose paths are relative to `root` (the
/// list's folder when `None`).
pub fn list_images(
    inputs: &[PathBuf],
    files: Option<&Path>,
    root: Option<&Path>,
) -> Result<FileList> {
    list_images_with(inputs, files, root, TableColumns::default())
}

/// [`list_images`], where a Parquet or Arrow table of encoded images (the only input)
/// has its image and id columns named by `columns` (else found as documented
/// in [`table`]).
pub fn list_images_with(
    inputs: &[PathBuf],
    files: Option<&Path>,
    root: Option<&Path>,
    columns: TableColumns,
) -> Result<FileList> {
    let mut list = FileList::default();
    if let Some(table) = inputs.iter().find(|p| table::is_image_table(p)) {
        if inputs.len() > 1 || files.is_some() {
            return Err(Error::Usage {
                message: format!(
                    "{} is a table of images, converted on its own with its label columns; \
                     convert the other inputs in another run",
                    table.display()
                ),
            });
        }
        table::list_table(table, columns, &mut list)?;
        return Ok(list);
    }
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|cause| Error::OpenInput {
            path: input.clone(),
            cause,
        })?;
        if meta.is_dir() {
            let mut found = FileList::default();
            walk(input, input, &mut found)?;
            // Byte order of UTF-8 is code point order, Python's string order.
            found.files.sort_by(|a, b| a.relative.cmp(&b.relative));
            list.files.extend(found.files);
            list.ignored += found.ignored;
        } else if let Some(kind) = ArchiveKind::of(input).filter(|_| !has_image_extension(input)) {
            archive::list_archive(input, kind, &mut list)?;
        } else {
            let name =
                input
                    .file_name()
                    .and_then(|n| n.to_str())
                    .ok_or_else(|| Error::BadImageId {
                        at: Location::file(input),
                        message:
                            "its name is not valid UTF-8, so it cannot name the image; rename \
                              the file"
                                .into(),
                    })?;
            list.files.push(image_file(input.clone(), name.to_string()));
        }
    }
    if let Some(files) = files {
        read_list(files, root, &mut list)?;
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_drop_the_extension_only() {
        assert_eq!(without_extension("cat/0001.jpg"), "cat/0001");
        assert_eq!(without_extension("a.b/c.tar.png"), "a.b/c.tar");
        assert_eq!(without_extension("noext"), "noext");
        let f = image_file("x".into(), "cat/0001.JPG".into());
        assert_eq!(
            (f.id.as_str(), f.name(), f.class()),
            ("cat/0001", "0001.JPG", Some("cat"))
        );
    }

    #[test]
    fn folders_are_sorted_as_python_sorts_strings() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b/img10.png",
            "b/img9.png",
            "B/x.jpg",
            "a.txt",
            ".h.png",
            ".d/y.png",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        let list = list_images(&[dir.path().to_path_buf()], None, None).unwrap();
        let ids: Vec<&str> = list.files.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["B/x", "b/img10", "b/img9"]);
        assert_eq!(list.ignored, 1);
        assert_eq!(list.classes(), Some(vec!["B".to_string(), "b".to_string()]));
    }
}
