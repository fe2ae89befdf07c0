//! [`StoreError`]: the one error enum of the durable state store, always [`ErrorKind::Store`].
//!
//! Messages say what to do next and never contain a PostgreSQL URL or its password: a
//! PostgreSQL store is named "the PostgreSQL state store", a SQLite one by its file path.

use crate::error::ErrorKind;

/// Errors of the durable state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `agent.state` is neither `sqlite:<path>` nor `postgres://…`.
    #[error(
        "agent.state is not a usable state store address: {reason}; \
         use sqlite:<path> or postgres://user@host/db"
    )]
    InvalidUrl {
        /// What is wrong (never the URL itself).
        reason: String,
    },
    /// The SQLite file's directory does not exist.
    #[error(
        "the directory of the state store {path} does not exist: create it \
         (mkdir -p) or point agent.state elsewhere"
    )]
    MissingDirectory {
        /// The directory.
        path: String,
    },
    /// The store could not be opened or reached.
    #[error("cannot open {place}: {reason}; check agent.state and that the store is reachable")]
    Open {
        /// "the state store at <path>" or "the PostgreSQL state store".
        place: String,
        /// Why (sanitized).
        reason: String,
    },
    /// The schema was written by a newer backstop.
    #[error(
        "the state store was written by a newer backstop (schema {found} > {known}): \
         upgrade backstop or point agent.state elsewhere"
    )]
    NewerSchema {
        /// Schema version found in the store.
        found: i64,
        /// Newest version this binary knows.
        known: i64,
    },
    /// The disk (or quota) under the store is full; nothing was written.
    #[error("{place} is full: free disk space (or raise its quota) — no record was written")]
    Full {
        /// "the state store at <path>" or "the PostgreSQL state store".
        place: String,
    },
    /// Writing the store's files failed at the operating-system level (SQLite: a write or
    /// fsync I/O error): a full disk, a file-size limit, or a failing disk; nothing was written.
    #[error(
        "{place}: {what} could not be written to disk (a full disk, a file-size limit such as \
         `ulimit -f` or systemd's LimitFSIZE, or a failing disk): free space or lift the limit, \
         and check the kernel log — no record was written"
    )]
    WriteFailed {
        /// Where.
        place: String,
        /// Which operation.
        what: &'static str,
    },
    /// Another process holds a lock on the store for too long.
    #[error(
        "{place} is locked by another process ({what}): make sure only one backstop uses a \
         SQLite store, or use a PostgreSQL store for several agents"
    )]
    Busy {
        /// Where.
        place: String,
        /// Which operation waited.
        what: &'static str,
    },
    /// A statement failed.
    #[error("{place}: {what} failed: {reason}")]
    Query {
        /// Where.
        place: String,
        /// Which operation.
        what: &'static str,
        /// Why (server or SQLite text, never a URL).
        reason: String,
    },
    /// A stored value could not be read back.
    #[error(
        "{place}: cannot read {what} from the store ({value}); the row was written by another tool"
    )]
    Decode {
        /// Where.
        place: String,
        /// Which column.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// A failover is already in flight for this venture (single flight).
    #[error(
        "a failover of {venture} is already in flight (failover {id}): resume or finish it \
         before starting another"
    )]
    FailoverInFlight {
        /// The venture.
        venture: String,
        /// The unfinished failover.
        id: i64,
    },
    /// A failover can no longer be advanced or finished (compare-and-set on its epoch failed).
    #[error(
        "failover {id} (epoch {epoch}) cannot be changed: {reason}; re-read the in-flight \
         failover and resume from its recorded state"
    )]
    FailoverStale {
        /// The failover.
        id: i64,
        /// The epoch the caller expected.
        epoch: i64,
        /// What moved.
        reason: String,
    },
    /// The caller does not (or no longer) hold the failover or the venture's lease: it must
    /// stop without acting ([`super::holder`]).
    #[error(
        "{venture}: not the failover's holder ({reason}); stopped without acting — the \
         holder of the venture's lease resumes it"
    )]
    NotFailoverHolder {
        /// The venture.
        venture: String,
        /// Why (who holds it now).
        reason: String,
    },
    /// A drill that is not running (unknown or already finished) was to be finished.
    #[error("drill {id} is not running ({reason}): it was finished already or never started")]
    DrillNotRunning {
        /// The drill.
        id: i64,
        /// Unknown or finished.
        reason: String,
    },
    /// A blocking SQLite task panicked or was cancelled.
    #[error("{place}: the store task failed ({reason}); this is a bug, please report it")]
    Task {
        /// Where.
        place: String,
        /// What happened.
        reason: String,
    },
}

impl StoreError {
    /// The bounded kind for `backstop_errors_total`: always [`ErrorKind::Store`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let full = StoreError::Full {
            place: "the state store at /var/lib/backstop/state.db".into(),
        };
        assert_eq!(
            full.to_string(),
            "the state store at /var/lib/backstop/state.db is full: free disk space \
             (or raise its quota) — no record was written"
        );
        assert_eq!(full.kind(), ErrorKind::Store);
        let write = StoreError::WriteFailed {
            place: "the state store at /s.db".into(),
            what: "recording a drill",
        };
        assert!(write.to_string().starts_with(
            "the state store at /s.db: recording a drill could not be written to disk (a full disk"
        ));
        assert!(write.to_string().ends_with("— no record was written"));
        let newer = StoreError::NewerSchema { found: 9, known: 3 };
        assert!(newer
            .to_string()
            .contains("(schema 9 > 3): upgrade backstop"));
    }
}
