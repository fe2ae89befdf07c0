//! Delivering one notification to one receiver: POST with a timeout, retry transient failures
//! (429, 5xx, timeouts, connection errors) with exponential backoff and jitter, honouring
//! `Retry-After` (seconds) up to a cap.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::header::RETRY_AFTER;

use super::receiver::Receiver;
use super::{Notification, NotifyError};

/// Retry and timeout settings.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    /// Attempts in all, at least 1.
    pub attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub base: Duration,
    /// Longest backoff.
    pub max: Duration,
    /// Longest wait a `Retry-After` header can impose.
    pub max_retry_after: Duration,
    /// Per-request timeout (connect, send, answer).
    pub timeout: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_secs(1),
            max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
        }
    }
}

impl Policy {
    /// The wait after failed attempt number `attempt` (1-based): `base·2^(attempt-1)` capped at
    /// `max`, then between half and all of it (jitter), and never less than `Retry-After`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max);
        let backoff = exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(after) => backoff.max(after.min(self.max_retry_after)),
            None => backoff,
        }
    }
}

/// What a delivery has done so far, readable if it is cancelled midway.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Attempts started.
    pub attempts: AtomicU32,
    /// Last HTTP status received, 0 for none.
    pub status: AtomicU32,
}

impl Progress {
    /// Attempts started.
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }

    /// The last HTTP status received.
    pub fn status(&self) -> Option<u16> {
        match self.status.load(Ordering::Relaxed) {
            0 => None,
            s => u16::try_from(s).ok(),
        }
    }
}

/// Delivers `n` to `receiver`, retrying as `policy` allows.
pub(crate) async fn deliver(
    client: &reqwest::Client,
    receiver: &Receiver,
    n: &Notification,
    policy: &Policy,
    progress: &Progress,
) -> Result<(), NotifyError> {
    let body = receiver.body(n);
    loop {
        let attempt = progress.attempts.fetch_add(1, Ordering::Relaxed) + 1;
        let (result, retry_after) = attempt_once(client, receiver, &body, policy, progress).await;
        match result {
            Err(err) if err.is_transient() && attempt < policy.attempts.max(1) => {
                tokio::time::sleep(policy.delay(attempt, retry_after, jitter())).await;
            }
            result => return result,
        }
    }
}

/// One POST; also returns the `Retry-After` the receiver asked for.
async fn attempt_once(
    client: &reqwest::Client,
    receiver: &Receiver,
    body: &serde_json::Value,
    policy: &Policy,
    progress: &Progress,
) -> (Result<(), NotifyError>, Option<Duration>) {
    let exchange = async {
        let response = client.post(receiver.url()).json(body).send().await?;
        let status = response.status().as_u16();
        progress.status.store(u32::from(status), Ordering::Relaxed);
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, retry_after, text))
    };
    match tokio::time::timeout(policy.timeout, exchange).await {
        Err(_) => (Err(NotifyError::Timeout(policy.timeout)), None),
        Ok(Err(err)) => (Err(transport_error(receiver, err, policy.timeout)), None),
        Ok(Ok((status, retry_after, text))) => (
            receiver.judge(status, &String::from_utf8_lossy(&text)),
            retry_after,
        ),
    }
}

/// A reqwest error as a [`NotifyError`], without its URL and with secrets redacted.
fn transport_error(receiver: &Receiver, err: reqwest::Error, timeout: Duration) -> NotifyError {
    let err = err.without_url();
    if err.is_timeout() {
        return NotifyError::Timeout(timeout);
    }
    let network = err.is_connect() || err.is_request() || err.is_body();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let text = receiver.redact(&text);
    if network {
        NotifyError::Connect(text)
    } else {
        NotifyError::Request(text)
    }
}

/// A number in [0, 1), good enough to spread retries apart.
fn jitter() -> f64 {
    use std::hash::BuildHasher;
    let hash = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = Policy::default();
        assert_eq!(p.delay(1, None, 1.0), Duration::from_secs(1));
        assert_eq!(p.delay(1, None, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(3, None, 1.0), Duration::from_secs(4));
        assert_eq!(p.delay(30, None, 1.0), Duration::from_secs(30));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn retry_after_is_honoured_up_to_its_cap() {
        let p = Policy::default();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(7)), 1.0),
            Duration::from_secs(7)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(3600)), 1.0),
            Duration::from_secs(60)
        );
    }
}
