//! Notifications from the agent itself, and Sentry cron check-ins ([`checkin`]): PagerDuty Events v2, Slack incoming webhooks and a
//! generic JSON webhook (DESIGN.md §11).
//!
//! A [`Notification`] names a venture, an event (`failover`, `drill_failed`, …), a severity and
//! whether it opens ([`Action::Trigger`]) or closes ([`Action::Resolve`]) an incident; the
//! incident key is `<venture>:<event>`. [`Notifier::notify`] never waits for the network: it
//! picks the receivers whose `min_severity` the event meets and queues it for each of them on a
//! bounded queue. One worker task per receiver delivers in order, with a per-request timeout and
//! retries with backoff on 429, 5xx and network errors. Every finished send becomes a
//! [`SendRecord`] (delivered, failed or dropped) on the channel given to the builder.
//!
//! Payloads are built by pure functions, one receiver per file: [`pagerduty`], [`slack`],
//! [`webhook`]. Routing keys and webhook URLs are secrets: they never appear in a record, an
//! error or a log line.
//!
//! ```no_run
//! # async fn demo(receivers: &[backstop::config::NotifyConfig]) -> Result<(), backstop::notify::NotifyError> {
//! use std::time::Duration;
//! use backstop::notify::{Action, Notification, Notifier};
//!
//! let (tx, mut records) = tokio::sync::mpsc::unbounded_channel();
//! let notifier = Notifier::builder(receivers).records(tx).build()?;
//! notifier.notify(Notification {
//!     venture: "acme".into(),
//!     event: "failover".into(),
//!     severity: backstop::config::Severity::Critical,
//!     action: Action::Trigger,
//!     summary: "acme: pg1 lost, pg2 promoted".into(),
//!     details: serde_json::json!({ "from": "pg1", "to": "pg2" }),
//!     at: chrono::Utc::now(),
//! });
//! notifier.shutdown(Duration::from_secs(5)).await;
//! while let Ok(record) = records.try_recv() {
//!     println!("{} {}", record.receiver, record.outcome);
//! }
//! # Ok(()) }
//! ```

pub mod checkin;
mod deliver;
mod error;
mod notifier;
pub mod pagerduty;
mod receiver;
mod record;
mod routing;
pub mod slack;
pub mod webhook;

use chrono::{DateTime, Utc};

use crate::config::Severity;

pub use error::NotifyError;
pub use notifier::{Notifier, NotifierBuilder};
pub use record::{Outcome, SendRecord};

/// Whether a notification opens or closes an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Something went wrong (PagerDuty `trigger`).
    Trigger,
    /// It recovered (PagerDuty `resolve`).
    Resolve,
}

impl Action {
    /// `trigger` or `resolve`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Trigger => "trigger",
            Action::Resolve => "resolve",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event to tell people about.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The venture it concerns.
    pub venture: String,
    /// What happened, a short identifier: `failover`, `drill_failed`, `archiving_failing`, …
    pub event: String,
    /// How bad; receivers below their `min_severity` do not get it. A resolve goes to the
    /// receivers its trigger went to, whatever its own severity.
    pub severity: Severity,
    /// Opens or closes the incident `<venture>:<event>`.
    pub action: Action,
    /// One human sentence.
    pub summary: String,
    /// Structured context (PagerDuty `custom_details`); `Null` for none.
    pub details: serde_json::Value,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Notification {
    /// The incident key, `<venture>:<event>` (PagerDuty's `dedup_key`).
    pub fn dedup_key(&self) -> String {
        format!("{}:{}", self.venture, self.event)
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub(crate) fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("abcd", 3), "ab…");
        assert_eq!(truncate_chars("ééééé", 4).chars().count(), 4);
    }
}
