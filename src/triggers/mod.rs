//! Automated recovery triggers (`[[ventures.triggers]]`, DESIGN.md §3): when a condition holds
//! for a venture — `backup_stale`, `archiving_failing`, `endpoint_down`, `drill_failed`, read from
//! the `backstop check` rules — run a shell command or POST a webhook, at most once per cooldown;
//! record the run, notify, count it in `backstop_trigger_runs_total`.
//!
//! Pure parts: [`condition`] (does it hold now), [`evaluate`] (run now or not: cooldown, runs in
//! flight, whether the condition cleared since the last run), [`excerpt`] (capped, secrets-free
//! output) and [`notice`] (the store events and the notification). I/O: [`runner`] (`sh -c` with
//! a timeout and an output cap, or the webhook call) and [`task`] (the agent's loop: every few
//! seconds, for the ventures this agent leads, only ventures with triggers).
//!
//! Each trigger is named by its condition (the `trigger` label: `backup_stale`); a second
//! trigger with the same condition in one venture is `backup_stale_2`, and so on ([`labels`]).

pub mod condition;
pub mod evaluate;
pub mod excerpt;
pub mod notice;
pub mod runner;
pub mod task;

use std::time::Duration;

use crate::config::TriggerConfig;
use crate::error::ErrorKind;

pub use task::spawn_triggers;

/// Errors of a trigger run (and of recording it).
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    /// `sh` could not be started.
    #[error("cannot start sh: {0}")]
    Spawn(std::io::Error),
    /// The run outlived its timeout: the command's process group was killed, or the webhook
    /// call abandoned.
    #[error("did not finish within {0:?}; stopped it")]
    Timeout(Duration),
    /// Reading the command's output or waiting for it failed.
    #[error("reading its output failed: {0}")]
    Io(std::io::Error),
    /// The command exited unsuccessfully.
    #[error("exited with {0}")]
    Exit(String),
    /// The webhook answered with a status other than 2xx.
    #[error("the webhook answered HTTP {0}")]
    Status(u16),
    /// The webhook call failed without an answer (never holds the URL).
    #[error("the webhook call failed: {0}")]
    Request(String),
    /// The store could not record the run or tell when the last one was.
    #[error("state store: {0}")]
    Store(String),
}

impl TriggerError {
    /// The `kind` this error counts as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            TriggerError::Timeout(_) => ErrorKind::Timeout,
            TriggerError::Spawn(_) | TriggerError::Io(_) | TriggerError::Exit(_) => {
                ErrorKind::Command
            }
            TriggerError::Status(_) => ErrorKind::Http,
            TriggerError::Request(_) => ErrorKind::Connect,
            TriggerError::Store(_) => ErrorKind::Store,
        }
    }
}

/// The `trigger` label of each of a venture's triggers, in configuration order: the condition,
/// with `_2`, `_3`, … for later triggers of the same condition.
///
/// ```
/// use std::time::Duration;
/// use backstop::config::{TriggerAction, TriggerConfig, TriggerWhen};
///
/// let t = |when| TriggerConfig {
///     when,
///     action: TriggerAction::Run("true".into()),
///     cooldown: Duration::from_secs(3600),
///     timeout: Duration::from_secs(60),
/// };
/// let labels = backstop::triggers::labels(&[
///     t(TriggerWhen::BackupStale),
///     t(TriggerWhen::EndpointDown),
///     t(TriggerWhen::BackupStale),
/// ]);
/// assert_eq!(labels, ["backup_stale", "endpoint_down", "backup_stale_2"]);
/// ```
pub fn labels(triggers: &[TriggerConfig]) -> Vec<String> {
    triggers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let same_before = triggers[..i].iter().filter(|o| o.when == t.when).count();
            match same_before {
                0 => t.when.as_str().to_owned(),
                n => format!("{}_{}", t.when.as_str(), n + 1),
            }
        })
        .collect()
}
