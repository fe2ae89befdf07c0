//! [`RateLimiter`]: keeps the Management API calls of one token under its limits (pure).
//!
//! Two limits apply: a configured ceiling of calls per minute, and what the server reports on
//! every response (`X-RateLimit-Remaining` calls in the next `X-RateLimit-Reset` seconds). The
//! server's budget is never overdrawn: at the start and after each `Reset` the budget is
//! unknown, so once every earlier call has finished one probe call goes alone, and its answer
//! sets the window's budget and end; later answers (which arrive out of order) only shrink it,
//! each minus the calls still in flight, which the server may not have counted yet. A 429
//! blocks until `Reset` has passed, or for an exponential backoff with jitter when the header
//! is absent. Backup-list calls ([`Priority::High`]) go before project status and health
//! ([`Priority::Low`]): a low call waits while any high call waits. One limiter is shared by
//! every project polled with the same token, since Supabase counts per user; it also knows how
//! many projects share it, so pollers can stretch their interval when the calls of every
//! project do not fit the rate ([`effective_interval`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Calls per minute when nothing else is configured.
pub const DEFAULT_CEILING: u32 = 60;

const MINUTE: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// How long a low-priority call waits before asking again while high-priority calls wait.
pub const YIELD: Duration = Duration::from_millis(20);

/// Which calls go first when the budget is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// The backup list (and any call outside the poll: schedule, add-ons, restore).
    High,
    /// Project status and service health.
    Low,
}

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
    /// `X-RateLimit-Limit` as last reported.
    limit: Option<u32>,
    /// The longest `X-RateLimit-Reset` seen: the server window's length, as far as known.
    period: Option<Duration>,
    /// Calls sent whose answer (or failure) has not been recorded yet.
    in_flight: u32,
    /// High-priority calls waiting for a permit.
    waiting_high: u32,
    blocked_until: Option<Instant>,
    throttled: u32,
    /// Projects polled with this token.
    projects: u32,
    /// The stretched poll interval last logged.
    announced: Option<Duration>,
    /// Probing: the server's budget is not known (at the start, past a reset); one call at a
    /// time, once every earlier call has finished, until one answers with the headers.
    probing: bool,
    /// The probe call is out.
    probe_out: bool,
}

impl RateLimiter {
    /// A limiter allowing at most `ceiling` calls per minute (at least 1).
    pub fn new(ceiling: u32) -> Self {
        Self {
            ceiling: ceiling.max(1),
            sent: VecDeque::new(),
            server: None,
            limit: None,
            period: None,
            in_flight: 0,
            waiting_high: 0,
            blocked_until: None,
            throttled: 0,
            projects: 0,
            announced: None,
            probing: true,
            probe_out: false,
        }
    }

    /// Takes one high-priority call from the budget, or says how long to wait before asking
    /// again.
    pub fn permit(&mut self, now: Instant) -> Result<(), Duration> {
        self.permit_as(now, Priority::High, &mut false)
    }

    /// Takes one call of `priority` from the budget, or says how long to wait. `waiting` is the
    /// caller's own flag: a refused high-priority caller is counted as waiting (and low calls
    /// yield to it) until it gets its permit or calls [`RateLimiter::stop_waiting`].
    pub fn permit_as(
        &mut self,
        now: Instant,
        priority: Priority,
        waiting: &mut bool,
    ) -> Result<(), Duration> {
        let result = self.try_permit(now, priority);
        if priority == Priority::High {
            match result {
                Err(_) if !*waiting => {
                    self.waiting_high += 1;
                    *waiting = true;
                }
                Ok(()) => self.stop_waiting(waiting),
                Err(_) => {}
            }
        }
        result
    }

    /// A caller that stops waiting without a permit (cancelled) leaves the queue.
    pub fn stop_waiting(&mut self, waiting: &mut bool) {
        if *waiting {
            self.waiting_high = self.waiting_high.saturating_sub(1);
            *waiting = false;
        }
    }

    fn try_permit(&mut self, now: Instant, priority: Priority) -> Result<(), Duration> {
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
        self.roll(now);
        if self.probing && (self.in_flight > 0 || self.probe_out) {
            return Err(YIELD);
        }
        if let Some((0, until)) = self.server {
            return Err(until.saturating_duration_since(now));
        }
        if priority == Priority::Low && self.waiting_high > 0 {
            return Err(YIELD);
        }
        if let Some((remaining, _)) = self.server.as_mut() {
            *remaining -= 1;
        }
        self.probe_out = self.probing;
        self.in_flight += 1;
        self.sent.push_back(now);
        Ok(())
    }

    /// Past the server's reset the budget is unknown: calls still in flight may land in the new
    /// window, so wait for them, then probe with one call whose answer tells the new budget.
    fn roll(&mut self, now: Instant) {
        if self.server.is_some_and(|(_, until)| now >= until) {
            self.server = None;
            self.probing = true;
            self.probe_out = false;
        }
    }

