//! restic's calendar duration (`1y2m3d4h`): parsing, normalised printing, and the `within` cutoff.
//!
//! The cutoff emulates Go's `time.AddDate`, which *normalises* instead of clamping: one month
//! before 2016-03-31 is 2016-03-02 (February 31st rolls forward), whereas chrono's
//! `checked_sub_months` would clamp to 2016-02-29. Days and months move the wall clock in the
//! timestamp's own offset; hours are then subtracted as absolute time.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone};

use super::RetentionError;

/// A restic duration: years, months, days and hours, each non-negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RetentionDuration {
    /// Calendar years.
    pub years: i32,
    /// Calendar months.
    pub months: i32,
    /// Calendar days.
    pub days: i32,
    /// Hours (absolute time).
    pub hours: i32,
}

impl RetentionDuration {
    /// True when every part is zero: a `within` rule with this duration is unused.
    pub fn is_zero(&self) -> bool {
        *self == RetentionDuration::default()
    }

    /// The instant `latest` moved back by this duration, as restic computes it:
    /// `latest.AddDate(-years, -months, -days).Add(-hours)`. `None` when the result falls outside
    /// the representable calendar (every snapshot is then inside the window).
    pub fn cutoff(&self, latest: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        let moved = go_add_date(
            latest,
            -i64::from(self.years),
            -i64::from(self.months),
            -i64::from(self.days),
        )?;
        moved.checked_sub_signed(Duration::hours(i64::from(self.hours)))
    }
}

/// Go's `t.AddDate(years, months, days)`: adds to the wall-clock fields in `t`'s own offset, then
/// normalises (month 13 is January of the next year, April 31 is May 1). `None` when the result
/// is outside chrono's calendar.
pub fn go_add_date(
    t: DateTime<FixedOffset>,
    years: i64,
    months: i64,
    days: i64,
) -> Option<DateTime<FixedOffset>> {
    let local = t.naive_local();
    let month0 = i64::from(local.month0()).checked_add(months)?;
    let year = i64::from(local.year())
        .checked_add(years)?
        .checked_add(month0.div_euclid(12))?;
    let month = u32::try_from(month0.rem_euclid(12) + 1).ok()?;
    let first = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, 1)?;
    let day_offset = i64::from(local.day()).checked_add(days)?.checked_sub(1)?;
    let date = first.checked_add_signed(Duration::try_days(day_offset)?)?;
    t.offset()
        .from_local_datetime(&date.and_time(local.time()))
        .single()
}

