//! Child processes bounded in time and output: the one place that runs an external command.
//!
//! [`run`] starts the command in its own process group with standard input closed. When it
//! outlives its timeout, prints more standard output than allowed (with [`Overflow::Fail`]), or
//! the caller stops waiting (the future is dropped), the whole group is killed with SIGKILL — a
//! shell's or wrapper script's children included. Standard error, and standard output with
//! [`Overflow::Keep`], keep their first bytes and drain the rest, so the child never blocks on a
//! full pipe.
//!
//! ```no_run
//! # async fn demo() -> Result<(), backstop::process::Stop> {
//! use std::time::Duration;
//! use backstop::process::{run, Limits, Overflow};
//!
//! let mut cmd = tokio::process::Command::new("sh");
//! cmd.args(["-c", "echo hello"]);
//! let done = run(cmd, &Limits::new(Duration::from_secs(5), 4096, Overflow::Keep)).await?;
//! assert!(done.status.success());
//! # Ok(()) }
//! ```

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Standard error kept by default (the rest is read and dropped).
pub const DEFAULT_MAX_STDERR: usize = 64 << 10;

/// What to do when standard output exceeds its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Kill the command: its output would be cut (a JSON document, a listing).
    Fail,
    /// Keep the first bytes, drain the rest, let the command finish.
    Keep,
}

/// Bounds of one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest the command may run.
    pub timeout: Duration,
    /// Standard output kept, in bytes.
    pub max_stdout: usize,
    /// Standard error kept, in bytes.
    pub max_stderr: usize,
    /// Standard output beyond `max_stdout`.
    pub overflow: Overflow,
}

impl Limits {
    /// `timeout` and an output cap, with [`DEFAULT_MAX_STDERR`].
    pub fn new(timeout: Duration, max_stdout: usize, overflow: Overflow) -> Self {
        Self {
            timeout,
            max_stdout,
            max_stderr: DEFAULT_MAX_STDERR,
            overflow,
        }
    }
}

/// A command that ran to its end (successfully or not).
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// The first `max_stdout` bytes of standard output.
    pub stdout: Vec<u8>,
    /// The first `max_stderr` bytes of standard error.
    pub stderr: Vec<u8>,
    /// Standard output was longer than what is kept.
    pub stdout_cut: bool,
}

/// Why a command did not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum Stop {
    /// It could not be started.
    #[error("cannot start it: {0}")]
    Spawn(std::io::Error),
    /// It outlived its timeout; its process group was killed.
    #[error("did not finish within {0:?}; killed it")]
    Timeout(Duration),
    /// It printed more than the cap ([`Overflow::Fail`]); its process group was killed.
    #[error("printed more than {0} bytes; killed it")]
    TooLarge(usize),
    /// Reading its output or waiting for it failed.
    #[error("reading its output failed: {0}")]
    Io(std::io::Error),
}

/// Runs `cmd` within `limits` (see the module documentation).
pub async fn run(mut cmd: tokio::process::Command, limits: &Limits) -> Result<Finished, Stop> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = cmd.spawn().map_err(Stop::Spawn)?;
    let mut group = GroupGuard(child.id());
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let work = async {
        let (out, err) = tokio::try_join!(
            read_stdout(stdout, limits.max_stdout, limits.overflow),
            async { Ok(read_head(stderr, limits.max_stderr).await) }
        )?;
        let status = child.wait().await.map_err(Stop::Io)?;
        Ok::<_, Stop>((out, err, status))
    };
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(Ok(((stdout, stdout_cut), stderr, status))) => {
            // Reaped: the group id may be reused from now on, so never signal it again.
            group.0 = None;
            Ok(Finished {
                status,
                stdout,
                stderr,
                stdout_cut,
            })
        }
        Ok(Err(stop)) => Err(stop),
        Err(_) => Err(Stop::Timeout(limits.timeout)),
    }
    // On an error `group` is dropped here and kills what is left.
}

/// Kills the process group led by the pid it holds when dropped (unless cleared).
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Standard output: fails past `limit` with [`Overflow::Fail`], else keeps the head and says
/// whether it was cut.
async fn read_stdout(
    pipe: Option<impl AsyncRead + Unpin>,
    limit: usize,
    overflow: Overflow,
) -> Result<(Vec<u8>, bool), Stop> {
    match overflow {
        Overflow::Fail => {
            let mut out = Vec::new();
            let Some(pipe) = pipe else {
                return Ok((out, false));
            };
            let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
            let mut taken = pipe.take(limit_plus_one);
            taken.read_to_end(&mut out).await.map_err(Stop::Io)?;
            if out.len() > limit {
                return Err(Stop::TooLarge(limit));
            }
            Ok((out, false))
        }
        Overflow::Keep => {
            let mut head = Vec::new();
            let Some(mut pipe) = pipe else {
                return Ok((head, false));
            };
            let mut cut = false;
            let mut buf = [0u8; 8192];
            loop {
                let n = pipe.read(&mut buf).await.map_err(Stop::Io)?;
                if n == 0 {
                    break;
                }
                let room = limit.saturating_sub(head.len());
                cut |= n > room;
                head.extend_from_slice(&buf[..n.min(room)]);
            }
            Ok((head, cut))
        }
    }
}

/// Reads everything, keeping the first `keep` bytes.
async fn read_head(pipe: Option<impl AsyncRead + Unpin>, keep: usize) -> Vec<u8> {
    let mut head = Vec::new();
    let Some(mut pipe) = pipe else { return head };
    let mut buf = [0u8; 8192];
    while let Ok(n) = pipe.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = keep.saturating_sub(head.len());
        head.extend_from_slice(&buf[..n.min(room)]);
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[tokio::test]
    async fn output_is_kept_or_refused_past_its_cap() {
        let kept = run(
            sh("head -c 100000 /dev/zero; echo oops >&2; exit 3"),
            &Limits::new(Duration::from_secs(10), 10, Overflow::Keep),
        )
        .await
        .expect("runs");
        assert_eq!(
            (kept.stdout.len(), kept.stdout_cut, kept.status.code()),
            (10, true, Some(3))
        );
        assert_eq!(kept.stderr, b"oops\n");
        let refused = run(
            sh("head -c 100000 /dev/zero"),
            &Limits::new(Duration::from_secs(10), 10, Overflow::Fail),
        )
        .await;
        assert!(matches!(refused, Err(Stop::TooLarge(10))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().expect("dir");
        let marker = dir.path().join("late");
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let began = std::time::Instant::now();
        let stopped = run(
            sh(&script),
            &Limits::new(Duration::from_millis(300), 10, Overflow::Keep),
        )
        .await;
        assert!(matches!(stopped, Err(Stop::Timeout(_))), "{stopped:?}");
        assert!(began.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!marker.exists(), "the background child survived");
    }
}