    /// Records a response: its status and rate-limit headers. `jitter` (0.0–1.0) spreads the
    /// backoff of a 429 without `X-RateLimit-Reset`. Call [`RateLimiter::done`] as well.
    pub fn observe(&mut self, now: Instant, status: u16, headers: RateHeaders, jitter: f64) {
        if let Some(limit) = headers.limit {
            self.limit = Some(limit);
        }
        if let Some(reset) = headers.reset.map(Duration::from_secs) {
            if self.period.is_none_or(|p| reset > p) {
                self.period = Some(reset);
            }
        }
        // Calls still in flight may not be counted in this answer's Remaining yet.
        let others = self.in_flight.saturating_sub(1);
        let told = match (headers.remaining, headers.reset) {
            (Some(remaining), Some(reset)) => Some((
                remaining.saturating_sub(others),
                now + Duration::from_secs(reset),
            )),
            _ => None,
        };
        if self.probing {
            // Only the probe's answer (every earlier call finished) tells the new window.
            if self.in_flight == 0 || (self.probe_out && self.in_flight == 1) {
                self.server = told;
                self.probing = false;
                self.probe_out = false;
            }
        } else {
            // Answers arrive out of order: within a window the budget only shrinks, and the
            // window ends where the probe's answer said.
            self.server = match (self.server, told) {
                (Some((mine, until)), Some((theirs, _))) => Some((mine.min(theirs), until)),
                (None, told) => told,
                (mine, None) => mine,
            };
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
        self.probing = false;
        self.probe_out = false;
        self.server = Some((0, now + wait));
        self.blocked_until = Some(now + wait);
    }

    /// A permitted call finished (answered or failed without an answer).
    pub fn done(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            // A probe that failed without an answer: the next call probes again.
            self.probe_out = false;
        }
    }

    /// One more project is polled with this token.
    pub fn register_project(&mut self) {
        self.projects = self.projects.saturating_add(1);
    }

    /// Projects polled with this token (at least 1).
    pub fn projects(&self) -> u32 {
        self.projects.max(1)
    }

    /// Calls per second this token may make: the ceiling, or the server's limit per window when
    /// lower.
    pub fn per_second(&self) -> f64 {
        let ceiling = f64::from(self.ceiling) / MINUTE.as_secs_f64();
        match (self.limit, self.period) {
            (Some(limit), Some(period)) if !period.is_zero() => {
                ceiling.min(f64::from(limit) / period.as_secs_f64())
            }
            _ => ceiling,
        }
    }

    /// The interval every project of this token can be polled at with `calls_per_poll` calls.
    pub fn interval_for(&self, configured: Duration, calls_per_poll: u32) -> Duration {
        effective_interval(
            configured,
            self.projects(),
            calls_per_poll,
            self.per_second(),
        )
    }

    /// Whether `interval` is news worth one log line: it differs by more than a tenth from the
    /// last one announced (initially `configured`). Records it when so.
    pub fn announce(&mut self, configured: Duration, interval: Duration) -> bool {
        let last = self.announced.unwrap_or(configured).as_secs_f64();
        let news = (interval.as_secs_f64() - last).abs() > last / 10.0;
        if news {
            self.announced = Some(interval);
        }
        news
    }
}