impl fmt::Display for RetentionDuration {
    /// restic's `Duration.String()`: the non-zero parts in y, m, d, h order (`1y1m1d`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, unit) in [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.days, 'd'),
            (self.hours, 'h'),
        ] {
            if n != 0 {
                write!(f, "{n}{unit}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for RetentionDuration {
    type Err = RetentionError;

    /// restic's `ParseDuration`: `<number><unit>` pairs in any order, units `y m d h`; a later
    /// duplicate overwrites an earlier one. Unlike restic's parser (its CLI rejects them later),
    /// negative numbers are refused here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| RetentionError::BadDuration {
            input: s.to_string(),
            reason: reason.to_string(),
        };
        let mut d = RetentionDuration::default();
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad("it is empty"));
        }
        while !rest.is_empty() {
            if rest.starts_with('-') {
                return Err(bad("negative durations are not allowed"));
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(bad("expected a number"));
            }
            let num: i32 = rest[..digits]
                .parse()
                .map_err(|_| bad("the number is too large"))?;
            rest = &rest[digits..];
            let unit = rest
                .chars()
                .next()
                .ok_or_else(|| bad("no unit after a number"))?;
            match unit {
                'y' => d.years = num,
                'm' => d.months = num,
                'd' => d.days = num,
                'h' => d.hours = num,
                _ => return Err(bad("units are y, m, d and h")),
            }
            rest = &rest[unit.len_utf8()..];
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect("valid time")
    }

    fn add(s: &str, y: i64, m: i64, d: i64) -> String {
        go_add_date(t(s), y, m, d).expect("in range").to_rfc3339()
    }

    #[test]
    fn month_overflow_rolls_forward_like_go() {
        // Feb 31 does not exist: Go normalises it to Mar 2 (leap year) or Mar 3.
        assert_eq!(
            add("2016-03-31T12:00:00Z", 0, -1, 0),
            "2016-03-02T12:00:00+00:00"
        );
        assert_eq!(
            add("2015-03-31T12:00:00Z", 0, -1, 0),
            "2015-03-03T12:00:00+00:00"
        );
        assert_eq!(
            add("2015-05-31T00:00:00Z", 0, -1, 0),
            "2015-05-01T00:00:00+00:00"
        );
        assert_eq!(
            add("2015-01-31T00:00:00Z", 0, 1, 0),
            "2015-03-03T00:00:00+00:00"
        );
    }

    #[test]
    fn leap_years() {
        assert_eq!(
            add("2016-02-29T00:00:00Z", 1, 0, 0),
            "2017-03-01T00:00:00+00:00"
        );
        assert_eq!(
            add("2016-02-29T00:00:00Z", -4, 0, 0),
            "2012-02-29T00:00:00+00:00"
        );
        assert_eq!(
            add("2000-02-28T00:00:00Z", 0, 0, 1),
            "2000-02-29T00:00:00+00:00"
        );
        assert_eq!(
            add("1900-02-28T00:00:00Z", 0, 0, 1),
            "1900-03-01T00:00:00+00:00"
        );
    }

    #[test]
    fn year_boundaries_and_negative_days() {
        assert_eq!(
            add("2016-01-18T12:02:03Z", 0, -1, 0),
            "2015-12-18T12:02:03+00:00"
        );
        assert_eq!(
            add("2016-01-18T12:02:03Z", -1, -2, -3),
            "2014-11-15T12:02:03+00:00"
        );
        assert_eq!(
            add("2016-01-01T00:00:00Z", 0, 0, -1),
            "2015-12-31T00:00:00+00:00"
        );
        assert_eq!(
            add("2016-01-10T00:00:00Z", 0, -13, 0),
            "2014-12-10T00:00:00+00:00"
        );
        assert_eq!(
            add("2016-03-01T00:00:00Z", 0, 0, -400),
            "2015-01-26T00:00:00+00:00"
        );
    }

    #[test]
    fn wall_clock_is_the_stored_offset() {
        assert_eq!(
            add("2016-03-31T23:30:00+02:00", 0, -1, 0),
            "2016-03-02T23:30:00+02:00"
        );
    }

    #[test]
    fn cutoff_subtracts_hours_after_the_calendar_part() {
        // Golden case 27: 13d23h before 2016-01-18 12:02:03 is 2016-01-04 13:02:03.
        let d: RetentionDuration = "13d23h".parse().expect("parses");
        let c = d.cutoff(t("2016-01-18T12:02:03Z")).expect("in range");
        assert_eq!(c.to_rfc3339(), "2016-01-04T13:02:03+00:00");
        // 9999 years back reaches before year 1 (golden case 35).
        let d: RetentionDuration = "9999y".parse().expect("parses");
        let c = d.cutoff(t("2016-01-18T12:02:03Z")).expect("in range");
        assert_eq!(c.naive_utc().year(), 2016 - 9999);
    }

    #[test]
    fn parses_any_order_and_prints_normalised() {
        let d: RetentionDuration = "1y1d1m".parse().expect("parses");
        assert_eq!(d.to_string(), "1y1m1d");
        let d: RetentionDuration = "2h1y".parse().expect("parses");
        assert_eq!((d.years, d.hours, d.to_string().as_str()), (1, 2, "1y2h"));
        let d: RetentionDuration = "1d2d".parse().expect("parses");
        assert_eq!(d.days, 2, "a later duplicate overwrites");
        for bad in ["", "5", "1w", "-1d", "d", "99999999999d"] {
            assert!(bad.parse::<RetentionDuration>().is_err(), "{bad:?}");
        }
    }
}
