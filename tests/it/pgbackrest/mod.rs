//! The pgBackRest source: real stanzas (full, diff, incr, a failed backup, the WAL archive) seen
//! through the agent's Snapshot and /metrics, a fake `pgbackrest` that misbehaves, `verify` on
//! a corrupted repository, and `backstop recover` to a point in time.

mod fake;
mod real;
mod recover;
mod verify;
