//! The report's period and calendar quarters (pure): `--since`/`--until` as a date
//! (`2026-01-01`, UTC midnight; an `--until` date includes that whole day), RFC 3339, or relative
//! to now (`-90d`); the default is the year before now.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::ReportError;

/// How far back the report looks without `--since`.
pub const DEFAULT_DAYS: i64 = 365;

/// The half-open period `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First instant included.
    pub since: DateTime<Utc>,
    /// First instant excluded.
    pub until: DateTime<Utc>,
}

impl Period {
    /// The period of `--since`/`--until` at `now`; refuses an empty one.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Period, ReportError> {
        let until = match until {
            Some(t) => parse_bound(t, now, true)?,
            None => now,
        };
        let since = match since {
            Some(t) => parse_bound(t, now, false)?,
            None => until - chrono::TimeDelta::days(DEFAULT_DAYS),
        };
        if since >= until {
            return Err(ReportError::Period(format!(
                "--since {} is not before --until {}; pass an earlier --since or a later --until",
                since.to_rfc3339(),
                until.to_rfc3339()
            )));
        }
        Ok(Period { since, until })
    }

    /// Whether `t` lies inside.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.since <= t && t < self.until
    }
}

/// One bound: a date (midnight UTC; as `until`, the next midnight), RFC 3339 or `-<n><unit>`.
fn parse_bound(text: &str, now: DateTime<Utc>, end: bool) -> Result<DateTime<Utc>, ReportError> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = if end {
            day.succ_opt().unwrap_or(day)
        } else {
            day
        };
        return Ok(midnight(day));
    }
    crate::recover::parse_time(text, now).map_err(|_| {
        ReportError::Period(format!(
            "{text:?} is not a time: write a date (2026-01-01), RFC 3339 (2026-01-01T00:00:00Z) or a time before now (-90d, -12w)"
        ))
    })
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// A calendar quarter (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    /// The year.
    pub year: i32,
    /// 1 to 4.
    pub number: u32,
}

impl Quarter {
    /// The quarter holding `t`.
    pub fn of(t: DateTime<Utc>) -> Quarter {
        Quarter {
            year: t.year(),
            number: (t.month() - 1) / 3 + 1,
        }
    }

    /// Its first instant.
    pub fn start(self) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(self.year, (self.number - 1) * 3 + 1, 1)
            .unwrap_or(NaiveDate::MIN);
        midnight(day)
    }

    /// The next quarter.
    pub fn next(self) -> Quarter {
        if self.number == 4 {
            Quarter {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// Its end (the next quarter's first instant).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// `2026-Q1`.
    pub fn label(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }

    /// Every quarter overlapping `period`, oldest first.
    pub fn overlapping(period: &Period) -> Vec<Quarter> {
        let mut out = Vec::new();
        let mut q = Quarter::of(period.since);
        while q.start() < period.until && out.len() < 400 {
            out.push(q);
            q = q.next();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn bounds_parse_as_dates_times_and_relative() {
        let now = t("2026-11-27T12:00:00Z");
        let p = Period::parse(Some("2026-01-01"), Some("2026-03-31"), now).expect("period");
        assert_eq!(p.since, t("2026-01-01T00:00:00Z"));
        assert_eq!(p.until, t("2026-04-01T00:00:00Z"));
        let p = Period::parse(Some("-90d"), None, now).expect("period");
        assert_eq!(p.since, t("2026-08-29T12:00:00Z"));
        assert_eq!(p.until, now);
        let p = Period::parse(None, None, now).expect("period");
        assert_eq!(p.since, t("2025-11-27T12:00:00Z"));
        assert!(Period::parse(Some("yesterday"), None, now).is_err());
        assert!(Period::parse(Some("2026-12-01"), None, now).is_err());
    }

    #[test]
    fn quarters_overlapping_a_period() {
        let p = Period {
            since: t("2025-11-27T12:00:00Z"),
            until: t("2026-04-01T00:00:00Z"),
        };
        let labels: Vec<String> = Quarter::overlapping(&p)
            .into_iter()
            .map(Quarter::label)
            .collect();
        assert_eq!(labels, ["2025-Q4", "2026-Q1"]);
        let q = Quarter::of(t("2025-11-27T12:00:00Z"));
        assert_eq!(q.start(), t("2025-10-01T00:00:00Z"));
        assert_eq!(q.end(), t("2026-01-01T00:00:00Z"));
    }
}
