//! How the page writes values: times in UTC inside `<time>`, ages, durations in the config's
//! syntax, sizes in IEC units, and an honest "unknown" for anything not known.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::escape::esc;

/// The marker for a value the agent does not know.
pub const UNKNOWN: &str = r#"<span class="unknown">unknown</span>"#;

/// `<time datetime="…">2026-11-27 08:00:00 UTC</time>`.
pub fn time(t: DateTime<Utc>) -> String {
    format!(
        r#"<time datetime="{}">{}</time>"#,
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        t.format("%Y-%m-%d %H:%M:%S UTC")
    )
}

/// [`time`], or [`UNKNOWN`].
pub fn time_or_unknown(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| UNKNOWN.to_owned(), time)
}

/// The time and how long before `now` it was: `… (3h 5m ago)`.
pub fn time_ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let age = (now - t).num_seconds();
    if age < 0 {
        return format!("{} (in {})", time(t), seconds(age.unsigned_abs()));
    }
    format!("{} ({} ago)", time(t), seconds(age.unsigned_abs()))
}

/// A duration as the config writes it, to two units: `42s`, `15m`, `4h`, `2d 3h`, `1h 30m`.
pub fn seconds(total: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    if total == 0 {
        return "0s".to_owned();
    }
    let mut parts = Vec::new();
    let mut rest = total;
    for (size, unit) in UNITS {
        if rest >= size {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    // "1h 0m" never appears: units with a zero count were skipped above.
    parts.join(" ")
}

/// [`seconds`] of a [`Duration`].
pub fn duration(d: Duration) -> String {
    seconds(d.as_secs())
}

/// Seconds with a fraction, as drills measure them: `0.8s`, `12.4s`, then [`seconds`].
pub fn measured(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return UNKNOWN.to_owned();
    }
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    seconds(secs.round() as u64)
}

/// Bytes in IEC units with three significant digits: `512 B`, `1.50 KiB`, `23.4 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ if value < 10.0 => format!("{value:.2} {}", UNITS[unit]),
        _ if value < 100.0 => format!("{value:.1} {}", UNITS[unit]),
        _ => format!("{value:.0} {}", UNITS[unit]),
    }
}

/// [`bytes`], or [`UNKNOWN`].
pub fn bytes_or_unknown(n: Option<u64>) -> String {
    n.map_or_else(|| UNKNOWN.to_owned(), bytes)
}

/// Escaped text, or [`UNKNOWN`] when absent or empty.
pub fn text_or_unknown(s: Option<&str>) -> String {
    match s {
        Some(s) if !s.is_empty() => esc(s),
        _ => UNKNOWN.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn durations_use_two_units_at_most() {
        let cases = [
            (0, "0s"),
            (42, "42s"),
            (900, "15m"),
            (4 * 3600, "4h"),
            (5400, "1h 30m"),
            (3600 + 5, "1h 5s"),
            (2 * 86_400 + 3 * 3600 + 59, "2d 3h"),
            (30 * 86_400, "30d"),
        ];
        for (secs, want) in cases {
            assert_eq!(seconds(secs), want, "{secs}");
        }
        assert_eq!(measured(0.84), "0.8s");
        assert_eq!(measured(75.4), "1m 15s");
        assert_eq!(measured(f64::NAN), UNKNOWN);
    }

    #[test]
    fn sizes_use_iec_units() {
        let cases = [
            (0, "0 B"),
            (512, "512 B"),
            (1536, "1.50 KiB"),
            (24_536_678, "23.4 MiB"),
            (300 * 1024 * 1024 * 1024, "300 GiB"),
        ];
        for (n, want) in cases {
            assert_eq!(bytes(n), want, "{n}");
        }
        assert_eq!(bytes_or_unknown(None), UNKNOWN);
    }

    #[test]
    fn times_are_utc_with_a_machine_readable_attribute() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 27, 8, 0, 5)
            .single()
            .expect("t");
        assert_eq!(
            time(t),
            r#"<time datetime="2026-11-27T08:00:05Z">2026-11-27 08:00:05 UTC</time>"#
        );
        let now = t + chrono::Duration::seconds(3 * 3600 + 300);
        assert!(time_ago(t, now).ends_with("(3h 5m ago)"));
        assert_eq!(time_or_unknown(None), UNKNOWN);
        assert_eq!(text_or_unknown(Some("<b>")), "&lt;b&gt;");
        assert_eq!(text_or_unknown(Some("")), UNKNOWN);
    }
}
