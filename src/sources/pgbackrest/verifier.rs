//! [`Verifier`]: runs `pgbackrest verify` on the venture's `verify_schedule` (cron, UTC), records
//! each run in the store and publishes it into the snapshot.
//!
//! A run is bounded by `max(timeout, 1h)` (verify re-reads the whole repository). A run that
//! could not finish (timeout, spawn failure, unparsable output) is a failed verification with the
//! reason as its detail, and counts an error kind. The store record's `detail` is JSON
//! (`summary`, `missing_wal`, `checksum_invalid`, `invalid_backups`, and the per-archive and
//! per-backup counts) so that [`load_last`] can restore the state after a restart.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::command::PgBackRestCommand;
use super::verify::{run_verify, VerifyReport, VerifyRun};
use crate::config::PgBackRestConfig;
use crate::sources::SourceError;
use crate::state::{SharedState, Snapshot, SourceKind, SourceState, VerificationState};
use crate::store::{Store, StoreError, VerificationRecord};

/// The shortest timeout a verification gets.
pub const MIN_VERIFY_TIMEOUT: Duration = Duration::from_secs(3600);

/// One venture's scheduled verification.
#[derive(Clone)]
pub struct Verifier {
    venture: String,
    command: PgBackRestCommand,
    schedule: croner::Cron,
    store: Store,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("venture", &self.venture)
            .field("command", &self.command)
            .field("schedule", &self.schedule.pattern.to_string())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The verifier of `venture`; `None` when `verify_schedule` does not parse (config validation
    /// rejects that already).
    pub fn new(venture: &str, cfg: &PgBackRestConfig, store: Store) -> Option<Self> {
        let schedule = croner::Cron::new(&cfg.verify_schedule).parse().ok()?;
        let command = PgBackRestCommand::new(cfg).with_timeout(cfg.timeout.max(MIN_VERIFY_TIMEOUT));
        Some(Self {
            venture: venture.to_owned(),
            command,
            schedule,
            store,
        })
    }

    /// The same verifier with another command (tests: a shorter timeout).
    pub fn with_command(mut self, command: PgBackRestCommand) -> Self {
        self.command = command;
        self
    }

    /// The same verifier on another schedule (tests: every second, with
    /// `croner::Cron::new("* * * * * *").with_seconds_optional()`).
    pub fn with_schedule(mut self, schedule: croner::Cron) -> Self {
        self.schedule = schedule;
        self
    }

    /// The venture.
    pub fn venture(&self) -> &str {
        &self.venture
    }

    /// The next scheduled run strictly after `after`.
    pub fn next_run(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule.find_next_occurrence(&after, false).ok()
    }

    /// Runs `pgbackrest verify` now, records it and publishes it; returns the record stored.
    pub async fn verify_now(&self, state: &SharedState) -> VerificationRecord {
        let run = run_verify(&self.command).await;
        let record = to_record(&self.venture, &run);
        if let Err(e) = &run.result {
            tracing::warn!(venture = %self.venture, kind = e.kind().as_str(), error = %e,
                "pgbackrest verify could not run");
        } else {
            tracing::info!(venture = %self.venture, outcome = %record.outcome,
                "pgbackrest verify finished");
        }
        if let Err(e) = self.store.insert_verification(&record).await {
            tracing::error!(venture = %self.venture, error = %e, "recording a verification failed");
        }
        let kind = run.result.as_ref().err().map(SourceError::kind);
        let next_due = self.next_run(record.finished_at);
        state.update(|s| {
            apply_verification(s, &self.venture, &record);
            if let Some(v) = s
                .venture_mut(&self.venture)
                .and_then(|v| v.source.as_mut())
                .and_then(|src| src.verification.as_mut())
            {
                v.next_due = next_due;
            }
            if let (Some(kind), Some(v)) = (kind, s.venture_mut(&self.venture)) {
                v.count_error(kind);
            }
        });
        record
    }

    /// Runs on the schedule until `shutdown` becomes `true` (or its sender is dropped).
    pub async fn run(self, state: SharedState, mut shutdown: watch::Receiver<bool>) {
        loop {
            let now = Utc::now();
            let Some(next) = self.next_run(now) else {
                tracing::warn!(venture = %self.venture, "verify_schedule has no next run");
                return;
            };
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                () = tokio::time::sleep(wait) => {}
            }
            tokio::select! {
                _ = shutdown.wait_for(|s| *s) => return,
                // Boxed: the idle task stays small; the run's state exists only while it runs.
                _ = Box::pin(self.verify_now(&state)) => {}
            }
        }
    }
}

