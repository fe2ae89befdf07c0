//! The records the store keeps: plain serde structs, times in UTC to the microsecond, ids `i64`.
//!
//! Inputs whose id the store assigns either have a `New…` type ([`NewEvent`]) or carry an `id`
//! that inserts ignore ([`VerificationRecord`], [`RecoveryRecord`]).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::config::RetentionPolicy;
use crate::state::Role;

/// An audit-log entry to append.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// The venture, when it concerns one.
    pub venture: Option<String>,
    /// What happened: `objective_override_set`, `failover_step`, `notification`, …
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// `agent` or `api:<who>`.
    pub actor: String,
    /// One line for humans.
    pub message: String,
    /// Structured details.
    pub details: serde_json::Value,
}

/// A stored audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Assigned by the store; increases with insertion.
    pub id: i64,
    /// The entry as appended.
    #[serde(flatten)]
    pub event: NewEvent,
}

/// Which events to list ([`crate::store::Store::events`]); every field narrows, `None` = any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only this venture.
    pub venture: Option<String>,
    /// At or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Strictly before this time.
    pub until: Option<DateTime<Utc>>,
    /// Only this kind.
    pub kind: Option<String>,
    /// At most this many (the newest).
    pub limit: Option<u32>,
}

/// One `pgbackrest verify` (or equivalent) run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRecord {
    /// Assigned by the store (ignored on insert).
    pub id: i64,
    /// The venture.
    pub venture: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// `passed` or `failed`.
    pub outcome: String,
    /// What it found.
    pub detail: String,
}

/// One timed step of a drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillStep {
    /// `restore`, `replay`, `validate`, `cleanup`, …
    pub name: String,
    /// Duration.
    pub seconds: f64,
    /// Whether it succeeded.
    pub ok: bool,
    /// What happened.
    pub detail: String,
}

/// A DR drill, running or finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRecord {
    /// Assigned by [`crate::store::Store::start_drill`].
    pub id: i64,
    /// The venture.
    pub venture: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished; `None` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `passed`, `failed` or `aborted`.
    pub outcome: String,
    /// The recovery target time.
    pub target_time: Option<DateTime<Utc>>,
    /// Measured RTO.
    pub rto_seconds: Option<f64>,
    /// Measured RPO.
    pub rpo_seconds: Option<f64>,
    /// Why it failed or was aborted.
    pub reason: Option<String>,
    /// The tail of the relevant log.
    pub log_excerpt: Option<String>,
    /// Timed steps, in order.
    pub steps: Vec<DrillStep>,
}

/// The result of a drill, written by [`crate::store::Store::finish_drill`] in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillFinish {
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// `passed`, `failed` or `aborted`.
    pub outcome: String,
    /// Replaces the target given at start when `Some` (e.g. a random target chosen later).
    pub target_time: Option<DateTime<Utc>>,
    /// Measured RTO.
    pub rto_seconds: Option<f64>,
    /// Measured RPO.
    pub rpo_seconds: Option<f64>,
    /// Why it failed or was aborted.
    pub reason: Option<String>,
    /// The tail of the relevant log.
    pub log_excerpt: Option<String>,
    /// Timed steps, in order.
    pub steps: Vec<DrillStep>,
}

/// One recorded state transition of a failover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverStep {
    /// When.
    pub at: DateTime<Utc>,
    /// The state entered.
    pub state: String,
    /// What happened.
    pub detail: String,
    /// Who recorded it ([`crate::store::holder`]); `None` for steps before holders existed.
    pub holder: Option<String>,
}

/// A failover: a persisted single-flight state machine with a per-venture epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverRecord {
    /// Assigned by the store.
    pub id: i64,
    /// The venture.
    pub venture: String,
    /// 1, 2, 3, … per venture.
    pub epoch: i64,
    /// The old primary.
    pub from_endpoint: String,
    /// The promoted standby.
    pub to_endpoint: String,
    /// Planned switchover (true) or forced failover.
    pub planned: bool,
    /// Current state (`started` at first).
    pub state: String,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it finished; `None` while in flight.
    pub finished_at: Option<DateTime<Utc>>,
    /// `completed`, `aborted`, … once finished.
    pub outcome: Option<String>,
    /// Who drives it: the agent's leadership holder id, or a `manual:` holder
    /// ([`crate::store::holder`]); `None` for failovers begun before holders existed.
    pub holder: Option<String>,
    /// Every state transition, in order.
    pub steps: Vec<FailoverStep>,
}

