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
    /// Finished shards kept under temporary names until `finish`.
    done: Vec<Closed>,
    /// With `publish_shards_from`: the shards already under their names (those
    /// of the earlier run included), and the number the next one takes.
    published: Option<Vec<PathBuf>>,
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
        let mut published = None;
        let mut bytes = 0;
        match (&pattern, spec.publish_shards_from) {
            (None, _) => check_target(&spec.path, spec.force, "a tar output")?,
            (Some(pattern), Some(first)) => {
                let existing = pattern.existing().map_err(|e| write_error(&spec.path, e))?;
                if let Some((_, extra)) = existing.iter().find(|(i, _)| *i >= first) {
                    return Err(if first == 0 {
                        Error::ShardsExist {
                            path: extra.clone(),
                        }
                    } else {
                        Error::OutputExists {
                            path: extra.clone(),
                        }
                    });
                }
                let mut kept = Vec::new();
                for index in 0..first {
                    let path = pattern.shard(index);
                    bytes += std::fs::metadata(&path)
                        .map_err(|e| write_error(&path, e))?
                        .len();
                    kept.push(path);
                }
                remove_partial_shards(pattern).map_err(|e| write_error(&spec.path, e))?;
                published = Some(kept);
            }
            (Some(pattern), None) => {
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
            published,
            bytes,
            written: 0,
        })
    }

    /// Shards finished so far, those of an earlier run included.
    fn shards(&self) -> u64 {
        self.published.as_ref().map_or(self.done.len(), Vec::len) as u64
    }

    fn next_shard_path(&self) -> PathBuf {
        match &self.pattern {
            Some(pattern) => pattern.shard(self.shards()),
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
            if let Some(published) = &mut self.published {
                // On disk before its name says it is finished: a crash or a
                // power cut never leaves a named shard cut short.
                file.sync_all()?;
                drop(file);
                let target = self
                    .pattern
                    .as_ref()
                    .expect("shards")
                    .shard(published.len() as u64);
                let temp = shard.file.close();
                published.push(persist_all(vec![temp], false)?.remove(0));
                debug_assert_eq!(published.last(), Some(&target));
            } else {
                drop(file);
                self.done.push(shard.file.close());
            }
        }
        Ok(())
    }
}

/// Removes the temporary files of shards that a killed run left
/// (`.train-000003.tar.XXXXXX.partial`): pixelprep's own, by their names.
fn remove_partial_shards(pattern: &ShardPattern) -> io::Result<()> {
    let dir = if pattern.dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &pattern.dir
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name
            .strip_prefix('.')
            .and_then(|n| n.strip_suffix(".partial"))
        else {
            continue;
        };
        // `<shard name>.<6 random characters>`, as `staged` names them.
        let Some((shard, random)) = rest.rsplit_once('.') else {
            continue;
        };
        let ours = random.len() == 6
            && random.bytes().all(|b| b.is_ascii_alphanumeric())
            && pattern.index_of(shard).is_some()
            && entry.file_type()?.is_file();
        if ours {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// What `read_finished_shards` hands each member to: the shard's path, the
/// member's name and its bytes.
pub(crate) type VisitMember<'a> = dyn FnMut(&Path, &str, Vec<u8>) -> Result<()> + 'a;

/// Reads the shards of `output`'s pattern that an earlier run finished (0, 1,
/// ... as far as they go without a gap), handing `visit` each shard's number
/// and each member's name and bytes, in order. A shard that is not a whole
/// tar archive (cut short, or not a tar) is an error naming it.
pub(crate) fn read_finished_shards(output: &Path, visit: &mut VisitMember<'_>) -> Result<u64> {
    let pattern = match ShardPattern::parse(output) {
        Ok(Some(pattern)) => pattern,
        _ => {
            return Err(Error::Usage {
                message: format!(
                    "--resume continues tar shards: OUT needs a shard pattern, as in \
                     shards/train-%06d.tar ({} has none)",
                    output.display()
                ),
            })
        }
    };
    let existing = pattern.existing().map_err(|e| write_error(output, e))?;
    let mut count = 0;
    for (index, path) in existing {
        if index != count {
            return Err(Error::ResumeRefused {
                path,
                why: format!(
                    "shard {count} is missing before it, so these shards are not one run's; \
                     remove them, or convert again with --force"
                ),
            });
        }
        read_shard(&path, &mut |name, data| visit(&path, name, data))?;
        count += 1;
    }
    Ok(count)
}

/// How many shards of `output`'s pattern are under their names.
pub(crate) fn finished_shard_count(output: &Path) -> u64 {
    match ShardPattern::parse(output) {
        Ok(Some(pattern)) => pattern.existing().map_or(0, |e| e.len() as u64),
        _ => 0,
    }
}

/// Every member of the tar at `path`, checked to be a whole archive: regular
/// files only, each read to its end, and the two zero blocks that end it.
fn read_shard(path: &Path, visit: &mut dyn FnMut(&str, Vec<u8>) -> Result<()>) -> Result<()> {
    let damaged = |why: String| Error::ResumeRefused {
        path: path.to_path_buf(),
        why: format!(
            "it has a shard's name but {why}; pixelprep never leaves a shard cut short under \
             its name: remove it and run with --resume again"
        ),
    };
    let mut file = File::open(path).map_err(|e| write_error(path, e))?;
    let len = file.metadata().map_err(|e| write_error(path, e))?.len();
    let mut end = [0u8; 1024];
    let ends_well = len >= 1024
        && len % 512 == 0
        && io::Seek::seek(&mut file, io::SeekFrom::End(-1024)).is_ok()
        && file.read_exact(&mut end).is_ok()
        && end.iter().all(|&b| b == 0);
    if !ends_well {
        return Err(damaged("does not end as a whole tar archive does".into()));
    }
    io::Seek::seek(&mut file, io::SeekFrom::Start(0)).map_err(|e| write_error(path, e))?;
    let mut archive = ::tar::Archive::new(io::BufReader::new(file));
    let entries = archive
        .entries()
        .map_err(|e| damaged(format!("cannot be read as a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("holds a damaged member ({e})")))?;
        if entry.header().entry_type() != ::tar::EntryType::Regular {
            return Err(damaged("holds a member that is not a file".into()));
        }
        let name = entry
            .path()
            .map_err(|e| damaged(format!("holds a member with a bad name ({e})")))?
            .to_string_lossy()
            .into_owned();
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| damaged(format!("is cut short in {name} ({e})")))?;
        visit(&name, data)?;
    }
    Ok(())
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
        if self.shards() == 0 {
            // No image at all: still one (empty) tar, so the output exists.
            self.open_shard()?;
        }
        self.close_shard()?;
        let count = self.shards();
        let paths = match self.published.take() {
            Some(published) => published,
            None => persist_all(std::mem::take(&mut self.done), self.force)?,
        };
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
