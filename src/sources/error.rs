//! [`SourceError`]: the one error enum of the backup sources, mapped onto [`ErrorKind`].
//!
//! Messages carry what failed and a capped first line of the tool's own error output; backup
//! tools print no secrets there, and nothing here ever becomes a metric label.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ErrorKind;

/// Errors of a backup source poll.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The command did not finish in time; it was killed (with its process group).
    #[error("{command} did not finish within {after:?}; killed it")]
    Timeout {
        /// `pgbackrest info`, `pgbackrest repo-ls`, …
        command: String,
        /// The configured timeout.
        after: Duration,
    },
    /// The command could not be started.
    #[error("cannot start {program}: {source}; check the source's `command` setting")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The command exited unsuccessfully.
    #[error("{command} exited with {status}: {message}")]
    Command {
        /// The command.
        command: String,
        /// Exit status (`exit status: 56`, `signal: 9`).
        status: String,
        /// Its first error line (capped).
        message: String,
    },
    /// The command printed more than the output cap; it was killed.
    #[error("{command} printed more than {limit} bytes; killed it")]
    TooLarge {
        /// The command.
        command: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// Output that is not what the parser expects (not UTF-8, not JSON, wrong shape).
    #[error("cannot parse {what}: {reason}")]
    Parse {
        /// What was being parsed (`pgbackrest info output`, …).
        what: &'static str,
        /// Why (capped).
        reason: String,
    },
    /// An HTTP API answered with an error status (401/403 auth, 429 rate limited, other http).
    #[error("{what} answered HTTP {status}")]
    Status {
        /// The API call (`Supabase GET backups`).
        what: &'static str,
        /// The HTTP status.
        status: u16,
    },
    /// An HTTP API refused a request and said why (`400 PITR is not enabled for this project.`).
    #[error("{what} answered HTTP {status}: {message}")]
    Rejected {
        /// The API call.
        what: &'static str,
        /// The HTTP status.
        status: u16,
        /// The API's `message` (capped).
        message: String,
    },
    /// An HTTP request failed without a response (connection, TLS, body).
    #[error("{what} failed: {reason}")]
    Request {
        /// The API call.
        what: &'static str,
        /// Why (capped; never holds the URL or a header).
        reason: String,
    },
    /// A local file (the backup log) exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl SourceError {
    /// The `kind` label this error is counted under in `backstop_errors_total`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SourceError::Timeout { .. } => ErrorKind::Timeout,
            SourceError::Spawn { .. } | SourceError::Command { .. } => ErrorKind::Command,
            SourceError::TooLarge { .. } | SourceError::Parse { .. } => ErrorKind::Parse,
            SourceError::Read { .. } => ErrorKind::Config,
            SourceError::Status { status, .. } | SourceError::Rejected { status, .. } => {
                match status {
                    401 | 403 => ErrorKind::Auth,
                    429 => ErrorKind::RateLimited,
                    _ => ErrorKind::Http,
                }
            }
            SourceError::Request { .. } => ErrorKind::Connect,
        }
    }

    /// A parse error with `reason` capped to [`MAX_MESSAGE`] characters.
    pub(crate) fn parse(what: &'static str, reason: impl std::fmt::Display) -> Self {
        SourceError::Parse {
            what,
            reason: cap(&reason.to_string()),
        }
    }
}

/// Longest message text kept from external output, in characters.
pub const MAX_MESSAGE: usize = 300;

/// `text` cut to [`MAX_MESSAGE`] characters (with `…` when cut).
pub(crate) fn cap(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let timeout = SourceError::Timeout {
            command: "pgbackrest info".into(),
            after: Duration::from_secs(1),
        };
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        assert_eq!(SourceError::parse("x", "y").kind(), ErrorKind::Parse);
        let too_large = SourceError::TooLarge {
            command: "c".into(),
            limit: 1,
        };
        assert_eq!(too_large.kind(), ErrorKind::Parse);
        let status = |status| SourceError::Status { what: "x", status }.kind();
        assert_eq!(status(401), ErrorKind::Auth);
        assert_eq!(status(403), ErrorKind::Auth);
        assert_eq!(status(429), ErrorKind::RateLimited);
        assert_eq!(status(500), ErrorKind::Http);
        assert_eq!(status(404), ErrorKind::Http);
    }

    #[test]
    fn cap_cuts_long_text_on_char_boundaries() {
        let long = "é".repeat(MAX_MESSAGE + 10);
        let capped = cap(&long);
        assert_eq!(capped.chars().count(), MAX_MESSAGE + 1);
        assert!(capped.ends_with('…'));
        assert_eq!(cap("short"), "short");
    }
}
