//! When a failed Management API call is tried again within the same poll (pure).
//!
//! A 5xx answer is retried after an exponential backoff with jitter (`base`, `2·base`, each
//! stretched by up to half again), at most [`RETRIES`] times. A 429 is not retried here: the
//! token's [`RateLimiter`](super::RateLimiter) already blocks every call until `Reset` (or backs
//! off with jitter), and the next poll comes after it. Other 4xx, timeouts, connection and parse
//! errors are not retried: the next poll tries again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sources::SourceError;

/// Retries after the first attempt.
pub const RETRIES: u32 = 2;
/// The first backoff of a 5xx retry.
pub const BASE: Duration = Duration::from_secs(2);

/// How long to wait before attempt `attempt + 1` after `error` (attempts count from 0), or
/// `None` when it is not retried. `jitter` is 0.0–1.0.
pub fn retry_after(
    error: &SourceError,
    attempt: u32,
    base: Duration,
    jitter: f64,
) -> Option<Duration> {
    let status = match error {
        SourceError::Status { status, .. } | SourceError::Rejected { status, .. } => *status,
        _ => return None,
    };
    if !(500..600).contains(&status) || attempt >= RETRIES {
        return None;
    }
    let backoff = base.saturating_mul(1 << attempt.min(16));
    Some(backoff.mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 2.0))
}

/// 0.0–1.0 from the clock's sub-second part: enough to spread the retries of many projects.
pub fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos) / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> SourceError {
        SourceError::Status { what: "x", status }
    }

    #[test]
    fn table() {
        let s = Duration::from_secs;
        let rejected = SourceError::Rejected {
            what: "x",
            status: 503,
            message: "busy".into(),
        };
        let timeout = SourceError::Timeout {
            command: "x".into(),
            after: s(1),
        };
        // (case, error, attempt, jitter, want)
        let cases = [
            ("500 first retry", status(500), 0, 0.0, Some(s(2))),
            ("502 second retry, doubled", status(502), 1, 0.0, Some(s(4))),
            (
                "jitter stretches by half at most",
                status(500),
                0,
                1.0,
                Some(s(3)),
            ),
            ("no third retry", status(500), 2, 0.0, None),
            ("503 with a message", rejected, 0, 0.0, Some(s(2))),
            ("429: the limiter waits", status(429), 0, 0.0, None),
            ("401 not retried", status(401), 0, 0.0, None),
            ("404 not retried", status(404), 0, 0.0, None),
            ("timeout not retried", timeout, 0, 0.0, None),
        ];
        for (case, error, attempt, jitter, want) in cases {
            assert_eq!(retry_after(&error, attempt, BASE, jitter), want, "{case}");
        }
    }

    #[test]
    fn jitter_is_a_fraction() {
        assert!((0.0..1.0).contains(&jitter()));
    }
}
