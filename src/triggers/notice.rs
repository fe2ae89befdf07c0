//! What a trigger run leaves behind (pure): a `trigger` event in the store when it starts
//! (`details.phase = "started"`, so a crash mid-run still counts for the cooldown after a
//! restart) and one when it ends (`"finished"`, with the outcome and the output excerpt), and the
//! notification `<venture>:trigger_<label>` — a warning that opens it when the run failed, an
//! info that resolves it when the run succeeded.
//!
//! The command text is shown with password-looking values removed and capped; a webhook is
//! shown as `webhook`, never its URL.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::condition::Condition;
use super::excerpt::redact;
use crate::config::{Severity, TriggerAction};
use crate::notify::{truncate_chars, Action, Notification};
use crate::store::NewEvent;

/// The `kind` of trigger events in the store.
pub const EVENT_KIND: &str = "trigger";

/// One run, as recorded and told.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFacts<'a> {
    /// The venture.
    pub venture: &'a str,
    /// The trigger's label.
    pub trigger: &'a str,
    /// What it does, as shown ([`shown`]).
    pub action: String,
    /// The condition that held.
    pub condition: &'a Condition,
    /// Whether the condition cleared since the previous run (`None`: first run known).
    pub cleared: Option<bool>,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// How an action is shown: the command (password-looking values removed, at most 200
/// characters), or `webhook`.
pub fn shown(action: &TriggerAction, secrets: &[&str]) -> String {
    match action {
        TriggerAction::Run(command) => truncate_chars(&redact(command, secrets), 200),
        TriggerAction::Webhook(_) => "webhook".to_owned(),
    }
}

fn what(f: &RunFacts<'_>) -> String {
    if f.action == "webhook" {
        "called its webhook".to_owned()
    } else {
        format!("ran `{}`", f.action)
    }
}

