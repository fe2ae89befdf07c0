//! Recovery target times: RFC 3339 (`2026-11-27T08:00:00Z`) or relative to now (`-15m`).

use chrono::{DateTime, TimeDelta, Utc};

use super::RecoverError;

/// Parses `text` as RFC 3339, or as `-<n><unit>` before `now` with unit `s`, `m`, `h`, `d` or
/// `w` (`-15m`, `-2h`, `-90s`, `-1d`).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, RecoverError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let bad = || RecoverError::Time {
        text: text.to_owned(),
    };
    let rest = text.strip_prefix('-').ok_or_else(bad)?;
    let unit_at = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = rest.split_at(unit_at);
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let delta = n
        .checked_mul(seconds)
        .and_then(TimeDelta::try_seconds)
        .ok_or_else(bad)?;
    now.checked_sub_signed(delta).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn absolute_and_relative_forms() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
            .single()
            .expect("valid");
        let cases = [
            ("2026-11-27T08:00:00Z", Some(now - TimeDelta::hours(4))),
            ("2026-11-27T09:00:00+01:00", Some(now - TimeDelta::hours(4))),
            (
                "2026-11-27T11:59:59.5Z",
                Some(now - TimeDelta::milliseconds(500)),
            ),
            ("-15m", Some(now - TimeDelta::minutes(15))),
            ("-90s", Some(now - TimeDelta::seconds(90))),
            ("-2h", Some(now - TimeDelta::hours(2))),
            ("-1d", Some(now - TimeDelta::days(1))),
            ("-1w", Some(now - TimeDelta::days(7))),
            ("-0m", Some(now)),
            ("15m", None),
            ("-15", None),
            ("-m", None),
            ("-15y", None),
            ("-99999999999999999d", None),
            ("yesterday", None),
            ("2026-11-27 08:00:00", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text, now).ok(), want, "{text:?}");
        }
        let e = parse_time("soon", now).expect_err("refused");
        assert!(e.to_string().contains("-15m"), "{e}");
    }
}
