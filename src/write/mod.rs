//! The writers, one file per output format behind the [`Sink`] trait: a zip of
//! stored PNG entries ([`zip`]), a flat folder of PNG files ([`folder`]),
//! WebDataset tar shards ([`tar`]), one NumPy array ([`npy`]) and an LMDB store
//! ([`lmdb`]); the image-id rules ([`ids`]) and the temporary files every
//! output is built in ([`staged`]).
//!
//! All are fed by one writer thread, in input order. None leaves anything
//! half-written under a final name: each file is built under a temporary name
//! next to its target and renamed when the whole output is complete.

mod folder;
mod ids;
mod lmdb;
mod npy;
mod staged;
mod tar;
mod zip;

pub(crate) use tar::{finished_shard_count, read_finished_shards};

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use folder::FolderSink;
pub use ids::{entry_name, image_id_problem, path_id_problem};
pub use zip::ZipSink;

use crate::error::{Error, Result};
use crate::meta::Metadata;
use crate::recipe::OutputShape;

/// The kinds of output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// A zip of stored PNG entries (`-o train.zip`).
    Zip,
    /// A flat folder of PNG files (any other path).
    Dir,
    /// WebDataset tar shards (`-o shards/train-%06d.tar`), or one tar (`-o train.tar`).
    Tar,
    /// One `(N, size, size)` uint8 NumPy array (`-o train.npy`), ids and labels in
    /// `train.metadata.csv` beside it.
    Npy,
    /// An LMDB store in one file (`-o train.lmdb`), key = image id, value = PNG.
    Lmdb,
}

impl OutputFormat {
    /// Every format, in the order the help lists them.
    pub const ALL: [OutputFormat; 5] = [
        OutputFormat::Zip,
        OutputFormat::Dir,
        OutputFormat::Tar,
        OutputFormat::Npy,
        OutputFormat::Lmdb,
    ];

    /// The format an output path asks for, by its extension: `.zip`, `.tar`,
    /// `.npy`, `.lmdb` (or `.mdb`); anything else is a folder.
    pub fn from_path(path: &Path) -> OutputFormat {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("zip") => OutputFormat::Zip,
            Some("tar") => OutputFormat::Tar,
            Some("npy") => OutputFormat::Npy,
            Some("lmdb" | "mdb") => OutputFormat::Lmdb,
            _ => OutputFormat::Dir,
        }
    }

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Zip => "zip",
            OutputFormat::Dir => "dir",
            OutputFormat::Tar => "tar",
            OutputFormat::Npy => "npy",
            OutputFormat::Lmdb => "lmdb",
        }
    }

    /// The format named `name` (as `--format` takes it).
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }

    /// False for the array, which holds the pixels themselves, and for an LMDB
    /// store of raw values.
    pub fn holds_png(self, raw_values: bool) -> bool {
        match self {
            OutputFormat::Npy => false,
            OutputFormat::Lmdb => !raw_values,
            _ => true,
        }
    }

    /// Why `id` cannot be a key of this format (beyond the rules of every
    /// format: no path separators, no `..`, no control characters); `None` if it can.
    pub fn id_problem(self, id: &str) -> Option<String> {
        match self {
            // WebDataset splits a member name at the first dot of its base name:
            // `a.b.png` would be sample `a` with a field `b.png`.
            OutputFormat::Tar if id.rsplit('/').next().is_some_and(|name| name.contains('.')) => {
                Some(
                    "contains a dot, and WebDataset takes the part before the first dot as the \
                 sample key, so its image and labels would be split; rename the ids, or \
                 choose another output format"
                        .to_string(),
                )
            }
            OutputFormat::Lmdb if lmdb::RESERVED_KEYS.contains(&id) => Some(format!(
                "is one of the keys the LMDB store keeps for itself ({}); rename it",
                lmdb::RESERVED_KEYS.join(", ")
            )),
            _ => None,
        }
    }
}

/// Temporary files are private (0600) by default; the outputs they become should
/// be ordinary files, 0666 less the umask, like any other program's.
pub(crate) fn ordinary_file_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o666)
}

/// What a finished output is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finished {
    /// Bytes written: archives and arrays whole, a folder's PNGs.
    pub bytes: u64,
    /// The paths written, in order (shards, the array and its CSV...).
    pub paths: Vec<PathBuf>,
}

/// One image for a sink.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its row in the run, over all inputs (the row of its labels).
    pub row: usize,
    /// Its PNG, or for the array its pixels; `None` when a worker has put it in
    /// place already, through the sink's [`Sink::place`].
    pub data: Option<&'a [u8]>,
}

