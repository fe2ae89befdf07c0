//! What people are told after a drill, whatever started it (scheduler, API or `backstop drill`):
//! a failed drill triggers the incident `<venture>:drill` (critical, with the reason, the failed
//! step and the RTO/RPO against the objectives); a passed drill after a failed one resolves it;
//! an aborted drill is a warning-level notification (`drill_aborted`: chat, not a page with the
//! default `min_severity = "critical"` of PagerDuty receivers) and a warning event in the store.
//! "After a failed one" is judged from the store (the newest earlier drill that passed or failed),
//! so it holds across restarts and for drills run by `backstop drill`.
//!
//! [`notification`] is pure; [`after`] reads the store and queues the notification.

use chrono::{DateTime, Utc};

use super::DrillOutcome;
use crate::config::Severity;
use crate::notify::{truncate_chars, Action, Notification, Notifier};
use crate::state::Objectives;
use crate::store::{DrillRecord, NewEvent, Store};

/// Whether the newest drill before `id` that passed or failed passed (pure; `drills` oldest
/// first, as the store returns them).
pub fn previous_verdict(drills: &[DrillRecord], id: i64) -> Option<bool> {
    drills
        .iter()
        .filter(|d| d.id != id && d.finished_at.is_some())
        .filter(|d| d.outcome == "passed" || d.outcome == "failed")
        .max_by_key(|d| (d.started_at, d.id))
        .map(|d| d.outcome == "passed")
}

/// The notification a finished drill calls for, given the previous verdict (pure).
pub fn notification(
    o: &DrillOutcome,
    previous_passed: Option<bool>,
    objectives: &Objectives,
    now: DateTime<Utc>,
) -> Option<Notification> {
    let failed_step = o.steps.iter().find(|s| !s.ok).map(|s| s.name.clone());
    let details = serde_json::json!({
        "drill_id": o.id,
        "outcome": o.outcome,
        "target": o.target,
        "target_time": o.target_time,
        "reason": o.reason,
        "failed_step": failed_step,
        "rto_seconds": o.rto_seconds,
        "rpo_seconds": o.rpo_seconds,
        "rto_objective_seconds": objectives.rto.as_secs_f64(),
        "rpo_objective_seconds": objectives.rpo.as_secs_f64(),
        "started_at": o.started_at,
        "finished_at": o.finished_at,
    });
    let secs = |s: Option<f64>| s.map_or("-".to_owned(), |s| format!("{s:.1}s"));
    let (event, severity, action, summary) = match o.outcome.as_str() {
        "failed" => (
            "drill",
            Severity::Critical,
            Action::Trigger,
            format!(
                "{}: DR drill {} failed{}: {}",
                o.venture,
                o.id,
                failed_step.map_or(String::new(), |s| format!(" at {s}")),
                o.reason.as_deref().unwrap_or("no reason recorded")
            ),
        ),
        "passed" if previous_passed == Some(false) => (
            "drill",
            // Critical, so the resolve reaches every receiver the failure paged.
            Severity::Critical,
            Action::Resolve,
            format!(
                "{}: DR drill {} passed again: RTO {} (objective {}), RPO {} (objective {})",
                o.venture,
                o.id,
                secs(o.rto_seconds),
                secs(Some(objectives.rto.as_secs_f64())),
                secs(o.rpo_seconds),
                secs(Some(objectives.rpo.as_secs_f64())),
            ),
        ),
        "aborted" => (
            "drill_aborted",
            Severity::Warning,
            Action::Trigger,
            format!(
                "{}: DR drill {} aborted: {}",
                o.venture,
                o.id,
                o.reason.as_deref().unwrap_or("no reason recorded")
            ),
        ),
        _ => return None,
    };
    Some(Notification {
        venture: o.venture.clone(),
        event: event.to_owned(),
        severity,
        action,
        summary: truncate_chars(&summary, 1000),
        details,
        at: now,
    })
}

/// Queues the notification `o` calls for (and records an aborted drill as a warning event).
/// Store errors are logged: the drill itself is already recorded.
pub async fn after(notifier: &Notifier, store: &Store, objectives: &Objectives, o: &DrillOutcome) {
    let previous = match store
        .drills(
            &o.venture,
            DateTime::UNIX_EPOCH,
            o.started_at + chrono::TimeDelta::seconds(1),
        )
        .await
    {
        Ok(drills) => previous_verdict(&drills, o.id),
        Err(e) => {
            tracing::warn!(venture = %o.venture, error = %e,
                "could not read earlier drills; a recovery after a failure is not resolved");
            None
        }
    };
    let Some(n) = notification(o, previous, objectives, Utc::now()) else {
        return;
    };
    if o.outcome == "aborted" {
        let event = NewEvent {
            at: n.at,
            venture: Some(o.venture.clone()),
            kind: "drill".to_owned(),
            severity: "warning".to_owned(),
            actor: "drill".to_owned(),
            message: n.summary.clone(),
            details: n.details.clone(),
        };
        if let Err(e) = store.append_event(&event).await {
            tracing::warn!(venture = %o.venture, error = %e, "recording the aborted drill's event failed");
        }
    }
    tracing::info!(venture = %o.venture, event = %n.event, action = %n.action, "drill notification");
    notifier.notify(n);
}

