//! Versioned schema migrations, one ordered list of SQL scripts per backend.
//!
//! Version N is the N-th script. Each backend applies the missing ones in one transaction and
//! records them in `schema_migrations(version, applied_at)`; applying is idempotent. A store
//! whose recorded version is above the newest script here was written by a newer backstop and
//! is refused ([`super::StoreError::NewerSchema`]). Never edit a released script: append one.
//!
//! Version 2 adds `recoveries.rto_seconds` (the measured RTO of an executed recovery).
//! Version 3 adds `failovers.holder` and `failover_steps.holder` (who drives a failover and who
//! recorded each step, [`super::holder`]).
//! Version 4 adds `objective_overrides.retention` (a run-time retention policy as JSON, `NULL` =
//! the configured policy).
//!
//! SQLite keeps times as INTEGER microseconds since the Unix epoch (UTC) and days as
//! `YYYY-MM-DD` text; PostgreSQL uses `timestamptz`, `date` and `jsonb` under schema `backstop`.

use super::StoreError;

/// SQLite migrations, version = index + 1.
pub(super) const SQLITE: &[&str] = &[
    r#"
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, venture TEXT,
    kind TEXT NOT NULL, severity TEXT NOT NULL, actor TEXT NOT NULL,
    message TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_venture_at ON events (venture, at);
CREATE TABLE verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT, venture TEXT NOT NULL, started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX verifications_venture ON verifications (venture, started_at);
CREATE TABLE drills (
    id INTEGER PRIMARY KEY AUTOINCREMENT, venture TEXT NOT NULL, started_at INTEGER NOT NULL,
    finished_at INTEGER, outcome TEXT NOT NULL, target_time INTEGER, rto_seconds REAL,
    rpo_seconds REAL, reason TEXT, log_excerpt TEXT);
CREATE INDEX drills_venture ON drills (venture, started_at);
CREATE INDEX drills_running ON drills (id) WHERE finished_at IS NULL;
CREATE TABLE drill_steps (
    drill_id INTEGER NOT NULL REFERENCES drills (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, name TEXT NOT NULL, seconds REAL NOT NULL, ok INTEGER NOT NULL,
    detail TEXT NOT NULL, PRIMARY KEY (drill_id, ordinal));
CREATE TABLE failovers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, venture TEXT NOT NULL, epoch INTEGER NOT NULL,
    from_endpoint TEXT NOT NULL, to_endpoint TEXT NOT NULL, planned INTEGER NOT NULL,
    state TEXT NOT NULL, started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    finished_at INTEGER, outcome TEXT, UNIQUE (venture, epoch));
CREATE UNIQUE INDEX failovers_single_flight ON failovers (venture) WHERE finished_at IS NULL;
CREATE TABLE failover_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    failover_id INTEGER NOT NULL REFERENCES failovers (id) ON DELETE CASCADE,
    at INTEGER NOT NULL, state TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX failover_steps_failover ON failover_steps (failover_id, id);
CREATE TABLE recoveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, venture TEXT NOT NULL, requested_at INTEGER NOT NULL,
    target_time INTEGER NOT NULL, method TEXT NOT NULL, executed INTEGER NOT NULL,
    outcome TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX recoveries_venture ON recoveries (venture, requested_at);
CREATE TABLE size_samples (
    venture TEXT NOT NULL, day TEXT NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (venture, day));
CREATE TABLE objective_overrides (
    venture TEXT PRIMARY KEY, rpo_seconds INTEGER, rto_seconds INTEGER,
    pitr_window_seconds INTEGER, backup_max_age_seconds INTEGER,
    set_by TEXT NOT NULL, set_at INTEGER NOT NULL);
CREATE TABLE endpoint_roles (
    venture TEXT NOT NULL, endpoint TEXT NOT NULL, role TEXT NOT NULL, fenced INTEGER NOT NULL,
    epoch INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (venture, endpoint));
CREATE TABLE sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, receiver TEXT NOT NULL,
    venture TEXT, event TEXT NOT NULL, action TEXT NOT NULL, severity TEXT NOT NULL,
    outcome TEXT NOT NULL, attempts INTEGER NOT NULL, status INTEGER, error TEXT);
CREATE INDEX sends_at ON sends (at);
"#,
    r#"
ALTER TABLE recoveries ADD COLUMN rto_seconds REAL;
"#,
    r#"
ALTER TABLE failovers ADD COLUMN holder TEXT;
ALTER TABLE failover_steps ADD COLUMN holder TEXT;
"#,
    r#"
ALTER TABLE objective_overrides ADD COLUMN retention TEXT;
"#,
];

/// PostgreSQL migrations (schema `backstop`), version = index + 1.
pub(super) const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE backstop.events (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL, venture text,
    kind text NOT NULL, severity text NOT NULL, actor text NOT NULL,
    message text NOT NULL, details jsonb NOT NULL);
CREATE INDEX events_at ON backstop.events (at);
CREATE INDEX events_venture_at ON backstop.events (venture, at);
CREATE TABLE backstop.verifications (
    id bigserial PRIMARY KEY, venture text NOT NULL, started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL, outcome text NOT NULL, detail text NOT NULL);
