//! Slack incoming-webhook payloads (pure): a fallback `text` plus a header, the summary and the
//! details as blocks. Success is HTTP 200 with the plain-text body `ok`.

use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::{truncate_chars, Action, Notification};

/// Slack's limit on a header block's text, in characters.
const MAX_HEADER: usize = 150;
/// Slack's limit on a section block's text is 3,000 characters; stay clear of it.
const MAX_SECTION: usize = 2900;

/// The headline: `[critical] acme failover`, or `[critical, resolved] acme failover`.
pub fn headline(n: &Notification) -> String {
    let state = match n.action {
        Action::Trigger => String::new(),
        Action::Resolve => ", resolved".to_string(),
    };
    format!("[{}{state}] {} {}", n.severity, n.venture, n.event)
}

/// Escapes the three characters Slack's mrkdwn treats as control characters.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The request body for the webhook URL.
pub fn message(n: &Notification) -> Value {
    let headline = headline(n);
    let summary = escape(&truncate_chars(&n.summary, MAX_SECTION));
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": {"type": "plain_text", "text": truncate_chars(&headline, MAX_HEADER)},
        }),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": summary}}),
    ];
    if !n.details.is_null() {
        let details = truncate_chars(&n.details.to_string(), MAX_SECTION - 8);
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": format!("```{}```", escape(&details))},
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": format!("backstop · {}", n.at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        }],
    }));
    json!({
        "text": escape(&truncate_chars(&format!("{headline}: {}", n.summary), MAX_SECTION)),
        "blocks": blocks,
    })
}

/// Whether Slack accepted the message.
pub fn accepted(status: u16, body: &str) -> bool {
    status == 200 && body.trim() == "ok"
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::config::Severity;

    fn drill(action: Action) -> Notification {
        Notification {
            venture: "acme".into(),
            event: "drill_failed".into(),
            severity: Severity::Warning,
            action,
            summary: "restore <timed out> & gave up".into(),
            details: Value::Null,
            at: chrono::Utc
                .with_ymd_and_hms(2025, 3, 4, 5, 6, 7)
                .single()
                .expect("valid"),
        }
    }

    #[test]
    fn message_has_fallback_text_and_blocks() {
        let body = message(&drill(Action::Trigger));
        assert_eq!(
            body["text"],
            "[warning] acme drill_failed: restore &lt;timed out&gt; &amp; gave up"
        );
        let blocks = body["blocks"].as_array().expect("blocks");
        assert_eq!(blocks.len(), 3, "no details block for null details");
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(blocks[0]["text"]["text"], "[warning] acme drill_failed");
        assert_eq!(
            blocks[1]["text"]["text"],
            "restore &lt;timed out&gt; &amp; gave up"
        );
        assert_eq!(
            blocks[2]["elements"][0]["text"],
            "backstop · 2025-03-04T05:06:07Z"
        );
    }

    #[test]
    fn resolve_says_so_and_details_become_code() {
        let mut n = drill(Action::Resolve);
        n.details = json!({"backup": "20250304-050000F"});
        let body = message(&n);
        assert!(body["text"]
            .as_str()
            .expect("text")
            .starts_with("[warning, resolved] acme drill_failed"));
        assert_eq!(
            body["blocks"][2]["text"]["text"],
            "```{\"backup\":\"20250304-050000F\"}```"
        );
    }

    #[test]
    fn only_200_ok_is_accepted() {
        assert!(accepted(200, "ok"));
        assert!(!accepted(200, "invalid_payload"));
        assert!(!accepted(400, "ok"));
    }
}
