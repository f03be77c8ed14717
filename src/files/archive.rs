//! Zip and tar archives read in place, as the folder each would unpack to: the
//! zip's central directory or the tar's headers list the entries, in archive
//! order, and each entry's bytes are read from the archive when its image is
//! made (no unpacking, no temporary file). The archive file is opened once and
//! shared by the workers, which read it with positioned reads (`pread`), so
//! they never wait on each other.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{has_image_extension, image_file, Entry, FileList, Shared};
use crate::decode::{DecodeError, Problem};
use crate::error::{Error, Location, Result};

/// The kinds of archive read as folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    Zip,
    Tar,
    /// A gzip-compressed tar: told apart only to say how to read it.
    TarGz,
}

impl ArchiveKind {
    /// The kind of archive `path` is, by its first bytes, else by its name
    /// (so that a damaged `train.zip` is reported as a damaged zip).
    pub(crate) fn of(path: &Path) -> Option<ArchiveKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        // A zipped table named as the table is left to the table reader, which
        // says to unzip it.
        let table = [".parquet", ".pq", ".feather", ".arrow", ".ipc"];
        if table.iter().any(|t| name.ends_with(t)) {
            return None;
        }
        let mut head = [0u8; 512];
        let n = File::open(path)
            .and_then(|mut f| read_up_to(&mut f, &mut head))
            .unwrap_or(0);
        let head = &head[..n];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Some(ArchiveKind::Zip);
        }
        if head.len() >= 262 && &head[257..262] == b"ustar" {
            return Some(ArchiveKind::Tar);
        }
        if name.ends_with(".zip") {
            Some(ArchiveKind::Zip)
        } else if name.ends_with(".tar") {
            Some(ArchiveKind::Tar)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(ArchiveKind::TarGz)
        } else {
            None
        }
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// `archive: entry`, how an entry is named in messages and in the bad-files CSV.
pub(crate) fn entry_place(archive: &Path, entry: &str) -> PathBuf {
    PathBuf::from(format!("{}: {entry}", archive.display()))
}

/// What an entry's name makes of it in the folder the archive unpacks to.
#[derive(Debug, PartialEq, Eq)]
enum EntryPath {
    /// A path inside the folder, `/`-separated, `.` parts and leading `./` dropped.
    Inside(String),
    /// A hidden file, or one under a hidden folder or `__MACOSX/`: passed over
    /// as hidden files are in folders.
    Hidden,
    /// The folder itself (`./`).
    Root,
}

/// Reads an entry's raw name: refuses one that would land outside the folder
/// (absolute, or with a `..` part), as unpacking it would, and as outputs refuse.
fn entry_path(archive: &Path, raw: &[u8]) -> Result<EntryPath> {
    let refuse = |message: String| Error::BadImageId {
        at: Location::file(entry_place(archive, &String::from_utf8_lossy(raw))),
        message,
    };
    let name = std::str::from_utf8(raw).map_err(|_| {
        refuse(
            "the entry's name is not valid UTF-8, so it cannot name the image; rename it in \
             the archive"
                .into(),
        )
    })?;
    let absolute =
        name.starts_with('/') || name.starts_with('\\') || name.as_bytes().get(1) == Some(&b':');
    if absolute || name.split(['/', '\\']).any(|part| part == "..") {
        return Err(refuse(
            "the entry's path leaves the folder the archive unpacks to (it is absolute or has a \
             \"..\" part), so it has no place in it; remove the entry from the archive"
                .into(),
        ));
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.is_empty() {
        return Ok(EntryPath::Root);
    }
    if parts[0] == "__MACOSX" || parts.iter().any(|part| part.starts_with('.')) {
        return Ok(EntryPath::Hidden);
    }
    Ok(EntryPath::Inside(parts.join("/")))
}

/// Adds the entries of the archive at `path` to `list`, in archive order: the
/// images (by extension), and a count of the other files.
pub(crate) fn list_archive(path: &Path, kind: ArchiveKind, list: &mut FileList) -> Result<()> {
    let file = File::open(path).map_err(|cause| Error::OpenInput {
        path: path.to_path_buf(),
        cause,
    })?;
    match kind {
        ArchiveKind::Zip => list_zip(path, file, list),
        ArchiveKind::Tar => list_tar(path, file, list),
        ArchiveKind::TarGz => Err(Error::Usage {
            message: format!(
                "{}: is a gzip-compressed tar, whose entries cannot be read in place; \
                 decompress it once (gunzip -k {}) and pass the .tar",
                path.display(),
                path.display()
            ),
        }),
    }
}

fn add_entry(list: &mut FileList, path: &Path, relative: String, entry: Entry) {
    if has_image_extension(Path::new(&relative)) {
        let mut image = image_file(path.to_path_buf(), relative);
        image.entry = entry;
        list.files.push(image);
    } else {
        list.ignored += 1;
    }
}

fn damaged(path: &Path, kind: &str, why: impl std::fmt::Display) -> Error {
    Error::CorruptArchive {
        path: path.to_path_buf(),
        kind: kind.to_string(),
        why: why.to_string(),
    }
}

/// A file read at positions of its own, shared by clones: what lets every
/// worker hold its own copy of a zip archive's reader.
#[derive(Debug, Clone)]
pub(crate) struct SharedFile {
    file: Arc<File>,
    position: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.position)?;
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.position.checked_add_signed(d),
        };
        self.position = target.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.position)
    }
}

