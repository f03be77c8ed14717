//! Runs the binary with stdout and stderr on a pseudo-terminal, as an IPython `!`
//! cell does, and returns everything it wrote there.

use std::ffi::CStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

/// A pseudo-terminal pair; the slave does no output processing, so the bytes read
/// from the master are the bytes the program wrote (no "\n" -> "\r\n").
fn open_pty() -> (File, OwnedFd) {
    // SAFETY: plain libc calls on descriptors this function owns; every result is
    // checked before use and each descriptor is wrapped in an owner once opened.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(master >= 0, "posix_openpt failed");
        let master_file = File::from_raw_fd(master);
        assert_eq!(libc::grantpt(master), 0, "grantpt");
        assert_eq!(libc::unlockpt(master), 0, "unlockpt");
        let mut name = [0 as libc::c_char; 128];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let slave = libc::open(
            CStr::from_ptr(name.as_ptr()).as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY,
        );
        assert!(slave >= 0, "opening the pty slave failed");
        let slave_fd = OwnedFd::from_raw_fd(slave);
        let mut termios: libc::termios = std::mem::zeroed();
        assert_eq!(libc::tcgetattr(slave, &mut termios), 0);
        termios.c_oflag &= !libc::OPOST;
        assert_eq!(libc::tcsetattr(slave, libc::TCSANOW, &termios), 0);
        (master_file, slave_fd)
    }
}

/// Runs `command` with stdout and stderr on one pseudo-terminal (merged, as a
/// notebook cell shows them); returns its exit code and what it printed.
pub fn run_on_pty(mut command: Command) -> (Option<i32>, String) {
    let (mut master, slave) = open_pty();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("the binary runs");
    // The command keeps our slave copies alive until it is spawned; once they are
    // dropped, reading the master ends (EIO) when the child's last copy closes.
    drop(command);
    let mut output = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match master.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => output.extend_from_slice(&buffer[..n]),
            Err(e) if e.raw_os_error() == Some(libc::EIO) => break,
            Err(e) => panic!("reading the pty: {e}"),
        }
    }
    let status = { child }.wait().unwrap();
    (status.code(), String::from_utf8_lossy(&output).into_owned())
}
