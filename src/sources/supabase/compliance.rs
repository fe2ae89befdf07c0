//! Supabase retention compliance (DESIGN.md §7), pure: restore points from the completed daily
//! backups and the PITR window, the venture's policy evaluated restic-style against them, and the
//! rules the plan cannot meet ([`super::horizon`]).
//!
//! A restore point is one per UTC day: a day with a completed backup counts at that backup's
//! time; a day covered (even partly) by the PITR window counts at the latest covered instant of
//! that day; with both, the later one. When the policy has an hourly rule and PITR is on, each
//! covered UTC hour is a restore point instead (daily backups still give one per day). The
//! window is only used while PITR is not known to be off, and at most its newest
//! [`MAX_SLOT_DAYS`] days are walked. Nothing is expired: Supabase deletes on its own schedule;
//! the verdicts say which restore points the policy would keep.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::horizon::{self, Horizon};
use crate::retention::{self, Item, Policy, RuleStatus, Verdict};
use crate::state::{BackupRecord, SupabaseState, UnmeetableRule};

/// Days of PITR window walked at most (a bogus earliest point must not make millions of points).
pub const MAX_SLOT_DAYS: i64 = 400;

/// What a restore point comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A completed daily (physical or logical) backup.
    Backup,
    /// The PITR window.
    Pitr,
}

impl Origin {
    /// `backup` or `pitr` (JSON and text).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Backup => "backup",
            Origin::Pitr => "pitr",
        }
    }
}

/// One restore point: the latest instant of its day (or hour) that can be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePoint {
    /// The instant restored to.
    pub at: DateTime<Utc>,
    /// Backup or PITR window.
    pub origin: Origin,
    /// The backup's label (its id), for a backup.
    pub label: Option<String>,
}

/// The compliance of one Supabase venture.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// What the plan keeps.
    pub horizon: Horizon,
    /// Restore points, oldest first.
    pub points: Vec<RestorePoint>,
    /// One verdict per restore point (same order); empty when the policy is empty.
    pub verdicts: Vec<Verdict>,
    /// One verdict per backup of the input (same order): the newest usable backup of a day
    /// (hour) carries its restore point's verdict, the others are not kept; empty when the
    /// policy is empty.
    pub backup_verdicts: Vec<Verdict>,
    /// Required against kept per count rule, over the restore points.
    pub retention: Vec<RuleStatus>,
    /// The rules and the `pitr_window` objective the plan cannot meet.
    pub unmeetable: Vec<UnmeetableRule>,
}

/// Assesses a Supabase venture: its `policy`, `pitr_window` objective, listed `backups` and the
/// project `facts` (PITR on/off, add-on, reported window; `None` = all unknown).
pub fn assess(
    policy: &Policy,
    pitr_window: Duration,
    backups: &[BackupRecord],
    facts: Option<&SupabaseState>,
) -> Assessment {
    let pitr_enabled = facts.and_then(|f| f.pitr_enabled);
    let addon = facts.and_then(|f| f.pitr_addon.as_deref());
    let horizon = Horizon::of(pitr_enabled, addon);
    let window = facts
        .and_then(|f| f.reported_window)
        .filter(|_| !horizon.pitr_off);
    let per_hour = policy.hourly != 0 && window.is_some();
    let step = if per_hour {
        TimeDelta::hours(1)
    } else {
        TimeDelta::days(1)
    };
    let points = restore_points(backups, window, step);
    let items: Vec<Item> = points
        .iter()
        .map(|p| Item::at(p.at.fixed_offset()))
        .collect();
    let verdicts = if policy.is_empty() {
        Vec::new()
    } else {
        retention::evaluate(policy, &items)
    };
    let backup_verdicts = if verdicts.is_empty() {
        Vec::new()
    } else {
        per_backup(backups, &points, &verdicts, step)
    };
    Assessment {
        retention: retention::required_and_kept(policy, &items),
        unmeetable: horizon::unmeetable(policy, pitr_window, &horizon),
        horizon,
        points,
        verdicts,
        backup_verdicts,
    }
}

/// The restore points of `backups` and `window`, one per `step` slot (a UTC day or hour),
/// oldest first.
pub fn restore_points(
    backups: &[BackupRecord],
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    step: TimeDelta,
) -> Vec<RestorePoint> {
    let mut slots: BTreeMap<DateTime<Utc>, RestorePoint> = BTreeMap::new();
    let mut offer = |p: RestorePoint| {
        let slot = slot_of(p.at, step);
        match slots.get(&slot) {
            // The later instant wins; at the same instant the backup (it has a label).
            Some(old)
                if (old.at, old.origin == Origin::Backup) >= (p.at, p.origin == Origin::Backup) => {
            }
            _ => {
                slots.insert(slot, p);
            }
        }
    };
    for b in backups.iter().filter(|b| b.status.is_usable()) {
        offer(RestorePoint {
            at: b.stop,
            origin: Origin::Backup,
            label: Some(b.label.clone()),
        });
    }
    if let Some((start, end)) = window.filter(|(s, e)| s <= e) {
        let last = slot_of(end, step);
        let mut slot = slot_of(start, step).max(last - TimeDelta::days(MAX_SLOT_DAYS));
        while slot <= last {
            let latest = (slot + step - TimeDelta::seconds(1)).min(end).max(start);
            offer(RestorePoint {
                at: latest,
                origin: Origin::Pitr,
                label: None,
            });
            slot += step;
        }
    }
    slots.into_values().collect()
}

/// The start of the UTC day (or hour, by `step`) holding `at`.
fn slot_of(at: DateTime<Utc>, step: TimeDelta) -> DateTime<Utc> {
    let len = step.num_seconds().max(1);
    let ts = at.timestamp();
    DateTime::from_timestamp(ts - ts.rem_euclid(len), 0).unwrap_or(at)
}

/// A verdict per backup: the newest usable backup of a slot takes its restore point's verdict.
fn per_backup(
    backups: &[BackupRecord],
    points: &[RestorePoint],
    verdicts: &[Verdict],
    step: TimeDelta,
) -> Vec<Verdict> {
    let by_slot: BTreeMap<DateTime<Utc>, &Verdict> = points
        .iter()
        .zip(verdicts)
        .map(|(p, v)| (slot_of(p.at, step), v))
        .collect();
    let mut newest: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for (i, b) in backups.iter().enumerate() {
        if !b.status.is_usable() {
            continue;
        }
        let slot = slot_of(b.stop, step);
        if newest.get(&slot).is_none_or(|&j| backups[j].stop <= b.stop) {
            newest.insert(slot, i);
        }
    }
    backups
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let slot = slot_of(b.stop, step);
            let point = by_slot.get(&slot);
            let own = newest.get(&slot) == Some(&i);
            match point {
                Some(v) if own => Verdict {
                    index: i,
                    ..(*v).clone()
                },
                _ => Verdict {
                    index: i,
                    rank: point.map_or(0, |v| v.rank),
                    keep: false,
                    reasons: Vec::new(),
                    counters: retention::Counters::default(),
                    broken_chain: false,
                },
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "compliance_tests.rs"]
mod tests;
