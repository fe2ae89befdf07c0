//! Commands a crashed drill left running: a `pgbackrest restore` runs in its own process group
//! (so that a timeout can kill all of it), which also means a SIGKILLed agent's restore keeps
//! running into a directory the next start is about to remove. Every such command names its
//! drill directory on its command line (`--pg1-path=<dir>/data`), so the cleanup finds it there
//! and kills it — with its process group when it leads one (the `runuser` wrapper, pgBackRest's
//! local workers).

use std::path::Path;

use nix::sys::signal::{kill, killpg, Signal};
use nix::unistd::{getpgrp, getpid, Pid};

/// Whether a NUL-separated command line names `dir` or something inside it (pure).
pub fn names_dir(cmdline: &[u8], dir: &Path) -> bool {
    let dir = dir.as_os_str().as_encoded_bytes();
    cmdline.split(|b| *b == 0).any(|arg| {
        // `--pg1-path=/x/data`, `-D /x/data`, `/x`: the path starts the argument or follows `=`.
        let value = arg
            .iter()
            .position(|b| *b == b'=')
            .map_or(arg, |i| &arg[i + 1..]);
        [arg, value]
            .iter()
            .any(|a| a.starts_with(dir) && matches!(a.get(dir.len()), None | Some(b'/')))
    })
}

/// SIGKILLs every other process whose command line names `dir` (and the process group of each
/// that leads one); returns their pids.
pub fn kill_naming(dir: &Path) -> Vec<i32> {
    let (me, my_group) = (getpid(), getpgrp());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut killed = Vec::new();
    for pid in entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
    {
        let pid = Pid::from_raw(pid);
        if pid == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if !names_dir(&cmdline, dir) {
            continue;
        }
        if nix::unistd::getpgid(Some(pid)).is_ok_and(|g| g == pid && g != my_group) {
            let _ = killpg(pid, Signal::SIGKILL);
        }
        if kill(pid, Signal::SIGKILL).is_ok() {
            killed.push(pid.as_raw());
        }
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_naming_a_directory() {
        let dir = Path::new("/var/tmp/backstop/drills/acme.7");
        let cases: [(&[u8], bool); 6] = [
            (
                b"pgbackrest\0--pg1-path=/var/tmp/backstop/drills/acme.7/data\0restore\0",
                true,
            ),
            (
                b"postgres\0-D\0/var/tmp/backstop/drills/acme.7/data\0",
                true,
            ),
            (b"rm\0/var/tmp/backstop/drills/acme.7\0", true),
            (
                b"pgbackrest\0--pg1-path=/var/tmp/backstop/drills/acme.70/data\0",
                false,
            ),
            (b"sleep\0/var/tmp/backstop/drills/acme\0", false),
            (b"", false),
        ];
        for (cmdline, want) in cases {
            assert_eq!(
                names_dir(cmdline, dir),
                want,
                "{:?}",
                String::from_utf8_lossy(cmdline)
            );
        }
    }
}
