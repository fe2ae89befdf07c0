//! The retention policy (restic's `ExpirePolicy` without tags) and the per-rule counters.

use crate::config::RetentionPolicy;

use super::buckets::Rule;
use super::duration::RetentionDuration;

/// Which backups to keep. Counts: `0` = rule unused, `-1` = unlimited, `N > 0` = the newest N
/// buckets. `within*`: `None` (or a zero duration) = unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// Keep the newest N backups.
    pub last: i32,
    /// Keep the newest backup of each of the newest N hours that have one.
    pub hourly: i32,
    /// … days.
    pub daily: i32,
    /// … ISO weeks.
    pub weekly: i32,
    /// … months.
    pub monthly: i32,
    /// … years.
    pub yearly: i32,
    /// Keep every backup strictly after `latest − within`.
    pub within: Option<RetentionDuration>,
    /// Keep the newest backup of each hour strictly after `latest − within_hourly`.
    pub within_hourly: Option<RetentionDuration>,
    /// … of each day.
    pub within_daily: Option<RetentionDuration>,
    /// … of each ISO week.
    pub within_weekly: Option<RetentionDuration>,
    /// … of each month.
    pub within_monthly: Option<RetentionDuration>,
    /// … of each year.
    pub within_yearly: Option<RetentionDuration>,
}

impl Policy {
    /// The count of a rule.
    pub fn count(&self, rule: Rule) -> i32 {
        match rule {
            Rule::Last => self.last,
            Rule::Hourly => self.hourly,
            Rule::Daily => self.daily,
            Rule::Weekly => self.weekly,
            Rule::Monthly => self.monthly,
            Rule::Yearly => self.yearly,
        }
    }

    /// The `within_*` duration of a calendar rule, when set and non-zero (`Last` has none).
    pub fn within_of(&self, rule: Rule) -> Option<RetentionDuration> {
        let d = match rule {
            Rule::Last => None,
            Rule::Hourly => self.within_hourly,
            Rule::Daily => self.within_daily,
            Rule::Weekly => self.within_weekly,
            Rule::Monthly => self.within_monthly,
            Rule::Yearly => self.within_yearly,
        };
        d.filter(|d| !d.is_zero())
    }

    /// True when no rule is set. restic's `ApplyPolicy` then keeps **nothing** (golden case 0);
    /// its CLI refuses such a policy, and so do `backstop retention` and callers that expire.
    pub fn is_empty(&self) -> bool {
        let unset = |d: Option<RetentionDuration>| d.is_none_or(|d| d.is_zero());
        Rule::ALL.iter().all(|r| self.count(*r) == 0)
            && unset(self.within)
            && unset(self.within_hourly)
            && unset(self.within_daily)
            && unset(self.within_weekly)
            && unset(self.within_monthly)
            && unset(self.within_yearly)
    }
}

impl From<RetentionPolicy> for Policy {
    fn from(r: RetentionPolicy) -> Self {
        Policy {
            last: r.last,
            hourly: r.hourly,
            daily: r.daily,
            weekly: r.weekly,
            monthly: r.monthly,
            yearly: r.yearly,
            ..Policy::default()
        }
    }
}

/// Counts left per rule after a backup was evaluated (restic's `counters`): `-1` unlimited,
/// `0` used up or unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// `last` count left.
    pub last: i32,
    /// `hourly` count left.
    pub hourly: i32,
    /// `daily` count left.
    pub daily: i32,
    /// `weekly` count left.
    pub weekly: i32,
    /// `monthly` count left.
    pub monthly: i32,
    /// `yearly` count left.
    pub yearly: i32,
}

impl Counters {
    /// The count left for a rule.
    pub fn get(&self, rule: Rule) -> i32 {
        match rule {
            Rule::Last => self.last,
            Rule::Hourly => self.hourly,
            Rule::Daily => self.daily,
            Rule::Weekly => self.weekly,
            Rule::Monthly => self.monthly,
            Rule::Yearly => self.yearly,
        }
    }

    /// Sets the count left for a rule.
    pub fn set(&mut self, rule: Rule, value: i32) {
        match rule {
            Rule::Last => self.last = value,
            Rule::Hourly => self.hourly = value,
            Rule::Daily => self.daily = value,
            Rule::Weekly => self.weekly = value,
            Rule::Monthly => self.monthly = value,
            Rule::Yearly => self.yearly = value,
        }
    }

    /// The non-zero counters as `(rule name, count)`, like restic's JSON (`omitempty`).
    pub fn non_zero(&self) -> Vec<(&'static str, i32)> {
        Rule::ALL
            .iter()
            .map(|r| (r.name(), self.get(*r)))
            .filter(|(_, n)| *n != 0)
            .collect()
    }
}
