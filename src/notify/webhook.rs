//! Generic JSON webhook payload (pure): the notification as a flat object. Any 2xx succeeds.

use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::Notification;

/// The request body: `venture`, `event`, `severity`, `action`, `summary`, `details`, `at`.
///
/// ```
/// use backstop::config::Severity;
/// use backstop::notify::{webhook, Action, Notification};
///
/// let n = Notification {
///     venture: "acme".into(),
///     event: "drill_failed".into(),
///     severity: Severity::Warning,
///     action: Action::Trigger,
///     summary: "restore did not finish within 2h".into(),
///     details: serde_json::json!({"target": "latest"}),
///     at: "2025-03-04T05:06:07Z".parse().unwrap(),
/// };
/// assert_eq!(
///     webhook::body(&n).to_string(),
///     r#"{"action":"trigger","at":"2025-03-04T05:06:07.000Z","details":{"target":"latest"},"event":"drill_failed","severity":"warning","summary":"restore did not finish within 2h","venture":"acme"}"#
/// );
/// ```
pub fn body(n: &Notification) -> Value {
    json!({
        "venture": n.venture,
        "event": n.event,
        "severity": n.severity.as_str(),
        "action": n.action.as_str(),
        "summary": n.summary,
        "details": n.details,
        "at": n.at.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

/// Whether the receiver accepted it.
pub fn accepted(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::Severity;
    use crate::notify::Action;

    #[test]
    fn body_is_the_flat_notification() {
        let n = Notification {
            venture: "acme".into(),
            event: "archiving_failing".into(),
            severity: Severity::Info,
            action: Action::Resolve,
            summary: "archiving works again".into(),
            details: json!({"failed_count": 3}),
            at: chrono::Utc
                .with_ymd_and_hms(2025, 3, 4, 5, 6, 7)
                .single()
                .expect("valid"),
        };
        assert_eq!(
            body(&n),
            json!({
                "venture": "acme",
                "event": "archiving_failing",
                "severity": "info",
                "action": "resolve",
                "summary": "archiving works again",
                "details": {"failed_count": 3},
                "at": "2025-03-04T05:06:07.000Z",
            })
        );
    }

    #[test]
    fn any_2xx_is_accepted() {
        assert!(accepted(200));
        assert!(accepted(204));
        assert!(!accepted(301));
        assert!(!accepted(500));
    }
}