CREATE INDEX verifications_venture ON backstop.verifications (venture, started_at);
CREATE TABLE backstop.drills (
    id bigserial PRIMARY KEY, venture text NOT NULL, started_at timestamptz NOT NULL,
    finished_at timestamptz, outcome text NOT NULL, target_time timestamptz,
    rto_seconds double precision, rpo_seconds double precision, reason text, log_excerpt text);
CREATE INDEX drills_venture ON backstop.drills (venture, started_at);
CREATE INDEX drills_running ON backstop.drills (id) WHERE finished_at IS NULL;
CREATE TABLE backstop.drill_steps (
    drill_id bigint NOT NULL REFERENCES backstop.drills (id) ON DELETE CASCADE,
    ordinal integer NOT NULL, name text NOT NULL, seconds double precision NOT NULL,
    ok boolean NOT NULL, detail text NOT NULL, PRIMARY KEY (drill_id, ordinal));
CREATE TABLE backstop.failovers (
    id bigserial PRIMARY KEY, venture text NOT NULL, epoch bigint NOT NULL,
    from_endpoint text NOT NULL, to_endpoint text NOT NULL, planned boolean NOT NULL,
    state text NOT NULL, started_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
    finished_at timestamptz, outcome text, UNIQUE (venture, epoch));
CREATE UNIQUE INDEX failovers_single_flight ON backstop.failovers (venture)
    WHERE finished_at IS NULL;
CREATE TABLE backstop.failover_steps (
    id bigserial PRIMARY KEY,
    failover_id bigint NOT NULL REFERENCES backstop.failovers (id) ON DELETE CASCADE,
    at timestamptz NOT NULL, state text NOT NULL, detail text NOT NULL);
CREATE INDEX failover_steps_failover ON backstop.failover_steps (failover_id, id);
CREATE TABLE backstop.recoveries (
    id bigserial PRIMARY KEY, venture text NOT NULL, requested_at timestamptz NOT NULL,
    target_time timestamptz NOT NULL, method text NOT NULL, executed boolean NOT NULL,
    outcome text NOT NULL, detail text NOT NULL);
CREATE INDEX recoveries_venture ON backstop.recoveries (venture, requested_at);
CREATE TABLE backstop.size_samples (
    venture text NOT NULL, day date NOT NULL, bytes bigint NOT NULL, PRIMARY KEY (venture, day));
CREATE TABLE backstop.objective_overrides (
    venture text PRIMARY KEY, rpo_seconds bigint, rto_seconds bigint,
    pitr_window_seconds bigint, backup_max_age_seconds bigint,
    set_by text NOT NULL, set_at timestamptz NOT NULL);
CREATE TABLE backstop.endpoint_roles (
    venture text NOT NULL, endpoint text NOT NULL, role text NOT NULL, fenced boolean NOT NULL,
    epoch bigint NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (venture, endpoint));
CREATE TABLE backstop.sends (
    id bigserial PRIMARY KEY, at timestamptz NOT NULL, receiver text NOT NULL,
    venture text, event text NOT NULL, action text NOT NULL, severity text NOT NULL,
    outcome text NOT NULL, attempts integer NOT NULL, status integer, error text);
CREATE INDEX sends_at ON backstop.sends (at);
CREATE TABLE backstop.leases (
    venture text PRIMARY KEY, holder text NOT NULL, expires_at timestamptz NOT NULL);
"#,
    r#"
ALTER TABLE backstop.recoveries ADD COLUMN rto_seconds double precision;
"#,
    r#"
ALTER TABLE backstop.failovers ADD COLUMN holder text;
ALTER TABLE backstop.failover_steps ADD COLUMN holder text;
"#,
    r#"
ALTER TABLE backstop.objective_overrides ADD COLUMN retention jsonb;
"#,
];

/// Which scripts to apply given the version found, or the newer-schema refusal.
pub(super) fn pending<'a>(
    scripts: &'a [&'a str],
    found: i64,
) -> Result<Vec<(i64, &'a str)>, StoreError> {
    let known = scripts.len() as i64;
    if found > known {
        return Err(StoreError::NewerSchema { found, known });
    }
    Ok(scripts
        .iter()
        .enumerate()
        .map(|(i, sql)| (i as i64 + 1, *sql))
        .filter(|(version, _)| *version > found)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_scripts_and_newer_schema() {
        let scripts = ["a", "b", "c"];
        assert_eq!(pending(&scripts, 0).unwrap().len(), 3);
        assert_eq!(pending(&scripts, 2).unwrap(), vec![(3, "c")]);
        assert!(pending(&scripts, 3).unwrap().is_empty());
        let err = pending(&scripts, 4).unwrap_err();
        assert!(err.to_string().contains("schema 4 > 3"), "{err}");
        assert_eq!(
            SQLITE.len(),
            POSTGRES.len(),
            "keep the backends' versions in step"
        );
    }
}
