//! Failovers, recoveries and audit events of a venture, from store records, newest first, with
//! every free text passed through the [`Scrubber`].

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scrub::Scrubber;
use crate::store::{Event, FailoverRecord, FailoverStep, RecoveryRecord};

/// How many failovers, recoveries or events a list holds at most.
pub const RECENT: usize = 100;

/// One failover or switchover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailoverView {
    /// Store id.
    pub id: i64,
    /// The venture's failover epoch.
    pub epoch: i64,
    /// The old primary.
    pub from_endpoint: String,
    /// The promoted standby.
    pub to_endpoint: String,
    /// A planned switchover (else a failover).
    pub planned: bool,
    /// The state machine's state.
    pub state: String,
    /// When it began.
    pub started_at: DateTime<Utc>,
    /// When it finished; `null` while in flight.
    pub finished_at: Option<DateTime<Utc>>,
    /// `completed`, `aborted`, …; `null` while in flight.
    pub outcome: Option<String>,
    /// Seconds from start to finish.
    pub duration_seconds: Option<f64>,
    /// Each recorded step.
    pub steps: Vec<FailoverStep>,
}

/// One planned or executed recovery.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoveryView {
    /// Store id.
    pub id: i64,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// The recovery target.
    pub target_time: DateTime<Utc>,
    /// `pgbackrest-restore`, `supabase-restore-pitr`, …
    pub method: String,
    /// Carried out (else only planned).
    pub executed: bool,
    /// The outcome.
    pub outcome: String,
    /// What happened (secrets removed).
    pub detail: String,
    /// Measured RTO of an executed recovery, seconds.
    pub rto_seconds: Option<f64>,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventView {
    /// Store id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// What happened (`objective_override_set`, …).
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// `agent` or `api:<who>`.
    pub actor: String,
    /// One line for humans (secrets removed).
    pub message: String,
    /// Structured details (secrets removed).
    pub details: serde_json::Value,
}

/// Failovers, newest first (pure).
pub fn failovers(records: &[FailoverRecord], scrub: &Scrubber) -> Vec<FailoverView> {
    let mut out: Vec<FailoverView> = records
        .iter()
        .map(|f| FailoverView {
            id: f.id,
            epoch: f.epoch,
            from_endpoint: f.from_endpoint.clone(),
            to_endpoint: f.to_endpoint.clone(),
            planned: f.planned,
            state: f.state.clone(),
            started_at: f.started_at,
            finished_at: f.finished_at,
            outcome: f.outcome.clone(),
            duration_seconds: f
                .finished_at
                .map(|t| (t - f.started_at).num_milliseconds() as f64 / 1000.0),
            steps: f
                .steps
                .iter()
                .map(|s| FailoverStep {
                    detail: scrub.text(&s.detail),
                    ..s.clone()
                })
                .collect(),
        })
        .collect();
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    out.truncate(RECENT);
    out
}

/// Recoveries, newest first (pure).
pub fn recoveries(records: &[RecoveryRecord], scrub: &Scrubber) -> Vec<RecoveryView> {
    let mut out: Vec<RecoveryView> = records
        .iter()
        .map(|r| RecoveryView {
            id: r.id,
            requested_at: r.requested_at,
            target_time: r.target_time,
            method: r.method.clone(),
            executed: r.executed,
            outcome: r.outcome.clone(),
            detail: scrub.text(&r.detail),
            rto_seconds: r.rto_seconds,
        })
        .collect();
    out.sort_by(|a, b| b.requested_at.cmp(&a.requested_at).then(b.id.cmp(&a.id)));
    out.truncate(RECENT);
    out
}

/// Events, newest first (pure).
pub fn events(records: &[Event], scrub: &Scrubber) -> Vec<EventView> {
    let mut out: Vec<EventView> = records
        .iter()
        .map(|e| EventView {
            id: e.id,
            at: e.event.at,
            kind: e.event.kind.clone(),
            severity: e.event.severity.clone(),
            actor: e.event.actor.clone(),
            message: scrub.text(&e.event.message),
            details: scrub.json(&e.event.details),
        })
        .collect();
    out.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    out.truncate(RECENT);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewEvent;

    #[test]
    fn events_are_scrubbed_and_newest_first() {
        let scrub = Scrubber::of(vec!["tok-secret-1".into()]);
        let at = Utc::now();
        let ev = |id, secs, msg: &str| Event {
            id,
            event: NewEvent {
                at: at + chrono::TimeDelta::seconds(secs),
                venture: Some("a".into()),
                kind: "k".into(),
                severity: "info".into(),
                actor: "agent".into(),
                message: msg.into(),
                details: serde_json::json!({ "m": msg }),
            },
        };
        let got = events(&[ev(1, 0, "first"), ev(2, 5, "with tok-secret-1")], &scrub);
        assert_eq!(got[0].id, 2);
        assert_eq!(got[0].message, "with [redacted]");
        assert_eq!(got[0].details["m"], "with [redacted]");
    }
}
