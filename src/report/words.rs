//! The report's sentences and figures, shared by the Markdown and HTML renderers (pure), so
//! both say the same thing in the same words.

use chrono::{DateTime, Utc};

use super::model::{DominantPhase, DrillRow, FollowUp, ObjectiveCheck};

/// A measured duration: `12.3s` below a minute, else `4m05s` / `1h02m03s`.
pub fn secs(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        crate::inspect::human(seconds.round() as u64)
    }
}

/// An objective or age: `15m00s`, `4h00m00s`, `30d` for whole days.
pub fn dur(seconds: u64) -> String {
    if seconds >= 86_400 && seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else {
        crate::inspect::human(seconds)
    }
}

/// `2026-01-10 03:00:00 UTC`.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// An optional time, `-` when absent.
pub fn time_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".to_owned(), time)
}

/// `met` / `NOT MET` / `not measured`.
pub fn met(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "not measured",
    }
}

/// A measurement against its objective: `12.3s of 4h00m00s (met)`, or `-`.
pub fn against(value: Option<f64>, objective: u64, m: Option<bool>) -> String {
    value.map_or_else(
        || "-".to_owned(),
        |v| format!("{} of {} ({})", secs(v), dur(objective), met(m)),
    )
}

/// `RTO: 3 of 3 passed drills within 4h00m00s (worst 12.3s)`.
pub fn check(name: &str, c: &ObjectiveCheck) -> String {
    match c.worst_seconds {
        None => format!(
            "{name}: not measured (no passed drill with a measured {name}) against the objective of {}",
            dur(c.objective_seconds)
        ),
        Some(w) => format!(
            "{name}: {} of {} passed drills within the objective of {} (worst {}): {}",
            c.within,
            c.measured,
            dur(c.objective_seconds),
            secs(w),
            met(c.met)
        ),
    }
}

/// The dominant phase in one sentence.
pub fn dominant(d: &DominantPhase) -> String {
    format!(
        "The {} phase dominates RTO: {:.0}% of the measured recovery time across {} passed drill(s), {} per drill on average.",
        d.phase,
        d.share * 100.0,
        d.drills,
        secs(d.mean_seconds)
    )
}

/// What followed a failed or aborted drill, in one sentence.
pub fn followed(f: &FollowUp) -> String {
    let next = match (f.next_drill_id, f.next_started_at, &f.next_outcome) {
        (Some(id), Some(at), Some(o)) => format!("the next drill ({id}, {}) {o}", time(at)),
        _ => "no later drill in the period".to_owned(),
    };
    let recovered = match (f.recovered_by_drill_id, f.recovered_after_seconds) {
        (Some(id), Some(s)) => format!(
            "; a drill passed again with drill {id}, {} after this one started",
            secs(s)
        ),
        _ => "; no drill has passed since".to_owned(),
    };
    let told = if f.notifications.is_empty() {
        "; no drill notification was recorded".to_owned()
    } else {
        format!("; notified: {}", f.notifications.join("; "))
    };
    format!("What followed: {next}{recovered}{told}.")
}

/// The phases of a drill in one line: `restore 12.3s, replay 2.0s, cleanup 0.4s`.
pub fn phases(d: &DrillRow) -> String {
    if d.phases.is_empty() {
        return "no phases recorded".to_owned();
    }
    d.phases
        .iter()
        .map(|p| {
            format!(
                "{} {}{}",
                p.name,
                secs(p.seconds),
                if p.ok { "" } else { " (FAILED)" }
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bytes as `1.2 GiB`.
pub fn bytes(b: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The size history in one sentence.
pub fn size_history(rows: &[super::model::SizeRow]) -> String {
    match rows {
        [] => "No daily size sample was recorded in the period.".to_owned(),
        [one] => format!("1 daily sample: {} on {}.", bytes(one.bytes), one.day),
        [first, .., last] => format!(
            "{} daily samples: {} on {}, {} on {}.",
            rows.len(),
            bytes(first.bytes),
            first.day,
            bytes(last.bytes),
            last.day
        ),
    }
}

/// A retention count: `unlimited` for -1.
pub fn count(n: i32) -> String {
    if n < 0 {
        "unlimited".to_owned()
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures() {
        assert_eq!(secs(12.34), "12.3s");
        assert_eq!(secs(125.4), "2m05s");
        assert_eq!(dur(30 * 86_400), "30d");
        assert_eq!(dur(900), "15m00s");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(count(-1), "unlimited");
        assert_eq!(
            against(Some(10.0), 900, Some(true)),
            "10.0s of 15m00s (met)"
        );
    }
}
