//! Daily size samples of a venture (the last write of a day wins): the repository size when
//! known, else the newest backup's database size — the status page's size trend.

use chrono::NaiveDate;
use serde::Serialize;

use crate::store::SizeSample;

/// Days of history `size-history` returns.
pub const SIZE_HISTORY_DAYS: u32 = 90;

/// One day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizePoint {
    /// The UTC day.
    pub day: NaiveDate,
    /// Bytes.
    pub bytes: i64,
}

/// `GET /api/v1/ventures/{v}/size-history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeHistory {
    /// The first day asked for (today − 89 days).
    pub since: NaiveDate,
    /// Days covered.
    pub days: u32,
    /// Samples, oldest first (days without a sample are absent).
    pub samples: Vec<SizePoint>,
}

/// The first day of the history ending on `today`.
pub fn since(today: NaiveDate) -> NaiveDate {
    today - chrono::Days::new(u64::from(SIZE_HISTORY_DAYS - 1))
}

/// The history from the store's samples (any order) (pure).
pub fn size_history(today: NaiveDate, samples: &[SizeSample]) -> SizeHistory {
    let since = since(today);
    let mut samples: Vec<SizePoint> = samples
        .iter()
        .filter(|s| s.day >= since && s.day <= today)
        .map(|s| SizePoint {
            day: s.day,
            bytes: s.bytes,
        })
        .collect();
    samples.sort_by_key(|s| s.day);
    SizeHistory {
        since,
        days: SIZE_HISTORY_DAYS,
        samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_days_oldest_first() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("day");
        let s = |d: u64, bytes| SizeSample {
            venture: "a".into(),
            day: today - chrono::Days::new(d),
            bytes,
        };
        let h = size_history(today, &[s(0, 3), s(89, 1), s(90, 0), s(5, 2)]);
        assert_eq!(h.since, today - chrono::Days::new(89));
        let bytes: Vec<i64> = h.samples.iter().map(|p| p.bytes).collect();
        assert_eq!(bytes, [1, 2, 3]);
    }
}
