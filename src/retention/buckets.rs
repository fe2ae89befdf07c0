//! The six count rules and their calendar bucket keys, read in each backup's own UTC offset.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// A calendar rule. `Last` treats every backup as its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// The newest N backups.
    Last,
    /// The newest backup of each hour (Y-M-D-H).
    Hourly,
    /// … of each day (Y-M-D).
    Daily,
    /// … of each ISO 8601 week (ISO week-year + week: 2016-01-03 is in 2015-W53).
    Weekly,
    /// … of each month (Y-M).
    Monthly,
    /// … of each year (Y).
    Yearly,
}

impl Rule {
    /// Every rule, in restic's evaluation order.
    pub const ALL: [Rule; 6] = [
        Rule::Last,
        Rule::Hourly,
        Rule::Daily,
        Rule::Weekly,
        Rule::Monthly,
        Rule::Yearly,
    ];

    /// The rule's name: the `rule` metric label and restic's counter key.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Last => "last",
            Rule::Hourly => "hourly",
            Rule::Daily => "daily",
            Rule::Weekly => "weekly",
            Rule::Monthly => "monthly",
            Rule::Yearly => "yearly",
        }
    }

    /// restic's reason for a count rule, e.g. `daily snapshot`.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::Last => "last snapshot",
            Rule::Hourly => "hourly snapshot",
            Rule::Daily => "daily snapshot",
            Rule::Weekly => "weekly snapshot",
            Rule::Monthly => "monthly snapshot",
            Rule::Yearly => "yearly snapshot",
        }
    }

    /// restic's reason prefix for a `within_*` rule, e.g. `daily within` (the duration follows).
    /// `Last` has no within form; it is never asked.
    pub fn within_reason(self) -> &'static str {
        match self {
            Rule::Last => "within",
            Rule::Hourly => "hourly within",
            Rule::Daily => "daily within",
            Rule::Weekly => "weekly within",
            Rule::Monthly => "monthly within",
            Rule::Yearly => "yearly within",
        }
    }

    /// The bucket key of a backup at `time`, `nr` its position newest first (used by `Last`).
    /// Keys are negative before year 0; callers keep "no bucket yet" apart (an `Option`).
    pub fn key(self, time: &DateTime<FixedOffset>, nr: usize) -> i64 {
        let t = time.naive_local();
        let (y, m, d, h) = (
            i64::from(t.year()),
            i64::from(t.month()),
            i64::from(t.day()),
            i64::from(t.hour()),
        );
        match self {
            Rule::Last => i64::try_from(nr).unwrap_or(i64::MAX),
            Rule::Hourly => y * 1_000_000 + m * 10_000 + d * 100 + h,
            Rule::Daily => y * 10_000 + m * 100 + d,
            Rule::Weekly => {
                let w = t.iso_week();
                i64::from(w.year()) * 100 + i64::from(w.week())
            }
            Rule::Monthly => y * 100 + m,
            Rule::Yearly => y,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(rule: Rule, s: &str) -> i64 {
        rule.key(&DateTime::parse_from_rfc3339(s).expect("valid"), 0)
    }

    #[test]
    fn iso_weeks_at_year_boundaries() {
        assert_eq!(key(Rule::Weekly, "2016-01-01T10:00:00Z"), 201553);
        assert_eq!(key(Rule::Weekly, "2016-01-03T23:59:59Z"), 201553);
        assert_eq!(key(Rule::Weekly, "2016-01-04T00:00:00Z"), 201601);
        assert_eq!(key(Rule::Weekly, "2014-12-29T00:00:00Z"), 201501);
        assert_eq!(key(Rule::Weekly, "2020-12-31T00:00:00Z"), 202053);
        assert_eq!(key(Rule::Weekly, "2021-01-03T00:00:00Z"), 202053);
    }

    #[test]
    fn keys_use_the_stored_offset() {
        // 23:30 at +02:00 is 21:30 UTC: same day either way, but 00:30+02:00 is the previous
        // UTC day; restic buckets by the recorded wall clock.
        assert_eq!(key(Rule::Daily, "2016-01-02T00:30:00+02:00"), 20160102);
        assert_eq!(key(Rule::Hourly, "2016-01-02T00:30:00+02:00"), 2016010200);
        assert_eq!(key(Rule::Monthly, "2016-01-02T00:30:00+02:00"), 201601);
        assert_eq!(key(Rule::Yearly, "2016-01-02T00:30:00+02:00"), 2016);
    }
}