fn base_details(f: &RunFacts<'_>) -> serde_json::Value {
    json!({
        "trigger": f.trigger,
        "action": f.action,
        "condition": f.condition.rule,
        "detail": f.condition.detail,
        "cleared_since_last_run": f.cleared,
        "started_at": f.started_at.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

/// The event recorded when a run starts.
pub fn started_event(f: &RunFacts<'_>) -> NewEvent {
    let mut details = base_details(f);
    details["phase"] = json!("started");
    NewEvent {
        at: f.started_at,
        venture: Some(f.venture.to_owned()),
        kind: EVENT_KIND.to_owned(),
        severity: "info".to_owned(),
        actor: "agent".to_owned(),
        message: truncate_chars(
            &format!(
                "{}: trigger {} started ({}): {}",
                f.venture, f.trigger, f.condition.rule, f.condition.detail
            ),
            1000,
        ),
        details,
    }
}

/// The event recorded when a run ends: `result` is what happened or why it failed.
pub fn finished_event(
    f: &RunFacts<'_>,
    result: &Result<String, String>,
    excerpt: &str,
    finished_at: DateTime<Utc>,
) -> NewEvent {
    let (outcome, severity, how) = match result {
        Ok(how) => ("ok", "info", how),
        Err(why) => ("failed", "warning", why),
    };
    let mut details = base_details(f);
    details["phase"] = json!("finished");
    details["outcome"] = json!(outcome);
    details["result"] = json!(how);
    details["output"] = json!(excerpt);
    details["seconds"] = json!((finished_at - f.started_at).num_milliseconds() as f64 / 1000.0);
    NewEvent {
        at: finished_at,
        venture: Some(f.venture.to_owned()),
        kind: EVENT_KIND.to_owned(),
        severity: severity.to_owned(),
        actor: "agent".to_owned(),
        message: summary(f, result),
        details,
    }
}

fn summary(f: &RunFacts<'_>, result: &Result<String, String>) -> String {
    let end = match result {
        Ok(_) => "ok".to_owned(),
        Err(why) => format!("failed: {why}"),
    };
    truncate_chars(
        &format!("{}: trigger {} {}: {end}", f.venture, f.trigger, what(f)),
        1000,
    )
}

/// The notification a finished run calls for.
pub fn notification(
    f: &RunFacts<'_>,
    result: &Result<String, String>,
    excerpt: &str,
    finished_at: DateTime<Utc>,
) -> Notification {
    let (severity, action) = match result {
        Ok(_) => (Severity::Info, Action::Resolve),
        Err(_) => (Severity::Warning, Action::Trigger),
    };
    let mut details = base_details(f);
    details["outcome"] = json!(if result.is_ok() { "ok" } else { "failed" });
    details["output"] = json!(truncate_chars(excerpt, 500));
    Notification {
        venture: f.venture.to_owned(),
        event: format!("trigger_{}", f.trigger),
        severity,
        action,
        summary: summary(f, result),
        details,
        at: finished_at,
    }
}

/// When the newest run of `trigger` started, from the store's `trigger` events of its venture
/// (`details.started_at`, else the event's time).
pub fn last_recorded(events: &[crate::store::Event], trigger: &str) -> Option<DateTime<Utc>> {
    events
        .iter()
        .filter(|e| e.event.kind == EVENT_KIND && e.event.details["trigger"] == trigger)
        .map(|e| {
            e.event.details["started_at"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(e.event.at)
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    fn facts(c: &Condition) -> RunFacts<'_> {
        RunFacts {
            venture: "acme",
            trigger: "backup_stale",
            action: shown(
                &TriggerAction::Run("pgbackrest --stanza=acme backup --type=incr".into()),
                &[],
            ),
            condition: c,
            cleared: None,
            started_at: at("2026-05-01T12:00:00Z"),
        }
    }

    #[test]
    fn runs_are_recorded_and_told() {
        let c = Condition {
            rule: "backup_stale",
            detail: "newest usable backup stopped 9s ago".into(),
        };
        let f = facts(&c);
        let started = started_event(&f);
        assert_eq!(
            (started.kind.as_str(), started.details["phase"].as_str()),
            ("trigger", Some("started"))
        );
        let end = at("2026-05-01T12:01:30Z");
        let ok = finished_event(&f, &Ok("exit status: 0".into()), "done", end);
        assert_eq!(
            ok.message,
            "acme: trigger backup_stale ran `pgbackrest --stanza=acme backup --type=incr`: ok"
        );
        assert_eq!(
            (
                ok.details["outcome"].as_str(),
                ok.details["seconds"].as_f64()
            ),
            (Some("ok"), Some(90.0))
        );
        assert_eq!(ok.details["output"], "done");
        let failed: Result<String, String> = Err("exited with exit status: 2".into());
        let n = notification(&f, &failed, "ERROR: [056]", end);
        assert_eq!(
            (n.dedup_key().as_str(), n.severity, n.action),
            (
                "acme:trigger_backup_stale",
                Severity::Warning,
                Action::Trigger
            )
        );
        assert!(
            n.summary.ends_with("failed: exited with exit status: 2"),
            "{}",
            n.summary
        );
        let n = notification(&f, &Ok("exit status: 0".into()), "", end);
        assert_eq!((n.severity, n.action), (Severity::Info, Action::Resolve));

        let events: Vec<crate::store::Event> = [started, ok]
            .into_iter()
            .enumerate()
            .map(|(i, event)| crate::store::Event {
                id: i as i64,
                event,
            })
            .collect();
        assert_eq!(last_recorded(&events, "backup_stale"), Some(f.started_at));
        assert_eq!(last_recorded(&events, "backup_stale_2"), None);
    }

    #[test]
    fn actions_are_shown_without_secrets() {
        let hook = TriggerAction::Webhook(Secret::new("https://hooks.example.com/s3cr3t"));
        assert_eq!(shown(&hook, &[]), "webhook");
        assert_eq!(
            shown(
                &TriggerAction::Run("PGPASSWORD=x psql -c 'select 1'".into()),
                &[]
            ),
            "PGPASSWORD=[redacted] psql -c 'select 1'"
        );
    }
}
