//! Reading the next row group from disk while the current one is converted.
//!
//! A row group's pixels are decoded first and turned into images after, so while the
//! images are made the disk is idle, and a file that is not in the page cache would
//! be read only when the decode faults on it. [`Readahead`] asks the kernel, from a
//! thread of its own, to read a byte range of a file into the page cache: the
//! pipeline gives it the next row group as soon as the current one is decoded.
//! It reads nothing into this process's memory (the pages count towards the page
//! cache, not towards peak memory), and a range already cached costs only a
//! lookup (about 30 ms for 1.6 GB).

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{unbounded, Sender};

/// Bytes per request to the kernel. Linux reads at most its readahead window per
/// `POSIX_FADV_WILLNEED` call (128 KB by default, 8 MB on some disks) and quietly
/// drops the rest, so a large range is asked for in pieces no larger than that.
const PIECE: u64 = 128 << 10;

struct Request {
    path: PathBuf,
    range: Range<u64>,
}

/// A thread that reads ranges of files ahead, in the order asked. Dropping it
/// stops the current range at the next piece and waits for the thread.
pub struct Readahead {
    requests: Option<Sender<Request>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Readahead {
    /// Starts the thread; if it cannot be started, requests are ignored (reading
    /// ahead is only ever a speed-up).
    pub fn start() -> Self {
        let (sender, receiver) = unbounded::<Request>();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("pixelprep-readahead".into())
            .spawn(move || {
                for request in receiver {
                    read_ahead(&request.path, request.range, &stopped);
                }
            })
            .ok();
        Readahead {
            requests: thread.is_some().then_some(sender),
            stop,
            thread,
        }
    }

    /// Asks for `range` of the file at `path` to be read into the page cache.
    pub fn request(&self, path: &Path, range: Range<u64>) {
        if let Some(requests) = &self.requests {
            let _ = requests.send(Request {
                path: path.to_path_buf(),
                range,
            });
        }
    }
}

#[cfg(test)]
impl Readahead {
    /// Waits until every range asked for has been requested from the kernel.
    fn wait(mut self) {
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.requests = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Asks the kernel to read `range` of the file, piece by piece, until done or
/// `stop` is set. Errors are ignored: the decode reads the file anyway.
fn read_ahead(path: &Path, range: Range<u64>, stop: &AtomicBool) {
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let mut offset = range.start;
    while offset < range.end && !stop.load(Ordering::Relaxed) {
        let len = PIECE.min(range.end - offset);
        crate::os::advise_will_need(&file, offset, len);
        offset += len;
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::time::{Duration, Instant};

    /// Pages of `file` (of `len` bytes) that are in the page cache.
    fn resident_pages(file: &std::fs::File, len: usize) -> usize {
        let map = unsafe { memmap2::Mmap::map(file) }.unwrap();
        let page = 4096;
        let mut vec = vec![0u8; len.div_ceil(page)];
        // SAFETY: `map` is a live mapping of `len` bytes and `vec` has one byte
        // per page of it, as mincore requires.
        let r = unsafe { libc::mincore(map.as_ptr() as *mut libc::c_void, len, vec.as_mut_ptr()) };
        assert_eq!(r, 0, "mincore failed");
        vec.iter().filter(|&&v| v & 1 == 1).count()
    }

    #[test]
    fn a_requested_range_is_read_into_the_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        // Bigger than any readahead window (8 MB here): one call would not read it all.
        let len = 32 << 20;
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(&vec![7u8; len]).unwrap();
        file.sync_all().unwrap();
        drop(file);
        let file = std::fs::File::open(&path).unwrap();
        // Evict it: clean pages of a synced file go when asked, on disk-backed
        // file systems (tmpfs keeps them: nothing to test there).
        unsafe {
            libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
        }
        let before = resident_pages(&file, len);
        if before > 0 {
            eprintln!("skipped: the file system keeps evicted pages ({before} resident)");
            return;
        }
        // The second half only: the first must stay out.
        let half = (len / 2) as u64;
        let readahead = Readahead::start();
        readahead.request(&path, half..len as u64);
        readahead.wait();
        let started = Instant::now();
        let pages = len / 4096;
        while resident_pages(&file, len) < pages / 2 && started.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            resident_pages(&file, len),
            pages / 2,
            "the second half, and only it"
        );
    }
}
