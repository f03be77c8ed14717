//! WebDataset shards: tar files of `<key>.png` (and `<key>.json` with the labels)
//! members, `shard_size` images each, named from a printf-style pattern like
//! webdataset's `ShardWriter` (`train-%06d.tar`), or one tar without a pattern.
//! Every member has the same time, owner and mode, so shards are byte-identical
//! whatever the thread count.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::staged::{check_target, persist_all, Closed, Staged};
use super::{write_error, Finished, Sink, SinkSpec};
use crate::error::{Error, Result};
use crate::meta::Metadata;

/// The time of every member: 1980-01-01, as in the zip (whose format cannot go
/// earlier), so both are reproducible.
const MEMBER_TIME: u64 = 315_532_800;

/// A shard name pattern: `prefix`, the shard number (`%d`, or `%0Nd` zero-padded
/// to N digits), `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardPattern {
    dir: PathBuf,
    prefix: String,
    width: usize,
    suffix: String,
}

impl ShardPattern {
    /// The pattern in `path`'s file name; `Ok(None)` when it has no `%`.
    pub fn parse(path: &Path) -> std::result::Result<Option<ShardPattern>, String> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Ok(None);
        };
        let Some(start) = name.find('%') else {
            if path.to_string_lossy().contains('%') {
                return Err(
                    "the shard number pattern (%06d) belongs in the file name, not \
                            in a folder name"
                        .into(),
                );
            }
            return Ok(None);
        };
        let rest = &name[start + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let bad = || {
            format!(
                "{name:?} is not a shard pattern: use one %d, or %0Nd for N-digit numbers, \
                 as in train-%06d.tar"
            )
        };
        if rest.as_bytes().get(digits) != Some(&b'd') {
            return Err(bad());
        }
        let width = match &rest[..digits] {
            "" => 0,
            w if w.starts_with('0') && w.len() > 1 => w[1..].parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        let suffix = &rest[digits + 1..];
        if suffix.contains('%') || width > 20 {
            return Err(bad());
        }
        Ok(Some(ShardPattern {
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            prefix: name[..start].to_string(),
            width,
            suffix: suffix.to_string(),
        }))
    }

    /// The path of shard `index`.
    pub fn shard(&self, index: u64) -> PathBuf {
        let name = format!(
            "{}{:0width$}{}",
            self.prefix,
            index,
            self.suffix,
            width = self.width
        );
        self.dir.join(name)
    }

    /// The shard number `name` has under this pattern, if it is one of its names.
    fn index_of(&self, name: &str) -> Option<u64> {
        let digits = name
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (self.width == 0 || digits.len() >= self.width);
        if well_formed {
            digits.parse().ok()
        } else {
            None
        }
    }

    /// The files already there with names of this pattern, by shard number.
    fn existing(&self) -> io::Result<Vec<(u64, PathBuf)>> {
        let dir = if self.dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &self.dir
        };
        let mut found = Vec::new();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry?;
                    if let Some(index) = entry.file_name().to_str().and_then(|n| self.index_of(n)) {
                        found.push((index, entry.path()));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        found.sort();
        Ok(found)
    }
}

/// True when `path` is a plain file that is a tar archive: its first header has
/// the ustar magic, or it is an empty archive (only the two zero end blocks, as an
/// empty run writes). Only such files does a `--force` run remove.
fn is_tar_file(path: &Path) -> bool {
    let Ok(meta) = path.symlink_metadata() else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut header = [0u8; 512];
    if file.read_exact(&mut header).is_err() {
        return false;
    }
    if &header[257..262] == b"ustar" {
        return true;
    }
    let mut rest = Vec::new();
    meta.len() == 1024
        && header.iter().all(|&b| b == 0)
        && file.read_to_end(&mut rest).is_ok()
        && rest.iter().all(|&b| b == 0)
}

/// One shard being written.
struct Shard {
    file: Staged,
    tar: ::tar::Builder<BufWriter<File>>,
    images: u64,
}

/// WebDataset tar shards (or one tar).
pub struct TarSink {
    /// The `-o` path, for a single tar.
    path: PathBuf,
    pattern: Option<ShardPattern>,
    force: bool,
    shard_size: u64,
    metadata: Arc<Metadata>,
    current: Option<Shard>,
    done: Vec<Closed>,
    bytes: u64,
    written: u64,
}

