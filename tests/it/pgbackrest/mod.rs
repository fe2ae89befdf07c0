//! The pgBackRest source: real stanzas (full, diff, incr, a failed backup, the WAL archive) seen
//! through the agent's Snapshot and /metrics, a fake `pgbackrest` that misbehaves, the PITR
//! window with a deleted WAL segment through `backstop pitr`, `backups`, `check` and /metrics,
//! `verify` on a corrupted repository, and `backstop recover` to a point in time.

mod fake;
mod gap;
mod real;
mod recover;
mod verify;
