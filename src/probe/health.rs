//! The [`Health`] tracker of one endpoint: hysteresis over consecutive probe results.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::FailoverConfig;

/// The smoothed health of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HealthState {
    /// No probe result yet.
    #[default]
    Unknown,
    /// Reachable (or not yet down by the hysteresis rule).
    Up,
    /// Down by the hysteresis rule.
    Down,
}

impl HealthState {
    /// Lower-case name for logs, reasons and metrics labels.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Unknown => "unknown",
            HealthState::Up => "up",
            HealthState::Down => "down",
        }
    }
}

impl fmt::Display for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeOutcome {
    /// The probe connected and its statement answered in time.
    Ok,
    /// The probe failed (refused, timed out, errored).
    Failed,
}

/// The thresholds of the hysteresis (from `[ventures.failover]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthConfig {
    /// Consecutive failures before `Down` (at least 1) …
    pub failure_threshold: u32,
    /// … spanning at least this long (first failure to latest).
    pub min_down: Duration,
    /// Consecutive successes before `Down` becomes `Up` again (at least 1).
    pub recovery_threshold: u32,
}

impl From<&FailoverConfig> for HealthConfig {
    fn from(config: &FailoverConfig) -> Self {
        Self {
            failure_threshold: config.failure_threshold,
            min_down: config.min_down,
            recovery_threshold: config.recovery_threshold,
        }
    }
}

/// A change of [`HealthState`], returned by [`Health::record`] when one happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state before.
    pub from: HealthState,
    /// The state after.
    pub to: HealthState,
    /// The time of the result that caused it.
    pub at: DateTime<Utc>,
}

/// Hysteresis over the probe results of one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    config: HealthConfig,
    state: HealthState,
    since: Option<DateTime<Utc>>,
    consecutive_failures: u32,
    consecutive_successes: u32,
    failing_since: Option<DateTime<Utc>>,
    /// Where the span is counted from while the clock is behind `failing_since` (it stepped
    /// back during the failures): the step's time minus the span reached before it.
    stepped_since: Option<DateTime<Utc>>,
    /// The span of the current run of failures at its latest failure.
    failing_span: Duration,
    last_result: Option<(ProbeOutcome, DateTime<Utc>)>,
}

/// `to - from`, zero when `to` is not after `from` (clock steps never give negative spans).
pub fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
    (to - from).to_std().unwrap_or(Duration::ZERO)
}

impl Health {
    /// A tracker in state `Unknown`. Thresholds below 1 are taken as 1.
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config: HealthConfig {
                failure_threshold: config.failure_threshold.max(1),
                min_down: config.min_down,
                recovery_threshold: config.recovery_threshold.max(1),
            },
            state: HealthState::Unknown,
            since: None,
            consecutive_failures: 0,
            consecutive_successes: 0,
            failing_since: None,
            stepped_since: None,
            failing_span: Duration::ZERO,
            last_result: None,
        }
    }

    /// The span of the run of failures once a failure at `at` is added (`failing_since` set).
    /// With the clock at or past the first failure, first failure → `at`, whatever steps came
    /// between (a glitch back and forth never shortens `min_down`). With the clock behind it (a
    /// step back that has not caught up), the span goes on from the step with what it had
    /// reached, instead of standing at zero until the clock catches up.
    fn span_to(&mut self, at: DateTime<Utc>, prev: Option<DateTime<Utc>>) -> Duration {
        let first = self.failing_since.unwrap_or(at);
        if at >= first {
            self.stepped_since = None;
            return elapsed(first, at);
        }
        let base = match self.stepped_since {
            Some(base) if base <= at => base,
            _ => {
                let reached = prev.map_or(Duration::ZERO, |p| {
                    elapsed(self.stepped_since.filter(|b| *b <= p).unwrap_or(first), p)
                });
                chrono::TimeDelta::from_std(reached)
                    .ok()
                    .and_then(|d| at.checked_sub_signed(d))
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            }
        };
        self.stepped_since = Some(base);
        elapsed(base, at)
    }

    /// Feeds one probe result taken at `at`; returns the transition if the state changed.
    pub fn record(&mut self, outcome: ProbeOutcome, at: DateTime<Utc>) -> Option<Transition> {
        let prev_failure = match self.last_result {
            Some((ProbeOutcome::Failed, p)) => Some(p),
            _ => None,
        };
        self.last_result = Some((outcome, at));
        let next = match outcome {
            ProbeOutcome::Ok => {
                self.consecutive_failures = 0;
                self.failing_since = None;
                self.stepped_since = None;
                self.failing_span = Duration::ZERO;
                self.consecutive_successes = self.consecutive_successes.saturating_add(1);
                match self.state {
                    HealthState::Unknown => HealthState::Up,
                    HealthState::Down
                        if self.consecutive_successes >= self.config.recovery_threshold =>
                    {
                        HealthState::Up
                    }
                    state => state,
                }
            }
            ProbeOutcome::Failed => {
                self.consecutive_successes = 0;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.failing_since.get_or_insert(at);
                self.failing_span = self.span_to(at, prev_failure);
                let down = self.consecutive_failures >= self.config.failure_threshold
                    && self.failing_span >= self.config.min_down;
                if down {
                    HealthState::Down
                } else {
                    self.state
                }
            }
        };
        if next == self.state {
            return None;
        }
        let transition = Transition {
            from: self.state,
            to: next,
            at,
        };
        self.state = next;
        self.since = Some(at);
        Some(transition)
    }

    /// The thresholds in force.
    pub fn config(&self) -> HealthConfig {
        self.config
    }

    /// The current state.
    pub fn state(&self) -> HealthState {
        self.state
    }

    /// When the current state was entered; `None` while `Unknown`.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.since
    }

    /// Failures in a row up to the latest result (0 after a success).
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// Successes in a row up to the latest result (0 after a failure).
    pub fn consecutive_successes(&self) -> u32 {
        self.consecutive_successes
    }

    /// The time of the first failure of the current run of failures; `None` after a success.
    pub fn failing_since(&self) -> Option<DateTime<Utc>> {
        self.failing_since
    }

    /// How long the current run of failures spans (first failure to latest result, across
    /// clock steps as [`Health::record`] counts it); zero when the latest result was a success.
    pub fn failing_for(&self) -> Duration {
        match self.last_result {
            Some((ProbeOutcome::Failed, _)) => self.failing_span,
            _ => Duration::ZERO,
        }
    }

    /// `Down`, and the current run of failures alone meets both thresholds. False while a
    /// `Down` endpoint is answering again (even before `recovery_threshold` successes): the
    /// failover policy never acts on an endpoint that answered after its last failure run.
    pub fn down_by_rule(&self) -> bool {
        self.state == HealthState::Down
            && self.consecutive_failures >= self.config.failure_threshold
            && self.failing_for() >= self.config.min_down
    }

    /// The latest result and when it was taken.
    pub fn last_result(&self) -> Option<(ProbeOutcome, DateTime<Utc>)> {
        self.last_result
    }
}
