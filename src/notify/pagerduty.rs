//! PagerDuty Events API v2 payloads (pure): a trigger carries the full event, a resolve only the
//! routing key, the action and the dedup key `<venture>:<event>`. Success is HTTP 202.

use chrono::SecondsFormat;
use serde_json::{json, Map, Value};

use crate::config::Severity;

use super::{truncate_chars, Action, Notification};

/// PagerDuty's limit on `payload.summary`, in characters.
pub const MAX_SUMMARY: usize = 1024;
/// PagerDuty's limit on `dedup_key`, in characters.
pub const MAX_DEDUP_KEY: usize = 255;
/// `source`, `group` and `client` of every event.
pub const SOURCE: &str = "backstop";

/// PagerDuty's severity for ours (PagerDuty also has `error`, which we do not use).
pub fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// The request body for `POST /v2/enqueue`.
pub fn event(routing_key: &str, n: &Notification) -> Value {
    let dedup_key = truncate_chars(&n.dedup_key(), MAX_DEDUP_KEY);
    if n.action == Action::Resolve {
        return json!({
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": dedup_key,
        });
    }
    let mut payload = Map::new();
    payload.insert(
        "summary".into(),
        truncate_chars(&n.summary, MAX_SUMMARY).into(),
    );
    payload.insert("source".into(), SOURCE.into());
    payload.insert("severity".into(), severity(n.severity).into());
    payload.insert(
        "timestamp".into(),
        n.at.to_rfc3339_opts(SecondsFormat::Millis, true).into(),
    );
    payload.insert("component".into(), n.venture.clone().into());
    payload.insert("group".into(), SOURCE.into());
    payload.insert("class".into(), n.event.clone().into());
    if !n.details.is_null() {
        payload.insert("custom_details".into(), n.details.clone());
    }
    json!({
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": payload,
        "client": SOURCE,
    })
}

/// Whether PagerDuty accepted the event.
pub fn accepted(status: u16) -> bool {
    status == 202
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn failover(action: Action) -> Notification {
        Notification {
            venture: "acme".into(),
            event: "failover".into(),
            severity: Severity::Critical,
            action,
            summary: "pg1 lost, pg2 promoted".into(),
            details: json!({"from": "pg1", "to": "pg2"}),
            at: chrono::Utc
                .with_ymd_and_hms(2025, 3, 4, 5, 6, 7)
                .single()
                .expect("valid"),
        }
    }

    #[test]
    fn trigger_is_the_documented_event() {
        let body = event("key123", &failover(Action::Trigger));
        assert_eq!(
            body,
            json!({
                "routing_key": "key123",
                "event_action": "trigger",
                "dedup_key": "acme:failover",
                "payload": {
                    "summary": "pg1 lost, pg2 promoted",
                    "source": "backstop",
                    "severity": "critical",
                    "timestamp": "2025-03-04T05:06:07.000Z",
                    "component": "acme",
                    "group": "backstop",
                    "class": "failover",
                    "custom_details": {"from": "pg1", "to": "pg2"},
                },
                "client": "backstop",
            })
        );
    }

    #[test]
    fn resolve_carries_only_key_action_and_dedup_key() {
        let body = event("key123", &failover(Action::Resolve));
        assert_eq!(
            body,
            json!({"routing_key": "key123", "event_action": "resolve", "dedup_key": "acme:failover"})
        );
    }

    #[test]
    fn long_summaries_are_cut_and_null_details_omitted() {
        let mut n = failover(Action::Trigger);
        n.summary = "x".repeat(5000);
        n.details = Value::Null;
        n.severity = Severity::Warning;
        let body = event("k", &n);
        let summary = body["payload"]["summary"].as_str().expect("summary");
        assert_eq!(summary.chars().count(), MAX_SUMMARY);
        assert!(body["payload"].get("custom_details").is_none());
        assert_eq!(body["payload"]["severity"], "warning");
        assert_eq!(severity(Severity::Info), "info");
    }

    #[test]
    fn only_202_is_accepted() {
        assert!(accepted(202));
        assert!(!accepted(200));
        assert!(!accepted(400));
    }
}
