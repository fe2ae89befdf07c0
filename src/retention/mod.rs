//! GFS retention (DESIGN.md §7), pure and restic-compatible: which backups a policy keeps, and why.
//!
//! [`evaluate`] follows restic's `forget` (`ApplyPolicy`, restic a80be147) exactly for
//! `last`/`hourly`/`daily`/`weekly`/`monthly`/`yearly` and the `within*` rules: a stable
//! newest-first sort, one bucket key per rule read in each backup's own UTC offset, ISO weeks,
//! several rules satisfied by one backup at once, `oldest …` keeps, `-1` = unlimited, and the
//! `within*` windows measured back from the **newest backup**, not from now, with Go's calendar
//! arithmetic. Tags are out of scope. restic's own 40 golden vectors are the tests
//! (`tests/data/restic-policy-cases/`).
//!
//! On top of restic, for pgBackRest: a kept diff/incr pins its `prior` chain up to the full,
//! each pinned backup gaining `parent of <label>`. [`required_and_kept`] reports per rule how
//! many buckets are asked for and kept. No I/O, no clock: the reference time is passed in.

mod buckets;
mod chain;
pub mod command;
mod duration;
mod forget;
mod policy;
#[cfg(test)]
mod props;
mod status;
#[cfg(test)]
mod tests;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub use buckets::Rule;
pub use duration::{go_add_date, RetentionDuration};
pub use policy::{Counters, Policy};
pub use status::{required_and_kept, RuleStatus};

/// Errors of the retention subsystem: bad input, each saying what to do.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RetentionError {
    /// A `within` duration that restic's syntax does not allow.
    #[error("invalid duration {input:?}: {reason}; write it like 7d, 1m14d or 1y2m3d4h (units y, m, d, h)")]
    BadDuration {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// A line of `backstop retention`'s input that is not an RFC 3339 timestamp.
    #[error("line {line}: {text:?} is not an RFC 3339 timestamp ({reason}); write one per line, like 2026-11-27T08:00:00Z or 2026-11-27T09:00:00+01:00")]
    BadTimestamp {
        /// 1-based line number.
        line: usize,
        /// The line as given.
        text: String,
        /// The parser's complaint.
        reason: String,
    },
    /// A policy with no rule: restic keeps nothing then, so it is refused where it would expire.
    #[error("no retention rule given: pass at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly or --keep-within*")]
    EmptyPolicy,
}

/// A pgBackRest backup type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackupKind {
    /// A full backup: the root of a chain.
    Full,
    /// A differential backup: needs its full.
    Diff,
    /// An incremental backup: needs its prior (full, diff or incr).
    Incr,
}

/// One backup (or restic snapshot) to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// When it was taken; buckets use this offset's wall clock, as restic does.
    pub time: DateTime<FixedOffset>,
    /// pgBackRest label (`20250601-010000F`), when known.
    pub label: Option<String>,
    /// pgBackRest type, when known; only diff/incr pin a prior chain.
    pub kind: Option<BackupKind>,
    /// The label of the backup this one depends on (pgBackRest `prior`).
    pub prior: Option<String>,
}

impl Item {
    /// A bare timestamp (restic semantics only).
    pub fn at(time: DateTime<FixedOffset>) -> Self {
        Item {
            time,
            label: None,
            kind: None,
            prior: None,
        }
    }

    /// A pgBackRest backup with its chain.
    pub fn backup(
        label: &str,
        kind: BackupKind,
        prior: Option<&str>,
        time: DateTime<FixedOffset>,
    ) -> Self {
        Item {
            time,
            label: Some(label.to_string()),
            kind: Some(kind),
            prior: prior.map(str::to_string),
        }
    }
}

/// The decision for one input item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Position in the input.
    pub index: usize,
    /// Position newest first (0 = newest; equal times keep input order).
    pub rank: usize,
    /// Kept by a rule or pinned as a parent.
    pub keep: bool,
    /// restic's reasons in restic's order, then `parent of <label>` pins; empty when removed.
    pub reasons: Vec<String>,
    /// Counts left per rule after this item (restic's `counters`).
    pub counters: Counters,
    /// A kept diff/incr whose prior is missing from the list: it cannot be restored.
    pub broken_chain: bool,
}

/// Go's zero `time.Time` (0001-01-01 UTC): restic's "latest" when every snapshot is in the future.
fn go_zero_time() -> DateTime<FixedOffset> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().fixed_offset())
        .unwrap_or(DateTime::<Utc>::MIN_UTC.fixed_offset())
}

/// The reference time of the `within*` windows: the newest item (before `now`, when given).
fn latest_of(items: &[Item], now: Option<DateTime<Utc>>) -> Option<DateTime<FixedOffset>> {
    if items.is_empty() {
        return None;
    }
    let newest = items
        .iter()
        .map(|i| i.time)
        .filter(|t| now.is_none_or(|now| *t < now))
        .max();
    Some(newest.unwrap_or_else(go_zero_time))
}

/// Judges every item; the result is in input order. `within*` windows count back from the newest
/// item. An empty policy keeps nothing (restic's `ApplyPolicy`; check [`Policy::is_empty`] first).
pub fn evaluate(policy: &Policy, items: &[Item]) -> Vec<Verdict> {
    run(policy, items, latest_of(items, None))
}

/// Like [`evaluate`], but items at or after `now` are ignored when finding the newest (restic's
/// `findLatestTimestamp`); they are still judged.
pub fn evaluate_at(policy: &Policy, items: &[Item], now: DateTime<Utc>) -> Vec<Verdict> {
    run(policy, items, latest_of(items, Some(now)))
}

fn run(policy: &Policy, items: &[Item], latest: Option<DateTime<FixedOffset>>) -> Vec<Verdict> {
    let Some(latest) = latest else {
        return Vec::new();
    };
    let times: Vec<_> = items.iter().map(|i| i.time).collect();
    let forget::Outcome {
        order,
        mut keep,
        mut reasons,
        counters,
        ..
    } = forget::apply(policy, &times, latest);
    let pinned = chain::pin_priors(items, &order, &mut keep, &mut reasons);
    let mut rank = vec![0; items.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    reasons
        .into_iter()
        .enumerate()
        .map(|(i, reasons)| Verdict {
            index: i,
            rank: rank[i],
            keep: keep[i],
            reasons,
            counters: counters[i],
            broken_chain: pinned.broken[i],
        })
        .collect()
}