/// The store record of a run (pure): `passed` or `failed`, with a JSON detail.
pub fn to_record(venture: &str, run: &VerifyRun) -> VerificationRecord {
    let (outcome, detail) = match &run.result {
        Ok(report) => {
            let outcome = if report.ok { "passed" } else { "failed" };
            (outcome, detail_json(report))
        }
        Err(e) => (
            "failed",
            serde_json::json!({ "summary": format!("failed: pgbackrest verify did not complete: {e}") }),
        ),
    };
    VerificationRecord {
        id: 0,
        venture: venture.to_owned(),
        started_at: run.started_at,
        finished_at: run.finished_at,
        outcome: outcome.to_owned(),
        detail: detail.to_string(),
    }
}

fn detail_json(report: &VerifyReport) -> serde_json::Value {
    serde_json::json!({
        "summary": report.summary(),
        "missing_wal": report.missing_wal(),
        "checksum_invalid": report.checksum_invalid(),
        "invalid_backups": report.invalid_backups(),
        "archives": report.archives,
        "backups": report.backups,
    })
}

/// The verification state a record leaves behind (pure); `last_success` is carried over from
/// `previous` unless this record passed.
pub fn state_from(
    record: &VerificationRecord,
    previous_success: Option<DateTime<Utc>>,
) -> VerificationState {
    let detail: serde_json::Value =
        serde_json::from_str(&record.detail).unwrap_or(serde_json::Value::Null);
    let count = |key: &str| detail.get(key).and_then(serde_json::Value::as_u64);
    let ok = record.outcome == "passed";
    VerificationState {
        last_run: record.finished_at,
        last_success: if ok {
            Some(record.finished_at)
        } else {
            previous_success
        },
        last_outcome_ok: ok,
        missing_wal: count("missing_wal").unwrap_or(0),
        checksum_invalid: count("checksum_invalid").unwrap_or(0),
        invalid_backups: detail
            .get("invalid_backups")
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        detail: detail
            .get("summary")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| record.detail.clone(), str::to_owned),
        next_due: None,
    }
}

/// Publishes a verification record into the venture's source state (pure).
pub fn apply_verification(s: &mut Snapshot, venture: &str, record: &VerificationRecord) {
    let Some(v) = s.venture_mut(venture) else {
        return;
    };
    let src = v
        .source
        .get_or_insert_with(|| SourceState::new(SourceKind::PgBackRest));
    let previous = src.verification.as_ref().and_then(|x| x.last_success);
    src.verification = Some(state_from(record, previous));
}

/// The last verification of `venture` from the store, with the last passed one's time.
pub async fn load_last(
    store: &Store,
    venture: &str,
) -> Result<Option<VerificationState>, StoreError> {
    let Some(last) = store.last_verification(venture).await? else {
        return Ok(None);
    };
    let success = if last.outcome == "passed" {
        None
    } else {
        let all = store
            .verifications(venture, DateTime::<Utc>::UNIX_EPOCH, Utc::now())
            .await?;
        all.iter()
            .rev()
            .find(|r| r.outcome == "passed")
            .map(|r| r.finished_at)
    };
    Ok(Some(state_from(&last, success)))
}

#[cfg(test)]
#[path = "verifier_tests.rs"]
mod tests;