/// The poll interval that fits `projects` × `calls_per_poll` calls at `per_second`: the
/// configured one when they fit, else stretched (rounded up to whole seconds).
pub fn effective_interval(
    configured: Duration,
    projects: u32,
    calls_per_poll: u32,
    per_second: f64,
) -> Duration {
    if !per_second.is_finite() || per_second <= 0.0 {
        return configured;
    }
    let calls = f64::from(projects.max(1)) * f64::from(calls_per_poll);
    let need = (calls / per_second).ceil();
    if need > configured.as_secs_f64() {
        Duration::try_from_secs_f64(need).unwrap_or(configured)
    } else {
        configured
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
        l.done();
        assert_eq!(l.permit(t0 + Duration::from_secs(10)), Ok(()));
        l.done();
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
        l.done();
        l.done();
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

    #[test]
    fn one_probe_until_the_first_answer() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(1000);
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0), Err(YIELD), "the limit is not known yet");
        l.observe(t0, 200, h(Some(3), Some(1)), 0.0);
        l.done();
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0), Ok(()));
    }

    #[test]
    fn calls_in_flight_are_subtracted_from_remaining() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(1000);
        l.observe(t0, 200, h(Some(5), Some(10)), 0.0);
        for _ in 0..5 {
            assert_eq!(l.permit(t0), Ok(()));
        }
        // The first answer says 4 remain: the 4 others in flight may not be counted yet.
        l.observe(t0, 200, h(Some(4), Some(10)), 0.0);
        l.done();
        assert_eq!(l.permit(t0), Err(Duration::from_secs(10)));
    }

    #[test]
    fn past_reset_one_probe_after_the_calls_in_flight() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(1000);
        l.observe(t0, 200, h(Some(1), Some(1)), 0.0);
        assert_eq!(l.permit(t0), Ok(()));
        assert_eq!(l.permit(t0), Err(Duration::from_secs(1)));
        // Past the reset, one call is still in flight: it may land in the new window.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(l.permit(t1), Err(YIELD));
        // A late answer from the old window does not set the new budget.
        l.observe(t1, 200, h(Some(0), Some(1)), 0.0);
        l.done();
        assert_eq!(l.permit(t1), Ok(()), "the probe");
        assert_eq!(l.permit(t1), Err(YIELD), "alone");
        l.observe(t1, 200, h(Some(2), Some(1)), 0.0);
        l.done();
        assert_eq!(l.permit(t1), Ok(()));
        assert_eq!(l.permit(t1), Ok(()));
        assert_eq!(l.permit(t1), Err(Duration::from_secs(1)));
        // A stale answer with more remaining does not raise the budget.
        l.observe(t1, 200, h(Some(2), Some(1)), 0.0);
        assert_eq!(l.permit(t1), Err(Duration::from_secs(1)));
        // A probe that fails without an answer: the next call probes again.
        let t2 = t1 + Duration::from_secs(1);
        l.done();
        l.done();
        assert_eq!(l.permit(t2), Ok(()));
        l.done();
        assert_eq!(l.permit(t2), Ok(()));
    }

    #[test]
    fn low_priority_yields_while_high_priority_waits() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(1000);
        l.observe(t0, 200, h(Some(1), Some(5)), 0.0);
        let (mut high, mut low) = (false, false);
        assert_eq!(l.permit_as(t0, Priority::High, &mut high), Ok(()));
        assert!(l.permit_as(t0, Priority::High, &mut high).is_err());
        assert!(high, "the refused backups call waits");
        let t1 = t0 + Duration::from_secs(5);
        l.done();
        // Budget is back, but the backups call asks first.
        assert_eq!(l.permit_as(t1, Priority::Low, &mut low), Err(YIELD));
        assert_eq!(l.permit_as(t1, Priority::High, &mut high), Ok(()));
        assert!(!high);
        l.observe(t1, 200, h(Some(5), Some(5)), 0.0);
        assert_eq!(l.permit_as(t1, Priority::Low, &mut low), Ok(()));
        // A cancelled waiter leaves the queue.
        let mut gone = false;
        l.observe(t1, 200, h(Some(0), Some(5)), 0.0);
        assert!(l.permit_as(t1, Priority::High, &mut gone).is_err());
        l.stop_waiting(&mut gone);
        assert_eq!(l.waiting_high, 0);
    }

    #[test]
    fn effective_interval_stretches_when_projects_do_not_fit() {
        let s = Duration::from_secs;
        // (configured, projects, calls per poll, calls per second, want)
        let cases = [
            (s(300), 10, 3, 2.0, s(300)),
            (s(300), 1000, 3, 2.0, s(1500)),
            (s(1), 1000, 3, 600.0, s(5)),
            (s(1), 1000, 3, 700.0, s(5)),
            (s(60), 0, 3, 1.0, s(60)),
            (s(60), 100, 3, 0.0, s(60)),
        ];
        for (configured, projects, calls, rate, want) in cases {
            assert_eq!(
                effective_interval(configured, projects, calls, rate),
                want,
                "{projects} projects at {rate}/s"
            );
        }
    }

    #[test]
    fn the_rate_is_the_ceiling_or_the_servers_limit_per_window() {
        let t0 = Instant::now();
        let mut l = RateLimiter::new(120);
        assert_eq!(l.per_second(), 2.0);
        l.observe(t0, 200, h(Some(119), Some(60)), 0.0);
        assert_eq!(l.per_second(), 2.0, "120 per 60 s");
        let mut l = RateLimiter::new(100_000);
        l.observe(t0, 200, h(Some(119), Some(60)), 0.0);
        assert_eq!(l.per_second(), 2.0, "the header rules below the ceiling");
        for _ in 0..1000 {
            l.register_project();
        }
        assert_eq!(
            l.interval_for(Duration::from_secs(300), 3),
            Duration::from_secs(1500)
        );
        let (configured, stretched) = (Duration::from_secs(300), Duration::from_secs(1500));
        assert!(l.announce(configured, stretched));
        assert!(!l.announce(configured, stretched), "logged once");
        assert!(l.announce(configured, configured), "back to configured");
    }
}
