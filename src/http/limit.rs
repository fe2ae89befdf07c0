//! The rate limit of write requests (DESIGN.md §5): one governor GCRA limiter shared by every
//! write route, checked before the admin token so guessing tokens is limited too. Over the limit
//! a request gets 429 with `Retry-After` (whole seconds, at least 1).

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::HttpError;

/// Write requests allowed per minute, all in one burst if need be.
pub const WRITES_PER_MINUTE: u32 = 10;

/// The write limiter.
#[derive(Debug)]
pub struct WriteLimiter {
    limiter: DefaultDirectRateLimiter,
}

impl WriteLimiter {
    /// A limiter allowing `per_minute` writes (at least 1), replenished evenly.
    pub fn per_minute(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::direct(Quota::per_minute(n)),
        }
    }

    /// Takes one write from the budget, or says how long to wait.
    pub fn check(&self) -> Result<(), HttpError> {
        self.limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            HttpError::RateLimited {
                retry_after_secs: (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1),
            }
        })
    }
}

impl Default for WriteLimiter {
    fn default() -> Self {
        Self::per_minute(WRITES_PER_MINUTE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_then_429_says_when_to_retry() {
        let limiter = WriteLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(limiter.check().is_ok());
        }
        match limiter.check() {
            Err(HttpError::RateLimited { retry_after_secs }) => {
                assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
            }
            other => panic!("expected 429, got {other:?}"),
        }
    }
}