/// Puts an image where it belongs in the output, from any worker thread: for an
/// output whose offsets are known in advance (the array).
pub trait Place: Send + Sync {
    /// Writes the pixels of image `index` of the run.
    fn place(&self, index: u64, pixels: &[u8]) -> io::Result<()>;
}

/// Where the images go, in input order.
pub trait Sink: Send {
    /// Adds image `id`, row `row` of the run (over all inputs): its PNG, or for
    /// the array its pixels.
    fn add(&mut self, id: &str, row: usize, data: &[u8]) -> io::Result<()>;
    /// Adds a batch of images, in order.
    fn add_all(&mut self, images: &[Image<'_>]) -> io::Result<()> {
        images.iter().try_for_each(|image| {
            let data = image
                .data
                .expect("only sinks with `place` get placed images");
            self.add(image.id, image.row, data)
        })
    }
    /// Where workers may write the images themselves when every image of the
    /// run is written, image `i` of the run in place `i`; `None` (the default)
    /// when only the writer writes.
    fn place(&self) -> Option<Arc<dyn Place>> {
        None
    }
    /// Completes the output and puts it under its final names.
    fn finish(self: Box<Self>) -> io::Result<Finished>;
    /// Images added so far.
    fn written(&self) -> u64;
    /// True where a failure leaves the images written so far in place (a folder
    /// filled in place); the other outputs are removed.
    fn keeps_partial_output(&self) -> bool {
        false
    }
}

/// What an output is to be.
#[derive(Debug, Clone)]
pub struct SinkSpec {
    /// The `-o` path.
    pub path: PathBuf,
    /// Its format.
    pub format: OutputFormat,
    /// Replace what is there.
    pub force: bool,
    /// Images per tar shard.
    pub shard_size: u64,
    /// The shape of every image.
    pub shape: OutputShape,
    /// The labels of every image, by row.
    pub metadata: Arc<Metadata>,
    /// LMDB only: store each image's pixels, not its PNG.
    pub raw_values: bool,
    /// Tar shards only: put each shard under its name as soon as it is
    /// complete (synced, then renamed), so that a stopped run leaves only whole
    /// shards, which `--resume` continues from; `None` publishes them all at
    /// the end. `Some(n)`: shards `0..n` are already there, finished by an
    /// earlier run of the same command, and numbering goes on from `n`.
    pub publish_shards_from: Option<u64>,
}

/// Opens the sink `spec` describes. Fails, writing nothing, when an output
/// exists (without `force`) or cannot be made.
pub fn open_sink(spec: &SinkSpec) -> Result<Box<dyn Sink>> {
    Ok(match spec.format {
        OutputFormat::Zip => Box::new(ZipSink::create_with(
            &spec.path,
            spec.force,
            spec.metadata.clone(),
        )?),
        OutputFormat::Dir => Box::new(FolderSink::create_with(
            &spec.path,
            spec.force,
            spec.metadata.clone(),
        )?),
        OutputFormat::Tar => Box::new(tar::TarSink::create(spec)?),
        OutputFormat::Npy => Box::new(npy::NpySink::create(spec)?),
        OutputFormat::Lmdb => Box::new(lmdb::LmdbSink::create(spec)?),
    })
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
    fn the_format_is_chosen_by_extension() {
        let of = |p: &str| OutputFormat::from_path(Path::new(p));
        assert_eq!(of("out/train.zip"), OutputFormat::Zip);
        assert_eq!(of("TRAIN.ZIP"), OutputFormat::Zip);
        assert_eq!(of("out/"), OutputFormat::Dir);
        assert_eq!(of("out.zipped"), OutputFormat::Dir);
        assert_eq!(of("shards/train-%06d.tar"), OutputFormat::Tar);
        assert_eq!(of("train.npy"), OutputFormat::Npy);
        assert_eq!(of("train.lmdb"), OutputFormat::Lmdb);
        for format in OutputFormat::ALL {
            assert_eq!(OutputFormat::from_name(format.name()), Some(format));
        }
    }

    #[test]
    fn tar_keys_may_not_hold_a_dot() {
        assert!(OutputFormat::Tar.id_problem("a.b").is_some());
        assert!(OutputFormat::Zip.id_problem("a.b").is_none());
        assert!(OutputFormat::Lmdb.id_problem("__len__").is_some());
        assert!(OutputFormat::Tar.id_problem("Train_0").is_none());
    }
}