/// An opened zip archive; cloned (cheaply) by each read.
pub(crate) type Zip = zip::ZipArchive<SharedFile>;

fn list_zip(path: &Path, file: File, list: &mut FileList) -> Result<()> {
    let len = file
        .metadata()
        .map_err(|cause| Error::OpenInput {
            path: path.to_path_buf(),
            cause,
        })?
        .len();
    let reader = SharedFile {
        file: Arc::new(file),
        position: 0,
        len,
    };
    let zip = zip::ZipArchive::new(reader).map_err(|e| damaged(path, "zip", e))?;
    let zip = Shared(Arc::new(zip));
    for index in 0..zip.0.len() {
        let data = zip
            .0
            .by_index_data(index)
            .map_err(|e| damaged(path, "zip", e))?;
        let raw = data.name_raw();
        let relative = match entry_path(path, raw)? {
            EntryPath::Inside(relative) => relative,
            EntryPath::Hidden | EntryPath::Root => continue,
        };
        if data.is_dir() {
            continue;
        }
        let entry = Entry::Zip {
            archive: zip.clone(),
            index,
        };
        add_entry(list, path, relative, entry);
    }
    Ok(())
}

fn list_tar(path: &Path, file: File, list: &mut FileList) -> Result<()> {
    let len = file
        .metadata()
        .map_err(|cause| Error::OpenInput {
            path: path.to_path_buf(),
            cause,
        })?
        .len();
    let shared = Shared(Arc::new(file));
    let mut archive = tar::Archive::new(&*shared.0);
    let entries = archive
        .entries_with_seek()
        .map_err(|e| damaged(path, "tar", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| damaged(path, "tar", e))?;
        let relative = match entry_path(path, &entry.path_bytes())? {
            EntryPath::Inside(relative) => relative,
            EntryPath::Hidden | EntryPath::Root => continue,
        };
        use tar::EntryType;
        match entry.header().entry_type() {
            EntryType::Directory | EntryType::XGlobalHeader => continue,
            EntryType::Regular | EntryType::Continuous => {}
            // Links, devices, sparse files: not unpacked as images.
            _ => {
                list.ignored += 1;
                continue;
            }
        }
        let (offset, size) = (entry.raw_file_position(), entry.size());
        if offset.checked_add(size).is_none_or(|end| end > len) {
            return Err(damaged(
                path,
                "tar",
                format!(
                    "entry {relative:?} runs past the end of the file ({size} bytes at \
                     {offset}, the file has {len}): it is truncated"
                ),
            ));
        }
        let entry = Entry::Tar {
            file: shared.clone(),
            offset,
            size,
        };
        add_entry(list, path, relative, entry);
    }
    Ok(())
}

/// What a zip error makes of an entry.
fn zip_problem(e: &zip::result::ZipError) -> Problem {
    use zip::result::ZipError;
    match e {
        ZipError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Problem::Truncated,
        ZipError::Io(_) => Problem::Unreadable,
        ZipError::InvalidArchive(_) => Problem::Damaged,
        _ => Problem::Unsupported,
    }
}

/// Preallocation for an entry's bytes: its declared size, up to 64 MiB (the
/// size of a damaged entry may be anything; the bytes read decide).
const MOST_RESERVED: u64 = 64 << 20;