/// How long `backstop drill` waits for its notification to go out before exiting.
pub const COMMAND_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// [`after`] for a one-shot process (`backstop drill`): its own notifier (sends recorded in
/// the store), drained for up to [`COMMAND_GRACE`].
pub async fn after_command(config: &crate::config::Config, o: &DrillOutcome) {
    if config.notify.is_empty() && o.outcome != "aborted" {
        return;
    }
    let store = match Store::open(&config.agent.state).await {
        Ok(store) => store,
        Err(e) => {
            tracing::warn!(error = %e, "no drill notification: the state store does not open");
            return;
        }
    };
    let (sends, records) = tokio::sync::mpsc::unbounded_channel();
    let notifier = match Notifier::builder(&config.notify).records(sends).build() {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "notifications are off for this drill");
            return;
        }
    };
    let recorder = tokio::spawn(crate::plumbing::record_sends(store.clone(), records));
    let objectives = config
        .venture(&o.venture)
        .map(crate::config::VentureConfig::objectives)
        .unwrap_or_default();
    after(&notifier, &store, &objectives, o).await;
    notifier.shutdown(COMMAND_GRACE).await;
    let _ = tokio::time::timeout(COMMAND_GRACE, recorder).await;
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn outcome(outcome: &str, reason: Option<&str>) -> DrillOutcome {
        let at: DateTime<Utc> = "2026-04-01T03:00:00Z".parse().expect("time");
        DrillOutcome {
            venture: "acme".into(),
            id: 7,
            outcome: outcome.into(),
            target: "latest",
            target_time: Some(at),
            started_at: at,
            finished_at: at,
            rto_seconds: (outcome == "passed").then_some(42.0),
            rpo_seconds: (outcome == "passed").then_some(3.5),
            rpo_basis: None,
            base_backup: None,
            reason: reason.map(str::to_owned),
            log_excerpt: None,
            steps: vec![crate::store::DrillStep {
                name: "restore".into(),
                seconds: 1.0,
                ok: outcome != "failed",
                detail: String::new(),
            }],
        }
    }

    fn record(id: i64, outcome: &str, minute: u32) -> DrillRecord {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 0, minute, 0)
            .single()
            .expect("time");
        DrillRecord {
            id,
            venture: "acme".into(),
            started_at: at,
            finished_at: Some(at),
            outcome: outcome.into(),
            target_time: None,
            rto_seconds: None,
            rpo_seconds: None,
            reason: None,
            log_excerpt: None,
            steps: vec![],
        }
    }

    #[test]
    fn the_previous_verdict_skips_aborted_and_unfinished_drills() {
        let mut running = record(5, "running", 5);
        running.finished_at = None;
        let cases: [(Vec<DrillRecord>, Option<bool>); 4] = [
            (vec![], None),
            (
                vec![record(1, "failed", 1), record(7, "passed", 7)],
                Some(false),
            ),
            (
                vec![
                    record(1, "passed", 1),
                    record(2, "failed", 2),
                    record(3, "passed", 3),
                    record(4, "aborted", 4),
                    running,
                ],
                Some(true),
            ),
            (vec![record(1, "aborted", 1)], None),
        ];
        for (drills, verdict) in cases {
            assert_eq!(previous_verdict(&drills, 7), verdict, "{drills:?}");
        }
    }

    #[test]
    fn failures_trigger_recoveries_resolve_and_aborts_only_warn() {
        let objectives = Objectives {
            rto: Duration::from_secs(3600),
            rpo: Duration::from_secs(300),
            ..Objectives::default()
        };
        let now = Utc::now();
        let failed = notification(
            &outcome("failed", Some("restore failed: checksum")),
            Some(true),
            &objectives,
            now,
        )
        .expect("a failure notifies");
        assert_eq!(
            (failed.dedup_key().as_str(), failed.action, failed.severity),
            ("acme:drill", Action::Trigger, Severity::Critical)
        );
        assert!(
            failed
                .summary
                .contains("failed at restore: restore failed: checksum"),
            "{}",
            failed.summary
        );
        assert_eq!(failed.details["rto_objective_seconds"], 3600.0);
        assert_eq!(failed.details["rpo_objective_seconds"], 300.0);
        assert!(failed.details["rto_seconds"].is_null());

        let recovered = notification(&outcome("passed", None), Some(false), &objectives, now)
            .expect("resolves");
        assert_eq!(
            (recovered.dedup_key().as_str(), recovered.action),
            ("acme:drill", Action::Resolve)
        );
        assert!(
            recovered
                .summary
                .contains("RTO 42.0s (objective 3600.0s), RPO 3.5s"),
            "{}",
            recovered.summary
        );
        assert_eq!(recovered.details["rpo_seconds"], 3.5);

        assert_eq!(
            notification(&outcome("passed", None), Some(true), &objectives, now),
            None
        );
        assert_eq!(
            notification(&outcome("passed", None), None, &objectives, now),
            None
        );

        let aborted = notification(
            &outcome("aborted", Some("no endpoint to dump")),
            Some(true),
            &objectives,
            now,
        )
        .expect("warns");
        assert_eq!(
            (aborted.dedup_key().as_str(), aborted.severity),
            ("acme:drill_aborted", Severity::Warning)
        );
    }
}
