//! What the controller tells people and records (pure): which refusals are worth an event, and
//! the notifications of a recommendation and of a finished failover.

use chrono::{DateTime, Utc};

use crate::config::Severity;
use crate::notify::{Action, Notification};
use crate::store::NewEvent;

use super::decision::{Plan, RefusalReason};
use super::execute::Finished;
use super::steps::outcome;

/// The variant name of a `Debug` rendering (`TooFarBehind { … }` → `TooFarBehind`).
fn variant(debug: &str) -> &str {
    let end = debug
        .find(|c: char| !c.is_alphanumeric() && c != '_')
        .unwrap_or(debug.len());
    &debug[..end]
}

/// A key that changes when the *kind* of refusal changes (not its figures, which move every
/// round), or `None` for answers that are not refusals to record: the primary is not down (yet),
/// or answered again (hysteresis doing its job), another agent leads, or a failover is running.
pub fn refusal_key(reason: &RefusalReason) -> Option<String> {
    match reason {
        RefusalReason::PrimaryNotDown { .. }
        | RefusalReason::PrimaryAnswered { .. }
        | RefusalReason::NotLeader
        | RefusalReason::InFlight { .. } => None,
        RefusalReason::NoCandidate(rejected) => Some(format!(
            "NoCandidate:{}",
            rejected
                .iter()
                .map(|r| format!("{}={}", r.endpoint, variant(&format!("{:?}", r.why))))
                .collect::<Vec<_>>()
                .join(",")
        )),
        other => Some(variant(&format!("{other:?}")).to_owned()),
    }
}

/// The audit event of a refusal.
pub fn refusal_event(venture: &str, reason: &RefusalReason, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        at,
        venture: Some(venture.to_owned()),
        kind: "failover_refused".to_owned(),
        severity: "warning".to_owned(),
        actor: "agent".to_owned(),
        message: format!("{venture}: failover refused: {reason}"),
        details: serde_json::json!({ "reason": reason.to_string() }),
    }
}

/// The notification (and event) of a `manual`-mode recommendation.
pub fn recommendation(venture: &str, plan: &Plan, at: DateTime<Utc>) -> Notification {
    Notification {
        venture: venture.to_owned(),
        event: "failover".to_owned(),
        severity: Severity::Critical,
        action: Action::Trigger,
        summary: format!(
            "{venture}: primary {} is down; failover to {} is recommended (mode manual): run `backstop failover --venture {venture} --to {}`",
            plan.from, plan.to, plan.to
        ),
        details: serde_json::json!({
            "from": plan.from, "to": plan.to, "lag_bytes": plan.lag_bytes,
            "timeline": plan.timeline, "reasons": plan.reasons,
        }),
        at,
    }
}

/// The notification of a finished failover: critical either way (a completed one leaves an old
/// primary to rejoin as a standby and a fence to clear).
pub fn finished(
    venture: &str,
    epoch: i64,
    from: &str,
    to: &str,
    done: &Finished,
    at: DateTime<Utc>,
) -> Notification {
    let summary = if done.outcome == outcome::COMPLETED {
        format!(
            "{venture}: failed over from {from} to {to} (epoch {epoch}) in {:.1}s; {from} is fenced until it is rejoined as a standby and the fence cleared",
            done.duration_seconds.unwrap_or_default()
        )
    } else {
        format!(
            "{venture}: failover {epoch} from {from} to {to} {}: {}",
            done.outcome, done.detail
        )
    };
    Notification {
        venture: venture.to_owned(),
        event: "failover".to_owned(),
        severity: Severity::Critical,
        action: Action::Trigger,
        summary,
        details: serde_json::json!({
            "epoch": epoch, "from": from, "to": to, "outcome": done.outcome,
            "detail": done.detail, "duration_seconds": done.duration_seconds,
        }),
        at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failover::{CandidateRefusal, Rejected};

    #[test]
    fn refusal_keys_ignore_figures_and_hysteresis() {
        let lag = |n| {
            RefusalReason::NoCandidate(vec![Rejected {
                endpoint: "pg2".into(),
                why: CandidateRefusal::TooFarBehind {
                    lag_bytes: n,
                    position: 1,
                    primary_lsn: 2,
                    max_lag_bytes: 3,
                },
            }])
        };
        assert_eq!(refusal_key(&lag(10)), refusal_key(&lag(20)));
        assert_eq!(
            refusal_key(&lag(10)).as_deref(),
            Some("NoCandidate:pg2=TooFarBehind")
        );
        assert_eq!(refusal_key(&RefusalReason::NotLeader), None);
        assert_eq!(
            refusal_key(&RefusalReason::NoPrimary).as_deref(),
            Some("NoPrimary")
        );
        assert_eq!(
            refusal_key(&RefusalReason::ModeOff {
                primary: "x".into()
            })
            .as_deref(),
            Some("ModeOff")
        );
    }
}
