//! [`PgError`]: the one error enum of the PostgreSQL subsystem, mapped onto [`ErrorKind`].
//!
//! Messages never contain a DSN or a password: connection errors are sanitized in
//! [`crate::postgres::connect`] before they become a `PgError`.

use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::error::ErrorKind;

/// Errors of the PostgreSQL subsystem.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The DSN could not be parsed (the DSN itself is never part of the message).
    #[error("invalid DSN: {reason}; check the endpoint's dsn / dsn_env setting")]
    InvalidDsn {
        /// What is wrong, without the DSN.
        reason: String,
    },
    /// TLS could not be set up.
    #[error("TLS setup failed: {reason}")]
    Tls {
        /// What failed.
        reason: String,
    },
    /// Connecting or authenticating failed.
    #[error("cannot connect to PostgreSQL: {reason}")]
    Connect {
        /// Kind: connect, auth or timeout.
        kind: ErrorKind,
        /// Sanitized reason.
        reason: String,
    },
    /// A query failed (on the server, or the connection broke).
    #[error("query {what} failed: {reason}")]
    Query {
        /// Which query.
        what: &'static str,
        /// Kind: query, auth, timeout or connect.
        kind: ErrorKind,
        /// Sanitized reason.
        reason: String,
    },
    /// A call exceeded its client-side timeout.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What timed out.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// A value returned by the server could not be parsed.
    #[error("cannot parse {what} from {value:?}")]
    Parse {
        /// What was being parsed.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// An external PostgreSQL program failed.
    #[error("{program} failed: {reason}{}", log_suffix(.log_tail))]
    Command {
        /// The program (`initdb`, `pg_ctl`, …).
        program: String,
        /// Exit status or spawn error.
        reason: String,
        /// The last lines of its output or of the server log.
        log_tail: String,
    },
    /// PostgreSQL server binaries are not installed.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in {searched}: \
         install them: apt-get install -y postgresql-15"
    )]
    MissingBinaries {
        /// Where we looked.
        searched: String,
    },
    /// A local file-system operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn log_suffix(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!("\n--- last output ---\n{}", tail.trim_end())
    }
}

impl PgError {
    /// The bounded kind for `backstop_errors_total`.
    pub fn kind(&self) -> ErrorKind {
        match self {
            PgError::InvalidDsn { .. } | PgError::MissingBinaries { .. } => ErrorKind::Config,
            PgError::Tls { .. } => ErrorKind::Connect,
            PgError::Connect { kind, .. } | PgError::Query { kind, .. } => *kind,
            PgError::Timeout { .. } => ErrorKind::Timeout,
            PgError::Parse { .. } => ErrorKind::Parse,
            PgError::Command { .. } | PgError::Io { .. } => ErrorKind::Command,
        }
    }

    /// Wraps a failed query (`what` names it); the text comes from the server, never the DSN.
    pub(crate) fn query(what: &'static str, err: &tokio_postgres::Error) -> Self {
        PgError::Query {
            what,
            kind: classify(err),
            reason: describe(err),
        }
    }

    /// An I/O error with what was being done.
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        PgError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Maps a tokio-postgres error onto an [`ErrorKind`].
pub(crate) fn classify(err: &tokio_postgres::Error) -> ErrorKind {
    if let Some(db) = err.as_db_error() {
        let code = db.code();
        return if *code == SqlState::QUERY_CANCELED {
            ErrorKind::Timeout
        } else if code.code().starts_with("28") || *code == SqlState::INSUFFICIENT_PRIVILEGE {
            ErrorKind::Auth
        } else {
            ErrorKind::Query
        };
    }
    if err.is_closed() {
        return ErrorKind::Connect;
    }
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return if io.kind() == std::io::ErrorKind::TimedOut {
                ErrorKind::Timeout
            } else {
                ErrorKind::Connect
            };
        }
        source = s.source();
    }
    let text = err.to_string();
    if text.contains("timed out") || text.contains("timeout") {
        ErrorKind::Timeout
    } else if text.contains("error deserializing") || text.contains("conversion") {
        ErrorKind::Parse
    } else {
        ErrorKind::Connect
    }
}

/// The error with its server detail (`DbError` message) when there is one.
pub(crate) fn describe(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(s) = source {
                let s_text = s.to_string();
                if !text.contains(&s_text) {
                    text = format!("{text}: {s_text}");
                }
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_names_the_install_command() {
        let err = PgError::MissingBinaries {
            searched: "/usr/lib/postgresql/*/bin".into(),
        };
        assert!(err.to_string().contains("apt-get install -y postgresql-15"));
        assert_eq!(err.kind(), ErrorKind::Config);
        let err = PgError::Command {
            program: "pg_ctl".into(),
            reason: "exited with 1".into(),
            log_tail: "FATAL: boom".into(),
        };
        assert_eq!(
            err.to_string(),
            "pg_ctl failed: exited with 1\n--- last output ---\nFATAL: boom"
        );
    }
}