/// A point-in-time recovery, planned or executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryRecord {
    /// Assigned by the store (ignored on insert).
    pub id: i64,
    /// The venture.
    pub venture: String,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// The recovery target.
    pub target_time: DateTime<Utc>,
    /// `pgbackrest`, `supabase-restore-pitr`, …
    pub method: String,
    /// Carried out (true) or only planned.
    pub executed: bool,
    /// What came of it.
    pub outcome: String,
    /// Details.
    pub detail: String,
    /// Measured recovery time (request → restored and probed), when it was carried out.
    pub rto_seconds: Option<f64>,
}

/// The backup size of a venture on one day (one sample per venture per day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeSample {
    /// The venture.
    pub venture: String,
    /// The UTC day.
    pub day: NaiveDate,
    /// Bytes.
    pub bytes: i64,
}

/// Objectives changed at run time; `None` fields keep the configured value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveOverride {
    /// The venture.
    pub venture: String,
    /// RPO in seconds.
    pub rpo_seconds: Option<i64>,
    /// RTO in seconds.
    pub rto_seconds: Option<i64>,
    /// Required PITR window in seconds.
    pub pitr_window_seconds: Option<i64>,
    /// Maximum age of the newest backup in seconds.
    pub backup_max_age_seconds: Option<i64>,
    /// The retention policy (stored as JSON, `{"daily": 7, …}`).
    pub retention: Option<RetentionPolicy>,
    /// `api:<who>`.
    pub set_by: String,
    /// When.
    pub set_at: DateTime<Utc>,
}

/// The recorded role of an endpoint (after failovers the store's roles and fences win).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointRoleRecord {
    /// The venture.
    pub venture: String,
    /// The endpoint.
    pub endpoint: String,
    /// Its role.
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    /// Fenced: never reported primary until a human clears it.
    pub fenced: bool,
    /// The failover epoch that set it.
    pub epoch: i64,
    /// When.
    pub updated_at: DateTime<Utc>,
}

fn role_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.as_str())
}

/// Parses a stored role name.
pub(crate) fn parse_role(text: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| r.as_str() == text)
}

/// One notification delivery attempt series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRecord {
    /// When it ended.
    pub at: DateTime<Utc>,
    /// `pagerduty#0`, `slack#1`, …
    pub receiver: String,
    /// The venture, when it concerns one.
    pub venture: Option<String>,
    /// The event (`failover`, `drill_failed`, …).
    pub event: String,
    /// `trigger` or `resolve`.
    pub action: String,
    /// The event's severity.
    pub severity: String,
    /// `delivered`, `failed` or `dropped`.
    pub outcome: String,
    /// HTTP attempts made.
    pub attempts: i32,
    /// Last HTTP status.
    pub status: Option<i32>,
    /// Last error.
    pub error: Option<String>,
}

/// Rows deleted by [`crate::store::Store::prune`], per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PruneCounts {
    /// Audit events.
    pub events: u64,
    /// Notification sends.
    pub sends: u64,
    /// Verifications.
    pub verifications: u64,
    /// Finished drills (with their steps).
    pub drills: u64,
    /// Finished failovers (with their steps).
    pub failovers: u64,
    /// Recoveries.
    pub recoveries: u64,
    /// Daily size samples.
    pub size_samples: u64,
}

/// The four overridable objectives of an override (seconds; `None` = the configured value).
fn override_values(o: Option<&ObjectiveOverride>) -> [Option<i64>; 4] {
    o.map_or([None; 4], |o| {
        [
            o.rpo_seconds,
            o.rto_seconds,
            o.pitr_window_seconds,
            o.backup_max_age_seconds,
        ]
    })
}

/// `rpo config → 30s, rto 1h → config`: every objective whose override changes.
fn override_change(
    previous: Option<&ObjectiveOverride>,
    next: Option<&ObjectiveOverride>,
) -> String {
    let show = |v: Option<i64>| v.map_or_else(|| "config".to_owned(), |s| format!("{s}s"));
    let names = ["rpo", "rto", "pitr_window", "backup_max_age"];
    let changes: Vec<String> = names
        .iter()
        .zip(
            override_values(previous)
                .into_iter()
                .zip(override_values(next)),
        )
        .filter(|(_, (a, b))| a != b)
        .map(|(n, (a, b))| format!("{n} {} → {}", show(a), show(b)))
        .chain(retention_change(previous, next))
        .collect();
    if changes.is_empty() {
        "no change".to_owned()
    } else {
        changes.join(", ")
    }
}

