//! How much history a Supabase plan keeps, and which retention rules and PITR-window objective it
//! therefore cannot meet (DESIGN.md §7), pure.
//!
//! The horizon: with PITR on, the add-on's days (`pitr_7`/`pitr_14`/`pitr_28`), or 28 (the
//! largest) when the add-on is unknown; with PITR off, daily backups kept up to 30 days
//! (Enterprise; Pro keeps 7, Team 14) — the plan tier is not read, so the best case is assumed
//! and said. A rule is unmeetable when the history it needs exceeds the horizon: daily N needs N
//! days, weekly N 7·(N−1)+1 days, monthly N about N−1 months, yearly N about N−1 years, hourly
//! (and last) N: N hours when PITR makes hourly restore points, else N days at one a day.
//! An unlimited rule (`-1`) needs unlimited history.

use std::time::Duration;

use crate::retention::{Policy, Rule};
use crate::state::UnmeetableRule;

/// The largest PITR retention Supabase sells (`pitr_28`).
pub const MAX_PITR_DAYS: u32 = 28;
/// The longest daily-backup retention of any plan (Enterprise).
pub const MAX_DAILY_BACKUP_DAYS: u32 = 30;

const DAY_SECS: u64 = 86_400;

/// What the project's plan keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Horizon {
    /// Days of restore points the plan keeps.
    pub days: u32,
    /// PITR is (taken to be) on: restore points at any second of the window.
    pub pitr: bool,
    /// PITR is known to be off.
    pub pitr_off: bool,
    /// `pitr_7`, `pitr_14`, `pitr_28`, `daily backups` or `daily backups, PITR off`.
    pub label: String,
    /// Why the days were assumed, when they were not read from the project.
    pub assumed: Option<String>,
}

impl Horizon {
    /// The plan from the project's facts: `pitr_enabled` and the PITR add-on variant.
    pub fn of(pitr_enabled: Option<bool>, pitr_addon: Option<&str>) -> Self {
        if let Some(days) = pitr_addon.and_then(addon_days) {
            return Horizon {
                days,
                pitr: true,
                pitr_off: false,
                label: format!("pitr_{days}"),
                assumed: None,
            };
        }
        if pitr_enabled == Some(true) {
            return Horizon {
                days: MAX_PITR_DAYS,
                pitr: true,
                pitr_off: false,
                label: format!("pitr_{MAX_PITR_DAYS}"),
                assumed: Some(format!(
                    "PITR is on but its add-on is unknown: assumed the largest, pitr_{MAX_PITR_DAYS}"
                )),
            };
        }
        let pitr_off = pitr_enabled == Some(false) || pitr_addon == Some("off");
        Horizon {
            days: MAX_DAILY_BACKUP_DAYS,
            pitr: false,
            pitr_off,
            label: if pitr_off {
                "daily backups, PITR off"
            } else {
                "daily backups"
            }
            .to_owned(),
            assumed: Some(format!(
                "plan tier unknown: assumed Enterprise's {MAX_DAILY_BACKUP_DAYS} days; Pro keeps 7, Team 14"
            )),
        }
    }

    /// "the plan keeps 28 days (pitr_28)", with the assumption when there is one.
    pub fn describe(&self) -> String {
        let assumed = self
            .assumed
            .as_ref()
            .map(|a| format!("; {a}"))
            .unwrap_or_default();
        format!(
            "the plan keeps {} ({}{assumed})",
            days(u64::from(self.days) * DAY_SECS),
            self.label
        )
    }
}

/// `pitr_7` → 7; anything else → `None`.
fn addon_days(addon: &str) -> Option<u32> {
    addon.strip_prefix("pitr_")?.parse().ok().filter(|d| *d > 0)
}

/// The rules of `policy` and the `pitr_window` objective that `horizon` cannot meet, in rule
/// order. PITR restore points are made per hour when the policy has an hourly rule.
pub fn unmeetable(
    policy: &Policy,
    pitr_window: Duration,
    horizon: &Horizon,
) -> Vec<UnmeetableRule> {
    let per_hour = horizon.pitr && policy.hourly != 0;
    let mut out: Vec<UnmeetableRule> = Rule::ALL
        .iter()
        .filter_map(|rule| {
            let count = policy.count(*rule);
            let (need_days, history) = need(*rule, count, per_hour)?;
            let exceeds = need_days.is_none_or(|d| d > u64::from(horizon.days));
            let what = if count < 0 {
                format!("unlimited {} restore points", rule.name())
            } else {
                format!("{count} {} restore point{}", rule.name(), plural(count))
            };
            let verb = if count == 1 { "needs" } else { "need" };
            exceeds.then(|| UnmeetableRule {
                rule: rule.name().to_owned(),
                reason: format!("{what} {verb} {history}; {}", horizon.describe()),
            })
        })
        .collect();
    out.extend(window_objective(pitr_window, horizon));
    out
}