impl TarSink {
    /// Checks the pattern and that no shard of it exists (unless `force`).
    pub fn create(spec: &SinkSpec) -> Result<Self> {
        let pattern = ShardPattern::parse(&spec.path).map_err(|why| Error::WriteOutput {
            path: spec.path.clone(),
            written: None,
            cause: io::Error::other(why),
        })?;
        match &pattern {
            None => check_target(&spec.path, spec.force, "a tar output")?,
            Some(pattern) => {
                let existing = pattern.existing().map_err(|e| write_error(&spec.path, e))?;
                if let Some((_, first)) = existing.first() {
                    if !spec.force {
                        return Err(Error::OutputExists {
                            path: first.clone(),
                        });
                    }
                    if let Some((_, other)) = existing.iter().find(|(_, p)| !is_tar_file(p)) {
                        return Err(Error::ForceRefused {
                            path: other.clone(),
                            why: "it has a shard's name but is not a tar file".into(),
                        });
                    }
                }
            }
        }
        Ok(TarSink {
            path: spec.path.clone(),
            pattern,
            force: spec.force,
            shard_size: spec.shard_size.max(1),
            metadata: spec.metadata.clone(),
            current: None,
            done: Vec::new(),
            bytes: 0,
            written: 0,
        })
    }

    fn next_shard_path(&self) -> PathBuf {
        match &self.pattern {
            Some(pattern) => pattern.shard(self.done.len() as u64),
            None => self.path.clone(),
        }
    }

    fn open_shard(&mut self) -> io::Result<&mut Shard> {
        if self.current.is_none() {
            let file = Staged::create(&self.next_shard_path())?;
            let writer = BufWriter::with_capacity(1 << 20, file.file().try_clone()?);
            self.current = Some(Shard {
                file,
                tar: ::tar::Builder::new(writer),
                images: 0,
            });
        }
        Ok(self.current.as_mut().expect("just opened"))
    }

    fn close_shard(&mut self) -> io::Result<()> {
        if let Some(shard) = self.current.take() {
            let mut writer = shard.tar.into_inner()?;
            writer.flush()?;
            let file = writer.into_inner().map_err(|e| e.into_error())?;
            self.bytes += file.metadata()?.len();
            drop(file);
            self.done.push(shard.file.close());
        }
        Ok(())
    }
}

fn append(tar: &mut ::tar::Builder<BufWriter<File>>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = ::tar::Header::new_ustar();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(MEMBER_TIME);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(::tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
}

impl Sink for TarSink {
    fn add(&mut self, id: &str, row: usize, png: &[u8]) -> io::Result<()> {
        let json = (!self.metadata.is_empty()).then(|| self.metadata.json(row));
        let shard = self.open_shard()?;
        append(&mut shard.tar, &format!("{id}.png"), png)?;
        if let Some(json) = json {
            append(&mut shard.tar, &format!("{id}.json"), json.as_bytes())?;
        }
        shard.images += 1;
        let full = shard.images >= self.shard_size && self.pattern.is_some();
        self.written += 1;
        if full {
            self.close_shard()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Finished> {
        if self.done.is_empty() {
            // No image at all: still one (empty) tar, so the output exists.
            self.open_shard()?;
        }
        self.close_shard()?;
        let count = self.done.len() as u64;
        let paths = persist_all(std::mem::take(&mut self.done), self.force)?;
        if let (Some(pattern), true) = (&self.pattern, self.force) {
            // Shards of an earlier, longer run would join this one's in a brace
            // pattern (train-{000000..000009}.tar): remove those, being tars.
            for (index, path) in pattern.existing()? {
                if index >= count && is_tar_file(&path) {
                    std::fs::remove_file(&path)?;
                }
            }
        }
        Ok(Finished {
            bytes: self.bytes,
            paths,
        })
    }

    fn written(&self) -> u64 {
        self.written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_name_shards_like_printf() {
        let p = ShardPattern::parse(Path::new("shards/train-%06d.tar"))
            .unwrap()
            .unwrap();
        assert_eq!(p.shard(0), Path::new("shards/train-000000.tar"));
        assert_eq!(p.shard(12), Path::new("shards/train-000012.tar"));
        assert_eq!(p.index_of("train-000012.tar"), Some(12));
        assert_eq!(p.index_of("train-12.tar"), None);
        assert_eq!(p.index_of("train-000012.tar.partial"), None);
        let plain = ShardPattern::parse(Path::new("s-%d.tar")).unwrap().unwrap();
        assert_eq!(plain.shard(7), Path::new("s-7.tar"));
        assert_eq!(ShardPattern::parse(Path::new("train.tar")), Ok(None));
    }

    #[test]
    fn an_empty_archive_is_a_tar_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.tar");
        let mut builder = ::tar::Builder::new(File::create(&empty).unwrap());
        builder.finish().unwrap();
        drop(builder);
        assert!(is_tar_file(&empty));
        let zeros = dir.path().join("zeros.tar");
        std::fs::write(&zeros, [0u8; 2048]).unwrap();
        assert!(!is_tar_file(&zeros));
        let notes = dir.path().join("notes.tar");
        std::fs::write(&notes, [b'x'; 1024]).unwrap();
        assert!(!is_tar_file(&notes));
    }

    #[test]
    fn other_percent_signs_are_refused() {
        for bad in [
            "t-%s.tar",
            "t-%06d-%d.tar",
            "t-%6d.tar",
            "t-%.tar",
            "a%b/t.tar",
        ] {
            assert!(ShardPattern::parse(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
