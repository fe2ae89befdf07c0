//! [`SendRecord`]: what became of one notification at one receiver, for the durable store.

use chrono::{DateTime, Utc};

use crate::config::Severity;

use super::Action;

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The receiver accepted it.
    Delivered,
    /// Every allowed attempt failed, or the receiver refused it for good (4xx).
    Failed,
    /// Never attempted: the receiver's queue was full, or the notifier shut down first.
    Dropped,
}

impl Outcome {
    /// `delivered`, `failed` or `dropped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Failed => "failed",
            Outcome::Dropped => "dropped",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finished send. It never holds a routing key or a webhook URL.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRecord {
    /// When the send finished (or was dropped).
    pub at: DateTime<Utc>,
    /// `<kind>#<index>` by position in `[[notify]]`: `pagerduty#0`, `slack#1`, `webhook#2`.
    pub receiver: String,
    /// The venture, `None` when the notification named none.
    pub venture: Option<String>,
    /// The event, e.g. `failover`.
    pub event: String,
    /// Trigger or resolve.
    pub action: Action,
    /// The notification's severity.
    pub severity: Severity,
    /// Delivered, failed or dropped.
    pub outcome: Outcome,
    /// HTTP attempts made (0 when dropped).
    pub attempts: i32,
    /// The last HTTP status received, if any.
    pub status: Option<i32>,
    /// Why it was not delivered (secret-free), `None` when delivered.
    pub error: Option<String>,
}

impl SendRecord {
    /// The record of `n` at `receiver`, finished now.
    pub(crate) fn finished(
        receiver: &str,
        n: &super::Notification,
        outcome: Outcome,
        attempts: u32,
        status: Option<u16>,
        error: Option<&super::NotifyError>,
    ) -> Self {
        Self {
            at: Utc::now(),
            receiver: receiver.to_string(),
            venture: Some(n.venture.clone()).filter(|v| !v.is_empty()),
            event: n.event.clone(),
            action: n.action,
            severity: n.severity,
            outcome,
            attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
            status: status.map(i32::from),
            error: error.map(ToString::to_string),
        }
    }
}
