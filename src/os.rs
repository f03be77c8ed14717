//! The calls into the operating system that Rust cannot check, each behind a
//! small safe function with the reason it is sound. (SIMD intrinsics stay beside
//! the code they speed up: `lookup`, the resize, the transpose.)

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::{Mmap, UncheckedAdvice};

/// Maps `file` read-only.
pub(crate) fn map_read_only(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only and its owner keeps it alive as long as it
    // hands out slices of it. Like any reader, we cannot vouch for a file another
    // process rewrites while we read it.
    unsafe { Mmap::map(file) }
}

/// Drops the pages of `map` that hold `bytes` (widened to whole pages, cut at the
/// map's end) from this process's memory; the page cache keeps them. Advice
/// only: failure is harmless.
pub(crate) fn drop_mapped_pages(map: &Mmap, bytes: std::ops::Range<usize>) {
    const PAGE: usize = 4096;
    let start = bytes.start / PAGE * PAGE;
    let end = bytes.end.div_ceil(PAGE).saturating_mul(PAGE).min(map.len());
    if end <= start {
        return;
    }
    // SAFETY: a read-only file mapping: dropped pages read the file again if
    // touched, so no data is lost or changed.
    let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, start, end - start) };
}

/// Asks the kernel to make the pages of `buffer` present and writable now, in one
/// call, rather than a page fault at a time as they are first written. Advice
/// only (Linux 5.14 on): failure is harmless, the pages then fault in as usual.
#[cfg(target_os = "linux")]
pub(crate) fn populate_for_writing(buffer: &mut [u8]) {
    // SAFETY: sysconf reads a constant of the process.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        size if size > 0 => size as usize,
        _ => return,
    };
    let start = buffer.as_mut_ptr() as usize;
    let first_page = start.next_multiple_of(page);
    let end = (start + buffer.len()) / page * page;
    if end <= first_page {
        return;
    }
    // SAFETY: whole pages inside a live allocation the caller borrows mutably;
    // MADV_POPULATE_WRITE faults them in as a write would, without changing a byte.
    unsafe {
        libc::madvise(
            first_page as *mut libc::c_void,
            end - first_page,
            libc::MADV_POPULATE_WRITE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn populate_for_writing(_buffer: &mut [u8]) {}

/// Asks the kernel to read `len` bytes of `file` from `offset` into the page cache
/// in the background. Advice only: failure is harmless.
#[cfg(target_os = "linux")]
pub(crate) fn advise_will_need(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: advice on a file descriptor we own for the duration of the call; it
    // never changes the file or this process's memory.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED);
    }
}

/// Elsewhere there is no such advice: the reads come when the pages are touched.
#[cfg(not(target_os = "linux"))]
pub(crate) fn advise_will_need(_file: &std::fs::File, _offset: u64, _len: u64) {}

/// Swaps two paths in one step (Linux's `renameat2` with `RENAME_EXCHANGE`).
/// Called through `syscall`: glibc has no wrapper before 2.28, and the portable
/// binary needs only 2.17.
pub(crate) fn exchange_paths(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both pointers are NUL-terminated strings that outlive the call; the
    // syscall only reads them.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
