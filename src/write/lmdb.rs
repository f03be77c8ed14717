//! An LMDB store in one file (`subdir=False`, as Python's `lmdb` and the seed
//! article open it): key = image id (UTF-8), value = the PNG; `__keys__` the ids
//! in input order, newline-separated; `__len__` their count in ASCII decimal;
//! `__metadata__` the labels CSV (`image_id` and the labels) when there are labels.
//! With raw values (`--lmdb-values raw`, the LMDB article's way) each value is the
//! image's `H * W * C` bytes as they come, and `__shape__` holds `H,W,C` (`H,W`
//! for gray), so a reader decodes nothing.
//!
//! The map starts at 1 GiB and doubles whenever a transaction finds it full, so
//! no size is asked of the user; without a writable map the file grows only as
//! pages are written. Images are committed in transactions of up to 32 MB.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use heed::types::Bytes;
use heed::{Database, Env, EnvFlags, EnvOpenOptions, MdbError};

use super::staged::{check_target, persist_all, Staged};
use super::{write_error, Finished, Sink, SinkSpec};
use crate::error::Result;
use crate::meta::{Metadata, MetadataCsv};

/// The keys the store keeps for itself; no image may have one as its id.
pub(crate) const RESERVED_KEYS: [&str; 4] = ["__keys__", "__len__", "__metadata__", "__shape__"];

const FIRST_MAP_SIZE: usize = 1 << 30;
const TRANSACTION_BYTES: usize = 32 << 20;

fn heed_io(e: heed::Error) -> io::Error {
    match e {
        heed::Error::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// The store, built under a temporary name.
pub struct LmdbSink {
    force: bool,
    file: Option<Staged>,
    env: Option<Env>,
    db: Database<Bytes, Bytes>,
    map_size: usize,
    pending: Vec<(Vec<u8>, Vec<u8>)>,
    pending_bytes: usize,
    keys: Vec<u8>,
    metadata: Arc<Metadata>,
    table: Option<MetadataCsv>,
    written: u64,
    /// `H,W,C` when the values are raw pixels; `None` for PNGs.
    raw_shape: Option<String>,
}

/// Opens the LMDB environment in the single file `path`. No lock file: this run
/// is its only user until it is renamed into place.
fn open_env(path: &Path, map_size: usize) -> heed::Result<(Env, Database<Bytes, Bytes>)> {
    // SAFETY: the file is this run's own temporary file; nothing else maps it.
    let env = unsafe {
        EnvOpenOptions::new()
            .map_size(map_size)
            .max_dbs(0)
            .flags(EnvFlags::NO_SUB_DIR | EnvFlags::NO_LOCK | EnvFlags::NO_SYNC)
            .open(path)?
    };
    let mut txn = env.write_txn()?;
    let db = env.create_database(&mut txn, None)?;
    txn.commit()?;
    Ok((env, db))
}

impl LmdbSink {
    /// Refuses an existing store (unless `force`) and opens a new one beside it.
    pub fn create(spec: &SinkSpec) -> Result<Self> {
        let target = &spec.path;
        check_target(target, spec.force, "an LMDB output")?;
        let file = Staged::create(target).map_err(|e| write_error(target, e))?;
        let (env, db) =
            open_env(file.path(), FIRST_MAP_SIZE).map_err(|e| write_error(target, heed_io(e)))?;
        Ok(LmdbSink {
            force: spec.force,
            file: Some(file),
            env: Some(env),
            db,
            map_size: FIRST_MAP_SIZE,
            pending: Vec::new(),
            pending_bytes: 0,
            keys: Vec::new(),
            table: (!spec.metadata.is_empty()).then(|| spec.metadata.table("image_id")),
            metadata: spec.metadata.clone(),
            written: 0,
            raw_shape: spec.raw_values.then(|| {
                let s = spec.shape;
                match s.channels {
                    1 => format!("{},{}", s.height, s.width),
                    c => format!("{},{},{c}", s.height, s.width),
                }
            }),
        })
    }

    fn env(&self) -> &Env {
        self.env.as_ref().expect("open until finished")
    }

    /// Commits the pending entries in one transaction, growing the map and
    /// trying again while it is full.
    fn commit_pending(&mut self) -> io::Result<()> {
        loop {
            let result = (|| {
                let mut txn = self.env().write_txn()?;
                for (key, value) in &self.pending {
                    self.db.put(&mut txn, key, value)?;
                }
                txn.commit()
            })();
            match result {
                Err(heed::Error::Mdb(MdbError::MapFull)) => {
                    // The transaction is gone (aborted on drop): none is active.
                    self.map_size *= 2;
                    // SAFETY: no transaction of this environment is open.
                    unsafe { self.env().resize(self.map_size) }.map_err(heed_io)?;
                }
                other => {
                    other.map_err(heed_io)?;
                    self.pending.clear();
                    self.pending_bytes = 0;
                    return Ok(());
                }
            }
        }
    }
}

impl Sink for LmdbSink {
    fn add(&mut self, id: &str, row: usize, value: &[u8]) -> io::Result<()> {
        if !self.keys.is_empty() {
            self.keys.push(b'\n');
        }
        self.keys.extend_from_slice(id.as_bytes());
        if let Some(table) = &mut self.table {
            self.metadata.add_to(table, id, row);
        }
        self.pending.push((id.as_bytes().to_vec(), value.to_vec()));
        self.pending_bytes += value.len();
        self.written += 1;
        if self.pending_bytes >= TRANSACTION_BYTES {
            self.commit_pending()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Finished> {
        let keys = std::mem::take(&mut self.keys);
        self.pending.push((b"__keys__".to_vec(), keys));
        self.pending
            .push((b"__len__".to_vec(), self.written.to_string().into_bytes()));
        if let Some(table) = self.table.take() {
            self.pending
                .push((b"__metadata__".to_vec(), table.into_bytes()));
        }
        if let Some(shape) = self.raw_shape.take() {
            self.pending
                .push((b"__shape__".to_vec(), shape.into_bytes()));
        }
        self.commit_pending()?;
        let env = self.env.take().expect("open until finished");
        env.prepare_for_closing().wait();
        let file = self.file.take().expect("kept until finished");
        let bytes = file.file().metadata()?.len();
        let paths: Vec<PathBuf> = persist_all(vec![file.close()], self.force)?;
        Ok(Finished { bytes, paths })
    }

    fn written(&self) -> u64 {
        self.written
    }
}

impl Drop for LmdbSink {
    fn drop(&mut self) {
        // Unfinished: close the environment before the temporary file goes.
        if let Some(env) = self.env.take() {
            env.prepare_for_closing().wait();
        }
    }
}
