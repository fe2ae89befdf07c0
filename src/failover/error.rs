//! [`ControllerError`]: everything the failover controller's I/O can fail with.
//!
//! Messages never carry a DSN or password: PostgreSQL errors are already sanitized
//! ([`PgError`]), fence commands are named by their program only.

use std::time::Duration;

use crate::postgres::PgError;
use crate::store::StoreError;

/// A failure of the failover controller.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    /// The state store failed (the failover cannot be recorded, so it does not go on).
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// An endpoint could not be reached or queried.
    #[error("endpoint {endpoint}: {source}")]
    Endpoint {
        /// The endpoint.
        endpoint: String,
        /// What failed.
        source: PgError,
    },
    /// The fence command could not be parsed or started.
    #[error("fence command {program}: {reason}")]
    FenceSpawn {
        /// Its program.
        program: String,
        /// Why.
        reason: String,
    },
    /// The fence command exited unsuccessfully.
    #[error("fence command {program} exited with {status}: {output}")]
    FenceFailed {
        /// Its program.
        program: String,
        /// The exit status.
        status: String,
        /// The start of its output.
        output: String,
    },
    /// The fence command did not finish in time (it was killed).
    #[error("fence command {program} timed out after {after:?}")]
    FenceTimeout {
        /// Its program.
        program: String,
        /// The timeout.
        after: Duration,
    },
    /// `pg_promote` answered false or timed out, and the candidate is still in recovery.
    #[error("{endpoint} did not leave recovery after pg_promote ({detail})")]
    NotPromoted {
        /// The candidate.
        endpoint: String,
        /// What was seen.
        detail: String,
    },
    /// The promoted candidate did not accept a write.
    #[error("{endpoint} is not writable: {detail}")]
    NotWritable {
        /// The candidate.
        endpoint: String,
        /// What was seen.
        detail: String,
    },
    /// The failover or its endpoints do not match the configuration.
    #[error("{0}")]
    Invalid(String),
}