/// `retention config → { daily = 14 }` when the retention override changes.
fn retention_change(
    previous: Option<&ObjectiveOverride>,
    next: Option<&ObjectiveOverride>,
) -> Option<String> {
    let policy = |o: Option<&ObjectiveOverride>| o.and_then(|o| o.retention);
    let show = |p: Option<RetentionPolicy>| p.map_or_else(|| "config".to_owned(), |p| p.describe());
    let (a, b) = (policy(previous), policy(next));
    (a != b).then(|| format!("retention {} → {}", show(a), show(b)))
}

/// Reads a stored retention override (`NULL` = the configured policy).
pub(crate) fn stored_retention(text: Option<&str>) -> Result<Option<RetentionPolicy>, String> {
    text.map(|t| serde_json::from_str(t).map_err(|e| format!("retention {t:?}: {e}")))
        .transpose()
}

/// A retention override as stored (JSON text).
pub(crate) fn retention_text(p: Option<&RetentionPolicy>) -> Option<String> {
    p.map(|p| serde_json::to_string(p).unwrap_or_default())
}

/// The audit event written with [`crate::store::Store::set_override`]: who, when, and old → new
/// per objective (`previous` is the override it replaces, `None` when the configuration applied).
pub(crate) fn override_set_event(
    o: &ObjectiveOverride,
    previous: Option<&ObjectiveOverride>,
) -> NewEvent {
    let mut details = serde_json::to_value(o).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(map) = &mut details {
        map.insert(
            "previous".to_owned(),
            serde_json::to_value(previous).unwrap_or(serde_json::Value::Null),
        );
    }
    NewEvent {
        at: o.set_at,
        venture: Some(o.venture.clone()),
        kind: "objective_override_set".into(),
        severity: "info".into(),
        actor: o.set_by.clone(),
        message: format!(
            "objectives of {} overridden: {}",
            o.venture,
            override_change(previous, Some(o))
        ),
        details,
    }
}

/// The audit event written with [`crate::store::Store::clear_override`] (`previous`: the
/// override removed).
pub(crate) fn override_cleared_event(
    venture: &str,
    actor: &str,
    at: DateTime<Utc>,
    previous: Option<&ObjectiveOverride>,
) -> NewEvent {
    NewEvent {
        at,
        venture: Some(venture.to_owned()),
        kind: "objective_override_cleared".into(),
        severity: "info".into(),
        actor: actor.to_owned(),
        message: format!(
            "objective override of {venture} cleared: configured objectives apply ({})",
            override_change(previous, None)
        ),
        details: serde_json::json!({ "venture": venture, "previous": previous }),
    }
}

impl ObjectiveOverride {
    /// `base` (the configured objectives) with every overridden value replaced.
    pub fn apply(&self, base: &crate::state::Objectives) -> crate::state::Objectives {
        let secs = |v: Option<i64>, d: std::time::Duration| {
            v.map_or(d, |s| std::time::Duration::from_secs(s.max(0) as u64))
        };
        crate::state::Objectives {
            rpo: secs(self.rpo_seconds, base.rpo),
            rto: secs(self.rto_seconds, base.rto),
            pitr_window: secs(self.pitr_window_seconds, base.pitr_window),
            backup_max_age: secs(self.backup_max_age_seconds, base.backup_max_age),
            retention: self.retention.unwrap_or(base.retention),
        }
    }
}

impl From<&crate::notify::SendRecord> for SendRecord {
    fn from(r: &crate::notify::SendRecord) -> Self {
        SendRecord {
            at: r.at,
            receiver: r.receiver.clone(),
            venture: r.venture.clone(),
            event: r.event.clone(),
            action: r.action.as_str().to_string(),
            severity: r.severity.as_str().to_string(),
            outcome: r.outcome.as_str().to_string(),
            attempts: r.attempts,
            status: r.status,
            error: r.error.clone(),
        }
    }
}
