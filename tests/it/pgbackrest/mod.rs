//! The pgBackRest source: real stanzas (full, diff, incr, a failed backup, the WAL archive) seen
//! through the agent's Snapshot and /metrics, and a fake `pgbackrest` that misbehaves.

mod fake;
mod real;
