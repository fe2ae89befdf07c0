//! Running `pgbackrest`: `<command> --config=<config> --stanza=<stanza> <args> [--output=json]`,
//! bounded in time and output size.
//!
//! The command runs in its own process group; on timeout, or when it prints more than the cap,
//! the whole group is killed with SIGKILL (a wrapper script's children included). A non-zero
//! exit becomes [`SourceError::Command`] with its first `ERROR` line (else its first line);
//! output that is not UTF-8 or exceeds the cap is a parse error.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::super::error::{cap, SourceError};
use crate::config::PgBackRestConfig;

/// Default cap on a command's standard output (64 MiB).
pub const MAX_OUTPUT: usize = 64 << 20;
/// Standard error kept for the error message; the rest is read and dropped.
const MAX_STDERR: usize = 64 << 10;

/// How to run pgbackrest for one stanza.
#[derive(Debug, Clone)]
pub struct PgBackRestCommand {
    program: String,
    pre_args: Vec<String>,
    config: PathBuf,
    stanza: String,
    timeout: Duration,
    max_output: usize,
}

impl PgBackRestCommand {
    /// From the venture's `[ventures.backups]`. `command` is split on whitespace (no quoting),
    /// so `sudo -u postgres pgbackrest` works; a path with spaces does not.
    pub fn new(cfg: &PgBackRestConfig) -> Self {
        let mut words = cfg.command.split_whitespace().map(str::to_owned);
        let program = words.next().unwrap_or_else(|| "pgbackrest".to_owned());
        Self {
            program,
            pre_args: words.collect(),
            config: cfg.config.clone(),
            stanza: cfg.stanza.clone(),
            timeout: cfg.timeout,
            max_output: MAX_OUTPUT,
        }
    }

    /// The same command with another output cap (tests).
    pub fn with_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// The stanza.
    pub fn stanza(&self) -> &str {
        &self.stanza
    }

    /// The pgbackrest configuration file.
    pub fn config(&self) -> &std::path::Path {
        &self.config
    }

    /// The command's timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same command with another timeout (long-running commands such as `verify`).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The program and the words before pgbackrest's own arguments (`sudo -u postgres pgbackrest`
    /// → `sudo`, `[-u, postgres, pgbackrest]`).
    pub fn program(&self) -> (&str, &[String]) {
        (&self.program, &self.pre_args)
    }

    /// Runs `pgbackrest … <args> --output=json` and returns its standard output.
    pub async fn run_json(&self, args: &[&str]) -> Result<String, SourceError> {
        let mut all = args.to_vec();
        all.push("--output=json");
        self.run(&all).await
    }

    /// Runs `pgbackrest --config=… --stanza=… <args>` and returns its standard output.
    pub async fn run(&self, args: &[&str]) -> Result<String, SourceError> {
        let name = format!("pgbackrest {}", args.first().copied().unwrap_or_default());
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.pre_args)
            .arg(format!("--config={}", self.config.display()))
            .arg(format!("--stanza={}", self.stanza))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        let mut child = cmd.spawn().map_err(|source| SourceError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let pid = child.id();
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let work = async {
            let (out, err) = tokio::try_join!(read_capped(stdout, self.max_output), async {
                Ok(read_head(stderr, MAX_STDERR).await)
            })?;
            let status = child.wait().await.map_err(Stop::Io)?;
            Ok::<_, Stop>((out, err, status))
        };
        let stop = match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok((out, err, status))) => {
                if !status.success() {
                    return Err(SourceError::Command {
                        command: name,
                        status: status.to_string(),
                        message: first_error_line(&err, &out),
                    });
                }
                return String::from_utf8(out)
                    .map_err(|_| SourceError::parse("pgbackrest output", "not UTF-8"));
            }
            Ok(Err(stop)) => stop,
            Err(_) => Stop::Timeout,
        };
        kill_group(pid);
        let _ = child.kill().await;
        Err(match stop {
            Stop::Timeout => SourceError::Timeout {
                command: name,
                after: self.timeout,
            },
            Stop::TooLarge => SourceError::TooLarge {
                command: name,
                limit: self.max_output,
            },
            Stop::Io(e) => SourceError::Command {
                command: name,
                status: "unknown".to_owned(),
                message: cap(&format!("reading its output failed: {e}")),
            },
        })
    }
}

/// Why a run was cut short.
enum Stop {
    Timeout,
    TooLarge,
    Io(std::io::Error),
}

/// SIGKILL to the process group led by `pid` (the command was started with `process_group(0)`).
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Reads everything, failing once more than `limit` bytes arrive.
async fn read_capped(pipe: Option<impl AsyncRead + Unpin>, limit: usize) -> Result<Vec<u8>, Stop> {
    let mut out = Vec::new();
    let Some(pipe) = pipe else { return Ok(out) };
    let limit_plus_one = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut taken = pipe.take(limit_plus_one);
    taken.read_to_end(&mut out).await.map_err(Stop::Io)?;
    if out.len() > limit {
        return Err(Stop::TooLarge);
    }
    Ok(out)
}

/// Reads everything, keeping the first `keep` bytes (so the writer never blocks on a full pipe).
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

/// The first `ERROR` line of standard error (pgbackrest prints `WARN` lines before it), else the
/// first non-empty line of standard error, else of standard output; capped.
fn first_error_line(stderr: &[u8], stdout: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    let out = String::from_utf8_lossy(stdout);
    let non_empty = |t: &str| t.lines().map(str::trim).find(|l| !l.is_empty()).map(cap);
    err.lines()
        .map(str::trim)
        .find(|l| l.starts_with("ERROR"))
        .map(cap)
        .or_else(|| non_empty(&err))
        .or_else(|| non_empty(&out))
        .unwrap_or_else(|| "no output".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_line_wins_over_warnings() {
        let stderr = b"WARN: option 'repo1-retention-full' is not set\n      HINT: x\nERROR: [056]: unable to find primary cluster - cannot proceed\n";
        assert_eq!(
            first_error_line(stderr, b""),
            "ERROR: [056]: unable to find primary cluster - cannot proceed"
        );
        assert_eq!(first_error_line(b"\n  boom \n", b""), "boom");
        assert_eq!(first_error_line(b"", b"out\n"), "out");
        assert_eq!(first_error_line(b"", b""), "no output");
    }
}
