//! Running `pgbackrest`: `<command> --config=<config> --stanza=<stanza> <args> [--output=json]`,
//! bounded in time and output size.
//!
//! The command runs through [`crate::process::run`], in its own process group; on timeout, or
//! when it prints more than the cap, the whole group is killed with SIGKILL (a wrapper script's
//! children included). A non-zero
//! exit becomes [`SourceError::Command`] with its first `ERROR` line (else its first line);
//! output that is not UTF-8 or exceeds the cap is a parse error.

use std::path::PathBuf;
use std::time::Duration;

use super::super::error::{cap, SourceError};
use crate::config::PgBackRestConfig;
use crate::process::{Limits, Overflow, Stop};

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
            .args(args);
        let limits = Limits {
            max_stderr: MAX_STDERR,
            ..Limits::new(self.timeout, self.max_output, Overflow::Fail)
        };
        match crate::process::run(cmd, &limits).await {
            Ok(done) if done.status.success() => String::from_utf8(done.stdout)
                .map_err(|_| SourceError::parse("pgbackrest output", "not UTF-8")),
            Ok(done) => Err(SourceError::Command {
                command: name,
                status: done.status.to_string(),
                message: first_error_line(&done.stderr, &done.stdout),
            }),
            Err(Stop::Spawn(source)) => Err(SourceError::Spawn {
                program: self.program.clone(),
                source,
            }),
            Err(Stop::Timeout(after)) => Err(SourceError::Timeout {
                command: name,
                after,
            }),
            Err(Stop::TooLarge(limit)) => Err(SourceError::TooLarge {
                command: name,
                limit,
            }),
            Err(Stop::Io(e)) => Err(SourceError::Command {
                command: name,
                status: "unknown".to_owned(),
                message: cap(&format!("reading its output failed: {e}")),
            }),
        }
    }
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