/// The `pitr_window` objective against the plan, when it cannot be met.
fn window_objective(objective: Duration, horizon: &Horizon) -> Option<UnmeetableRule> {
    let secs = objective.as_secs();
    if secs == 0 {
        return None;
    }
    let wanted = days(secs);
    let reason = if horizon.pitr {
        let kept = u64::from(horizon.days) * DAY_SECS;
        (secs > kept).then(|| {
            format!(
                "a PITR window of {wanted} is unmeetable by {}: {}",
                days(secs - kept),
                horizon.describe()
            )
        })?
    } else if horizon.pitr_off {
        format!("a PITR window of {wanted} needs point-in-time recovery; PITR is off (daily backups only)")
    } else {
        let kept = u64::from(MAX_PITR_DAYS) * DAY_SECS;
        (secs > kept).then(|| {
            format!(
                "a PITR window of {wanted} is unmeetable by {}: the largest PITR add-on (pitr_{MAX_PITR_DAYS}) keeps {}",
                days(secs - kept),
                days(kept)
            )
        })?
    };
    Some(UnmeetableRule {
        rule: "pitr_window".to_owned(),
        reason,
    })
}

/// Days of history a rule needs (`None` = unlimited) and how to say it; `None` for an unused rule.
fn need(rule: Rule, count: i32, per_hour: bool) -> Option<(Option<u64>, String)> {
    if count == 0 {
        return None;
    }
    if count < 0 {
        return Some((None, "unlimited history".to_owned()));
    }
    let n = u64::from(count.unsigned_abs());
    let by_days = |d: u64| (Some(d.max(1)), format!("{} of history", days(d * DAY_SECS)));
    Some(match rule {
        Rule::Last | Rule::Hourly if per_hour => (
            Some(n.div_ceil(24)),
            format!("{n} hour{} of history", plural(count)),
        ),
        Rule::Last => (
            Some(n),
            format!(
                "{} of history at one restore point a day",
                days(n * DAY_SECS)
            ),
        ),
        Rule::Hourly => (
            Some(n),
            format!(
                "{} of history at one backup a day (hourly restore points need PITR)",
                days(n * DAY_SECS)
            ),
        ),
        Rule::Daily => by_days(n),
        Rule::Weekly => by_days(7 * (n - 1) + 1),
        Rule::Monthly if n == 1 => by_days(1),
        Rule::Monthly => (
            // An average month: 365.25 / 12 days.
            Some(((n - 1) * 36_525).div_ceil(1_200)),
            format!("{} month{} of history", n - 1, plural_u(n - 1)),
        ),
        Rule::Yearly if n == 1 => by_days(1),
        Rule::Yearly => (
            Some(((n - 1) * 36_525).div_ceil(100)),
            format!("{} year{} of history", n - 1, plural_u(n - 1)),
        ),
    })
}

/// A duration in days ("28 days", "1 day", "1.5 days"), or hours below a day.
pub fn days(secs: u64) -> String {
    if secs < DAY_SECS && secs % 3600 == 0 {
        let h = secs / 3600;
        return format!("{h} hour{}", plural_u(h));
    }
    if secs % DAY_SECS == 0 {
        let d = secs / DAY_SECS;
        return format!("{d} day{}", plural_u(d));
    }
    format!("{:.1} days", secs as f64 / DAY_SECS as f64)
}

fn plural(n: i32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn plural_u(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_from_facts() {
        let cases = [
            (None, Some("pitr_14"), 14, true, None),
            (Some(false), Some("pitr_7"), 7, true, None),
            (Some(true), None, 28, true, Some("assumed the largest")),
            (
                Some(true),
                Some("weird"),
                28,
                true,
                Some("assumed the largest"),
            ),
            (Some(false), None, 30, false, Some("Enterprise's 30 days")),
            (None, Some("off"), 30, false, Some("Pro keeps 7, Team 14")),
            (None, None, 30, false, Some("plan tier unknown")),
        ];
        for (enabled, addon, days, pitr, assumed) in cases {
            let h = Horizon::of(enabled, addon);
            assert_eq!((h.days, h.pitr), (days, pitr), "{enabled:?} {addon:?}");
            match assumed {
                Some(a) => assert!(h.describe().contains(a), "{}", h.describe()),
                None => assert!(h.assumed.is_none()),
            }
        }
    }

    #[test]
    fn durations_read_in_days() {
        assert_eq!(days(DAY_SECS), "1 day");
        assert_eq!(days(2 * DAY_SECS), "2 days");
        assert_eq!(days(DAY_SECS + DAY_SECS / 2), "1.5 days");
        assert_eq!(days(3600), "1 hour");
        assert_eq!(days(12 * 3600), "12 hours");
    }

    #[test]
    fn a_sub_day_window_objective_gap() {
        let h = Horizon::of(Some(true), Some("pitr_7"));
        let u = unmeetable(
            &Policy::default(),
            Duration::from_secs(7 * DAY_SECS + 12 * 3600),
            &h,
        );
        assert_eq!(
            u[0].reason,
            "a PITR window of 7.5 days is unmeetable by 12 hours: the plan keeps 7 days (pitr_7)"
        );
    }
}
