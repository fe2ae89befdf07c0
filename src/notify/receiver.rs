//! One configured receiver: its name (`slack#1`), where to send, what to send, what counts as
//! success, and which strings must never leave it (the routing key, the webhook URL).

use serde_json::Value;

use crate::config::{NotifyConfig, NotifyTarget, Severity};

use super::{pagerduty, slack, truncate_chars, webhook, Notification, NotifyError};

/// How much of an unexpected response body goes into an error.
const MAX_BODY_EXCERPT: usize = 200;
/// Secret fragments shorter than this are not worth redacting (and would mangle text).
const MIN_REDACTED: usize = 6;

/// A receiver, built from its `[[notify]]` entry.
#[derive(Debug, Clone)]
pub(crate) struct Receiver {
    /// `<kind>#<index>`.
    pub name: String,
    /// Lowest severity it gets.
    pub min_severity: Severity,
    target: NotifyTarget,
}

impl Receiver {
    /// The receiver at position `index` of `[[notify]]`.
    pub fn new(index: usize, config: &NotifyConfig) -> Self {
        Self {
            name: format!("{}#{index}", config.kind()),
            min_severity: config.min_severity,
            target: config.target.clone(),
        }
    }

    /// Where to POST (a secret for Slack and webhooks: pass it to the HTTP client only).
    pub fn url(&self) -> &str {
        match &self.target {
            NotifyTarget::PagerDuty { url, .. } => url,
            NotifyTarget::Slack { url } | NotifyTarget::Webhook { url } => url.expose(),
        }
    }

    /// The JSON body for this notification.
    pub fn body(&self, n: &Notification) -> Value {
        match &self.target {
            NotifyTarget::PagerDuty { routing_key, .. } => {
                pagerduty::event(routing_key.expose(), n)
            }
            NotifyTarget::Slack { .. } => slack::message(n),
            NotifyTarget::Webhook { .. } => webhook::body(n),
        }
    }

    /// Judges an answer: `Ok` when delivered, else the error (transient or not).
    pub fn judge(&self, status: u16, body: &str) -> Result<(), NotifyError> {
        let accepted = match &self.target {
            NotifyTarget::PagerDuty { .. } => pagerduty::accepted(status),
            NotifyTarget::Slack { .. } => slack::accepted(status, body),
            NotifyTarget::Webhook { .. } => webhook::accepted(status),
        };
        if accepted {
            return Ok(());
        }
        let body = self.redact(&truncate_chars(body.trim(), MAX_BODY_EXCERPT));
        if (200..300).contains(&status) {
            Err(NotifyError::Unexpected { status, body })
        } else {
            Err(NotifyError::Status { status, body })
        }
    }

    /// `text` with every secret of this receiver replaced by `[redacted]`: the routing key,
    /// the webhook URL, and the URL's path (where Slack and most webhooks keep the token).
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in self.secrets() {
            if secret.len() >= MIN_REDACTED {
                out = out.replace(secret, "[redacted]");
            }
        }
        out
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.target {
            NotifyTarget::PagerDuty { routing_key, .. } => vec![routing_key.expose()],
            NotifyTarget::Slack { url } | NotifyTarget::Webhook { url } => {
                let url = url.expose();
                let path = url
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .filter(|p| *p != "/");
                std::iter::once(url).chain(path).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn slack() -> Receiver {
        Receiver::new(
            1,
            &NotifyConfig {
                min_severity: Severity::Warning,
                target: NotifyTarget::Slack {
                    url: Secret::new("https://hooks.slack.com/services/T0/B0/tok3n"),
                },
            },
        )
    }

    #[test]
    fn names_follow_kind_and_index() {
        assert_eq!(slack().name, "slack#1");
    }

    #[test]
    fn redacts_the_url_and_its_path() {
        let r = slack();
        assert_eq!(
            r.redact("posting to https://hooks.slack.com/services/T0/B0/tok3n failed"),
            "posting to [redacted] failed"
        );
        assert_eq!(
            r.redact("no such hook /services/T0/B0/tok3n"),
            "no such hook [redacted]"
        );
    }

    #[test]
    fn judges_slack_answers() {
        let r = slack();
        assert_eq!(r.judge(200, "ok\n"), Ok(()));
        let err = r.judge(200, "no_text").expect_err("not ok");
        assert!(!err.is_transient());
        let err = r.judge(500, "rollup_error").expect_err("5xx");
        assert!(err.is_transient());
        assert_eq!(err.to_string(), "HTTP 500: rollup_error");
    }
}