/// The bytes of a zip entry.
pub(crate) fn read_zip(zip: &Zip, index: usize) -> std::result::Result<Vec<u8>, DecodeError> {
    let mut zip = zip.clone();
    let mut entry = zip.by_index(index).map_err(|e| {
        DecodeError::new(
            zip_problem(&e),
            format!(
                "the zip entry cannot be read: {e}; store it uncompressed or deflated, without \
                 encryption"
            ),
        )
    })?;
    let mut bytes = Vec::with_capacity(entry.size().min(MOST_RESERVED) as usize);
    entry.read_to_end(&mut bytes).map_err(|e| {
        let problem = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Problem::Truncated,
            _ => Problem::Damaged,
        };
        DecodeError::new(
            problem,
            format!("the zip entry cannot be decompressed: {e}; the archive is damaged"),
        )
    })?;
    Ok(bytes)
}

/// The bytes of a tar entry: `size` bytes at `offset`.
pub(crate) fn read_tar(
    file: &File,
    offset: u64,
    size: u64,
) -> std::result::Result<Vec<u8>, DecodeError> {
    let mut bytes = vec![0; usize::try_from(size).unwrap_or(usize::MAX)];
    file.read_exact_at(&mut bytes, offset).map_err(|e| {
        let problem = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Problem::Truncated,
            _ => Problem::Unreadable,
        };
        DecodeError::new(problem, format!("the tar entry cannot be read: {e}"))
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(name: &str) -> EntryPath {
        entry_path(Path::new("a.zip"), name.as_bytes()).unwrap()
    }

    #[test]
    fn entry_names_become_folder_paths() {
        assert_eq!(
            inside("cat/0001.jpg"),
            EntryPath::Inside("cat/0001.jpg".into())
        );
        assert_eq!(
            inside("./cat//0001.jpg"),
            EntryPath::Inside("cat/0001.jpg".into())
        );
        assert_eq!(inside("cat/"), EntryPath::Inside("cat".into()));
        assert_eq!(inside("./"), EntryPath::Root);
        assert_eq!(inside("cat/.0001.jpg"), EntryPath::Hidden);
        assert_eq!(inside(".git/x.png"), EntryPath::Hidden);
        assert_eq!(inside("__MACOSX/cat/._0001.jpg"), EntryPath::Hidden);
    }

    #[test]
    fn entries_that_would_escape_are_refused() {
        for name in [
            "../x.jpg",
            "cat/../../x.jpg",
            "/etc/x.png",
            "C:/x.png",
            "a\\..\\x.png",
        ] {
            let e = entry_path(Path::new("t.zip"), name.as_bytes()).unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with(&format!("t.zip: {name}")), "{text}");
            assert!(text.contains("leaves the folder"), "{text}");
        }
        let e = entry_path(Path::new("t.tar"), b"cat/\xff.png").unwrap_err();
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    }

    /// Lists `bytes` as an archive named `name` and reads every entry: any
    /// outcome but a panic is fine.
    fn list_and_read(dir: &Path, name: &str, bytes: &[u8]) -> usize {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let Ok(list) = super::super::list_images(&[path], None, None) else {
            return 0;
        };
        list.files
            .iter()
            .filter(|f| super::super::read_bytes(f).is_ok())
            .count()
    }

    #[test]
    fn damaged_archives_are_errors_never_panics() {
        let fixtures =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images/containers");
        let dir = tempfile::tempdir().unwrap();
        let mut rng = fastrand::Rng::with_seed(27);
        for name in ["folder.zip", "folder.tar"] {
            let original = std::fs::read(fixtures.join(name)).unwrap();
            assert_eq!(list_and_read(dir.path(), name, &original), 54, "{name}");
            let mut read = 0;
            for round in 0..300 {
                let mut bytes = original.clone();
                match round % 3 {
                    // Cut short anywhere (a partial download).
                    0 => bytes.truncate(rng.usize(..bytes.len())),
                    // Bytes overwritten in the headers' region or anywhere.
                    1 => {
                        for _ in 0..rng.usize(1..16) {
                            let at = rng.usize(..bytes.len());
                            bytes[at] = rng.u8(..);
                        }
                    }
                    // The end (the zip's central directory) scrambled.
                    _ => {
                        let tail = bytes.len().saturating_sub(rng.usize(1..4096));
                        for b in &mut bytes[tail..] {
                            if rng.u8(..) < 32 {
                                *b = rng.u8(..);
                            }
                        }
                    }
                }
                read += list_and_read(dir.path(), name, &bytes);
            }
            assert!(read > 0, "{name}: some damaged archives still list entries");
        }
    }
}
