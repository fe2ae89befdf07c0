//! [`RateLimiter`]: keeps the Management API calls of one token under its limits (pure).
//!
//! Two limits apply: a configured ceiling of calls per minute (well under Supabase's 120), and
//! what the server reports on every response (`X-RateLimit-Remaining` calls in the next
//! `X-RateLimit-Reset` seconds). A 429 blocks until `Reset` has passed, or for an exponential
//! backoff with jitter when the header is absent. One limiter is shared by every project polled
//! with the same token, since Supabase counts per user.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Calls per minute when nothing else is configured.
pub const DEFAULT_CEILING: u32 = 60;

const MINUTE: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// The rate-limit headers of one response (absent or unparsable headers are `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateHeaders {
    /// `X-RateLimit-Limit`.
    pub limit: Option<u32>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset`: seconds until the window resets.
    pub reset: Option<u64>,
}

impl RateHeaders {
    /// Reads the headers by name (case-insensitive lookup is the caller's `get`).
    pub fn from_lookup<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Self {
        let num = |name: &str| get(name).and_then(|v| v.trim().parse::<u64>().ok());
        Self {
            limit: num("x-ratelimit-limit").and_then(|v| u32::try_from(v).ok()),
            remaining: num("x-ratelimit-remaining").and_then(|v| u32::try_from(v).ok()),
            reset: num("x-ratelimit-reset"),
        }
    }
}

/// Call budget of one token.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    ceiling: u32,
    sent: VecDeque<Instant>,
    /// Calls the server still allows, and until when.
    server: Option<(u32, Instant)>,
    blocked_until: Option<Instant>,
    throttled: u32,
}

impl RateLimiter {
    /// A limiter allowing at most `ceiling` calls per minute (at least 1).
    pub fn new(ceiling: u32) -> Self {
        Self {
            ceiling: ceiling.max(1),
            sent: VecDeque::new(),
            server: None,
            blocked_until: None,
            throttled: 0,
        }
    }

    /// Takes one call from the budget, or says how long to wait before asking again.
    pub fn permit(&mut self, now: Instant) -> Result<(), Duration> {
        if let Some(until) = self.blocked_until {
            if now < until {
                return Err(until - now);
            }
            self.blocked_until = None;
        }
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= MINUTE)
        {
            self.sent.pop_front();
        }
        if self.sent.len() >= self.ceiling as usize {
            let oldest = self.sent.front().copied().unwrap_or(now);
            return Err((oldest + MINUTE).saturating_duration_since(now));
        }
        match self.server {
            Some((0, until)) if now < until => return Err(until - now),
            Some((remaining, until)) if now < until => self.server = Some((remaining - 1, until)),
            _ => self.server = None,
        }
        self.sent.push_back(now);
        Ok(())
    }

    /// Records a response: its status and rate-limit headers. `jitter` (0.0–1.0) spreads the
    /// backoff of a 429 without `X-RateLimit-Reset`.
    pub fn observe(&mut self, now: Instant, status: u16, headers: RateHeaders, jitter: f64) {
        if let (Some(remaining), Some(reset)) = (headers.remaining, headers.reset) {
            self.server = Some((remaining, now + Duration::from_secs(reset)));
        }
        if status != 429 {
            self.throttled = 0;
            return;
        }
        let wait = match headers.reset {
            Some(reset) => Duration::from_secs(reset.max(1)),
            None => {
                let exp = BACKOFF_BASE.saturating_mul(1 << self.throttled.min(6));
                exp.min(BACKOFF_MAX)
                    .mul_f64(1.0 + jitter.clamp(0.0, 1.0) / 2.0)
            }
        };
        self.throttled = self.throttled.saturating_add(1);
        self.server = Some((0, now + wait));
        self.blocked_until = Some(now + wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(remaining: Option<u32>, reset: Option<u64>) -> RateHeaders {
        RateHeaders {
            limit: Some(120),
            remaining,
            reset,
        }
    }

    #[test]
    fn ceiling_per_minute() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(2);
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0 + Duration::from_secs(10)), Ok(()));
        assert_eq!(
            l.permit(t0 + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        assert_eq!(l.permit(t0 + MINUTE), Ok(()));
    }

    #[test]
    fn never_more_than_remaining_before_reset() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(100);
        l.observe(t0, 200, h(Some(2), Some(30)), 0.0);
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0), Err(Duration::from_secs(30)));
        assert_eq!(l.permit(t0 + Duration::from_secs(30)), Ok(()));
    }

    #[test]
    fn a_429_waits_reset() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(100);
        l.observe(t0, 429, h(Some(0), Some(7)), 0.0);
        assert_eq!(
            l.permit(t0 + Duration::from_secs(2)),
            Err(Duration::from_secs(5))
        );
        assert_eq!(l.permit(t0 + Duration::from_secs(7)), Ok(()));
    }

    #[test]
    fn a_429_without_headers_backs_off_exponentially_with_jitter() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(100);
        let cases = [(0.0, 5.0), (0.0, 10.0), (1.0, 30.0)];
        for (jitter, want) in cases {
            l.observe(t0, 429, RateHeaders::default(), jitter);
            let wait = l.permit(t0).expect_err("blocked");
            assert_eq!(wait, Duration::from_secs_f64(want), "jitter {jitter}");
        }
        l.observe(t0, 200, RateHeaders::default(), 0.0);
        l.observe(t0, 429, RateHeaders::default(), 0.0);
        assert_eq!(l.permit(t0), Err(BACKOFF_BASE));
    }

    #[test]
    fn headers_parse_and_ignore_garbage() {
        let got = RateHeaders::from_lookup(|n| match n {
            "x-ratelimit-limit" => Some("120"),
            "x-ratelimit-remaining" => Some(" 119 "),
            "x-ratelimit-reset" => Some("soon"),
            _ => None,
        });
        assert_eq!(
            got,
            RateHeaders {
                limit: Some(120),
                remaining: Some(119),
                reset: None
            }
        );
    }
}
