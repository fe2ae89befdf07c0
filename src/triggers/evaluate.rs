//! When a trigger runs (pure): (cooldown, whether its condition holds, what is remembered about
//! it, now) → a [`Decision`] and the new [`Memory`].
//!
//! A trigger runs when its condition holds, no run of it is in flight, and its last run started
//! at least `cooldown` ago (or never). A condition that keeps holding runs the trigger again once
//! per cooldown; a condition that clears and comes back within the cooldown does not. Whether the
//! condition cleared between two runs is remembered and reported with the run (`cleared`), so the
//! record tells "it came back" from "it never went away".

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// What is remembered about one trigger between evaluations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// When its last run started (this agent's, or the newest recorded in the store).
    pub last_run: Option<DateTime<Utc>>,
    /// A run is in flight.
    pub running: bool,
    /// The condition held at the last evaluation.
    pub held: bool,
    /// The condition was seen not holding since the last run started.
    pub cleared_since_run: bool,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The condition does not hold.
    Quiet,
    /// It holds, but a run is in flight.
    Running,
    /// It holds, but the last run started less than a cooldown ago.
    Cooldown {
        /// When the next run may start.
        until: DateTime<Utc>,
    },
    /// Run the trigger now.
    Run {
        /// `None` for the first run known; else whether the condition cleared since the last.
        cleared: Option<bool>,
    },
}

/// Decides for one trigger and returns the memory to keep (a [`Decision::Run`] marks the run as
/// started at `now` and in flight: call [`finished`] when it ends).
pub fn evaluate(
    cooldown: Duration,
    holds: bool,
    memory: Memory,
    now: DateTime<Utc>,
) -> (Decision, Memory) {
    let mut next = Memory {
        held: holds,
        ..memory
    };
    if !holds {
        next.cleared_since_run |= memory.last_run.is_some();
        return (Decision::Quiet, next);
    }
    if memory.running {
        return (Decision::Running, next);
    }
    if let Some(last) = memory.last_run {
        let until = last + TimeDelta::from_std(cooldown).unwrap_or(TimeDelta::MAX);
        if now < until {
            return (Decision::Cooldown { until }, next);
        }
    }
    let cleared = memory.last_run.map(|_| memory.cleared_since_run);
    next.last_run = Some(now);
    next.running = true;
    next.cleared_since_run = false;
    (Decision::Run { cleared }, next)
}

/// The memory after a run ended.
pub fn finished(memory: Memory) -> Memory {
    Memory {
        running: false,
        ..memory
    }
}

/// The memory once the store says the newest run started at `recorded` (another agent's, or
/// one from before a restart): the later of the two starts wins.
pub fn with_recorded(memory: Memory, recorded: Option<DateTime<Utc>>) -> Memory {
    Memory {
        last_run: memory.last_run.max(recorded),
        ..memory
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::seconds(1_800_000_000 + seconds)
    }

    const HOUR: Duration = Duration::from_secs(3600);

    /// Runs a sequence of (second, condition holds, run ends before this step) and returns
    /// the decisions.
    fn play(steps: &[(i64, bool, bool)]) -> Vec<Decision> {
        let mut memory = Memory::default();
        steps
            .iter()
            .map(|&(at, holds, ended)| {
                if ended {
                    memory = finished(memory);
                }
                let (decision, next) = evaluate(HOUR, holds, memory, t(at));
                memory = next;
                decision
            })
            .collect()
    }

    /// (name, steps, expected decisions).
    type Case = (&'static str, Vec<(i64, bool, bool)>, Vec<Decision>);

    #[test]
    fn table() {
        use Decision::*;
        let cooldown_from = |start: i64| Cooldown {
            until: t(start + 3600),
        };
        let cases: Vec<Case> = vec![
            (
                "never holding never runs",
                vec![(0, false, false), (5000, false, false)],
                vec![Quiet, Quiet],
            ),
            (
                "holding runs once, then waits out the cooldown",
                vec![(0, true, false), (10, true, true), (3599, true, false)],
                vec![Run { cleared: None }, cooldown_from(0), cooldown_from(0)],
            ),
            (
                "still holding after the cooldown runs again, not cleared",
                vec![(0, true, false), (3600, true, true)],
                vec![
                    Run { cleared: None },
                    Run {
                        cleared: Some(false),
                    },
                ],
            ),
            (
                "a run in flight is never doubled, even past the cooldown",
                vec![(0, true, false), (7200, true, false), (7300, true, true)],
                vec![
                    Run { cleared: None },
                    Running,
                    Run {
                        cleared: Some(false),
                    },
                ],
            ),
            (
                "cleared then holding again within the cooldown waits",
                vec![(0, true, false), (60, false, true), (120, true, false)],
                vec![Run { cleared: None }, Quiet, cooldown_from(0)],
            ),
            (
                "cleared then holding again after the cooldown runs, cleared",
                vec![
                    (0, true, false),
                    (60, false, true),
                    (4000, true, false),
                    (9000, true, true),
                ],
                vec![
                    Run { cleared: None },
                    Quiet,
                    Run {
                        cleared: Some(true),
                    },
                    Run {
                        cleared: Some(false),
                    },
                ],
            ),
            (
                "clearing before any run is not remembered as cleared",
                vec![(0, false, false), (10, true, false)],
                vec![Quiet, Run { cleared: None }],
            ),
        ];
        for (name, steps, want) in cases {
            assert_eq!(play(&steps), want, "{name}");
        }
    }

    #[test]
    fn a_recorded_run_starts_the_cooldown() {
        let memory = with_recorded(Memory::default(), Some(t(0)));
        assert_eq!(
            evaluate(HOUR, true, memory, t(1800)).0,
            Decision::Cooldown { until: t(3600) }
        );
        let mine = Memory {
            last_run: Some(t(100)),
            ..Memory::default()
        };
        assert_eq!(with_recorded(mine, Some(t(0))).last_run, Some(t(100)));
        assert_eq!(with_recorded(mine, None).last_run, Some(t(100)));
    }
}
