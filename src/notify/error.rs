//! [`NotifyError`]: the one error enum of the notification subsystem.
//!
//! Texts are built from secret-free parts only: HTTP statuses, a short excerpt of the response
//! body with secrets redacted, and transport errors stripped of their URL.

use std::time::Duration;

use crate::error::ErrorKind;

/// Why a notification was not delivered, or why the notifier could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// No answer within the per-request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection could not be made or broke.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The receiver answered with a status that is not success.
    #[error("HTTP {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// A short, redacted excerpt of the response body.
        body: String,
    },
    /// The receiver answered with a success status but not the documented body or status
    /// (Slack without `ok`, PagerDuty without 202).
    #[error("unexpected answer, HTTP {status}: {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// A short, redacted excerpt of the response body.
        body: String,
    },
    /// The request could not be made (not a network failure; not retried).
    #[error("request failed: {0}")]
    Request(String),
    /// The receiver's queue was full: the notification was dropped unsent.
    #[error("queue full, notification dropped")]
    QueueFull,
    /// The notifier shut down before the notification could be delivered.
    #[error("shut down before delivery")]
    Shutdown,
    /// The notifier could not start (no Tokio runtime, HTTP client setup).
    #[error("cannot start notifier: {0}")]
    Setup(String),
}

impl NotifyError {
    /// The bounded `kind` label.
    pub fn kind(&self) -> ErrorKind {
        match self {
            NotifyError::Timeout(_) => ErrorKind::Timeout,
            NotifyError::Connect(_) => ErrorKind::Connect,
            NotifyError::Status { status: 429, .. } => ErrorKind::RateLimited,
            NotifyError::Status {
                status: 401 | 403, ..
            } => ErrorKind::Auth,
            NotifyError::Status { .. } | NotifyError::Request(_) => ErrorKind::Http,
            NotifyError::Unexpected { .. } => ErrorKind::Parse,
            // Back-pressure: we produce notifications faster than the receiver takes them.
            NotifyError::QueueFull => ErrorKind::RateLimited,
            // The grace period ran out.
            NotifyError::Shutdown => ErrorKind::Timeout,
            NotifyError::Setup(_) => ErrorKind::Config,
        }
    }

    /// Whether another attempt may succeed: 429, 5xx, timeouts and connection failures.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::Timeout(_) | NotifyError::Connect(_) => true,
            NotifyError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> NotifyError {
        NotifyError::Status {
            status,
            body: String::new(),
        }
    }

    #[test]
    fn kinds_and_retries() {
        assert_eq!(status(429).kind(), ErrorKind::RateLimited);
        assert_eq!(status(403).kind(), ErrorKind::Auth);
        assert_eq!(status(503).kind(), ErrorKind::Http);
        assert!(status(429).is_transient());
        assert!(status(500).is_transient());
        assert!(!status(400).is_transient());
        assert!(!status(404).is_transient());
        assert!(NotifyError::Timeout(Duration::from_secs(1)).is_transient());
        assert!(NotifyError::Connect("refused".into()).is_transient());
        assert!(!NotifyError::Request("builder".into()).is_transient());
        assert_eq!(
            status(502).to_string(),
            "HTTP 502: ",
            "the text is status and body only"
        );
    }
}
