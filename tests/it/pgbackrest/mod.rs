//! The pgBackRest source: real stanzas (full, diff, incr, a failed backup, the WAL archive) seen
//! through the agent's Snapshot and /metrics, a fake `pgbackrest` that misbehaves, and the PITR
//! window with a deleted WAL segment through `backstop pitr`, `backups`, `check` and /metrics.

mod fake;
mod gap;
mod real;
