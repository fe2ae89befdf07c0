//! When scheduled drills are due and what to do then (pure; the clock is a parameter).
//!
//! - [`Schedule`]: `[ventures.drill] schedule`, a 5-field cron expression in UTC (the config
//!   accepts only 5 fields; a 6-field expression with seconds first parses too, for tests).
//! - [`catch_up`]: at scheduler start, and whenever this agent becomes the venture's leader:
//!   every due time after the last drill that started (any origin: scheduled, API or CLI, by
//!   any agent sharing the store) and up to now was missed. All of them are counted in
//!   `missed_runs`, and exactly one catch-up drill runs now. Without any drill on record nothing
//!   is counted and nothing runs early: the first drill runs at the next due time.
//! - [`at_due`]: at a due time, run only as the leader, only when the agent is ready and the
//!   previous scheduled drill of the venture has finished; anything else that is not "another
//!   agent leads" is a missed run, never a silent skip.

use chrono::{DateTime, Utc};

/// Most missed due times counted at once (a seconds-level schedule after a long outage).
pub const MAX_COUNTED: u64 = 10_000;

/// A parsed drill schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: croner::Cron,
    text: String,
}

impl Schedule {
    /// Parses `text`; `Err` says why (config validation has normally caught it already).
    pub fn parse(text: &str) -> Result<Self, String> {
        let cron = croner::Cron::new(text)
            .with_seconds_optional()
            .parse()
            .map_err(|e| format!("drill schedule {text:?} is not a cron expression: {e}"))?;
        Ok(Self {
            cron,
            text: text.to_owned(),
        })
    }

    /// The expression as configured (the Sentry monitor's crontab).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The first due time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t, false).ok()
    }

    /// Due times in `(after, until]`, at most [`MAX_COUNTED`].
    pub fn due_between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> u64 {
        let mut count = 0;
        let mut t = after;
        while count < MAX_COUNTED {
            match self.next_after(t) {
                Some(next) if next <= until => {
                    count += 1;
                    t = next;
                }
                _ => break,
            }
        }
        count
    }
}

/// What the scheduler does about due times that passed without a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatchUp {
    /// Due times missed since the last drill started.
    pub missed: u64,
    /// Whether one catch-up drill runs now.
    pub run: bool,
}

/// Due times missed since `last_started` (the newest drill on record), seen at `now`.
pub fn catch_up(
    schedule: &Schedule,
    last_started: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> CatchUp {
    let missed = last_started.map_or(0, |last| schedule.due_between(last, now));
    CatchUp {
        missed,
        run: missed > 0,
    }
}

/// Why a due run did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// The agent has not finished its first poll of every endpoint.
    NotReady,
    /// Leadership is unknown (the state store did not answer).
    LeaderUnknown,
    /// The previous scheduled drill of this venture still runs (an overlap).
    Overlap,
    /// The drill runner refused: another drill of the venture runs (here or in another
    /// process), `max_concurrent_drills` are running, or the drill could not be recorded.
    Refused(String),
}

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Miss::NotReady => {
                f.write_str("the agent is not ready (first poll of every endpoint not finished)")
            }
            Miss::LeaderUnknown => {
                f.write_str("leadership of the venture is unknown (the state store did not answer)")
            }
            Miss::Overlap => {
                f.write_str("the previous scheduled drill of the venture is still running")
            }
            Miss::Refused(why) => f.write_str(why),
        }
    }
}

/// What happens at a due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Start the drill.
    Run,
    /// Another agent leads the venture and runs it: nothing to do or count here.
    NotLeader,
    /// The run is missed (counted, logged, recorded).
    Missed(Miss),
}

/// The decision at a due time, from this agent's leadership, readiness, and whether the
/// previous scheduled drill of the venture still runs.
pub fn at_due(leader: Option<bool>, ready: bool, previous_running: bool) -> Due {
    match leader {
        Some(false) => Due::NotLeader,
        None => Due::Missed(Miss::LeaderUnknown),
        Some(true) if previous_running => Due::Missed(Miss::Overlap),
        Some(true) if !ready => Due::Missed(Miss::NotReady),
        Some(true) => Due::Run,
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
