//! The phase that dominates RTO and its trend (pure). RTO runs from drill start to validated,
//! so every phase but `cleanup` counts. Across the passed drills, the phase with the largest
//! share of the summed phase time dominates; its trend compares the mean of the earlier half of
//! those drills with the later half (a change under [`FLAT_WITHIN`] is flat), with the
//! least-squares slope in seconds per 30 days beside it (when the drills span a week or more).

use chrono::{DateTime, Utc};

use super::model::{DominantPhase, DrillRow, PhaseShare, Trend};

/// Phases that happen after the drill is validated, so outside RTO.
pub const NOT_RTO: &[&str] = &["cleanup"];

/// A relative change of the dominant phase smaller than this is `flat`.
pub const FLAT_WITHIN: f64 = 0.10;

/// The dominant phase of the passed drills among `drills`; `None` without a passed drill
/// with timed RTO phases.
pub fn dominant(drills: &[DrillRow]) -> Option<DominantPhase> {
    let passed: Vec<&DrillRow> = drills.iter().filter(|d| d.outcome == "passed").collect();
    let mut totals: Vec<(String, f64)> = Vec::new();
    for d in &passed {
        for p in d
            .phases
            .iter()
            .filter(|p| !NOT_RTO.contains(&p.name.as_str()))
        {
            match totals.iter_mut().find(|(n, _)| *n == p.name) {
                Some((_, s)) => *s += p.seconds.max(0.0),
                None => totals.push((p.name.clone(), p.seconds.max(0.0))),
            }
        }
    }
    let sum: f64 = totals.iter().map(|(_, s)| s).sum();
    if passed.is_empty() || totals.is_empty() || sum <= 0.0 {
        return None;
    }
    let mut shares: Vec<PhaseShare> = totals
        .into_iter()
        .map(|(phase, seconds)| PhaseShare {
            share: seconds / sum,
            phase,
            seconds,
        })
        .collect();
    // Largest first; ties keep the phases' order of appearance (stable sort).
    shares.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    let top = shares.first()?.clone();
    let series: Vec<(DateTime<Utc>, f64)> = passed
        .iter()
        .map(|d| (d.started_at, phase_seconds(d, &top.phase)))
        .collect();
    Some(DominantPhase {
        mean_seconds: top.seconds / passed.len() as f64,
        drills: passed.len() as u32,
        trend: trend(&top.phase, &series),
        phase: top.phase,
        share: top.share,
        shares,
    })
}

fn phase_seconds(d: &DrillRow, phase: &str) -> f64 {
    d.phases
        .iter()
        .filter(|p| p.name == phase)
        .map(|p| p.seconds.max(0.0))
        .sum()
}

/// The trend of `phase` over `series` (drill start, seconds), oldest first.
pub fn trend(phase: &str, series: &[(DateTime<Utc>, f64)]) -> Trend {
    if series.len() < 2 {
        return Trend {
            direction: "unknown".into(),
            earlier_mean_seconds: None,
            later_mean_seconds: None,
            slope_seconds_per_30_days: None,
            sentence: format!(
                "Trend of {phase}: not enough evidence ({} passed drill in the period; a trend needs two).",
                series.len()
            ),
        };
    }
    let half = series.len() / 2;
    let mean =
        |xs: &[(DateTime<Utc>, f64)]| xs.iter().map(|(_, s)| s).sum::<f64>() / xs.len() as f64;
    let earlier = mean(&series[..half]);
    // With an odd count the middle drill belongs to neither half.
    let later = mean(&series[series.len() - half..]);
    let slope = slope_per_30_days(series);
    let change = if earlier > 0.0 {
        (later - earlier) / earlier
    } else if later > 0.0 {
        1.0
    } else {
        0.0
    };
    let direction = if change.abs() < FLAT_WITHIN {
        "flat"
    } else if change > 0.0 {
        "rising"
    } else {
        "falling"
    };
    let slope_text = slope.map_or_else(String::new, |s| {
        format!(", least-squares slope {s:+.1}s per 30 days")
    });
    let sentence = format!(
        "Trend of {phase}: {direction} — mean {earlier:.1}s over the earlier {half} passed drill(s), {later:.1}s over the later {half} ({:+.0}%){slope_text}.",
        change * 100.0
    );
    Trend {
        direction: direction.into(),
        earlier_mean_seconds: Some(earlier),
        later_mean_seconds: Some(later),
        slope_seconds_per_30_days: slope,
        sentence,
    }
}

/// Drills closer together than this give no meaningful slope per 30 days.
pub const MIN_SLOPE_SPAN_DAYS: i64 = 7;

/// Least-squares slope of seconds against time, per 30 days; `None` when the drills span less
/// than [`MIN_SLOPE_SPAN_DAYS`].
fn slope_per_30_days(series: &[(DateTime<Utc>, f64)]) -> Option<f64> {
    let t0 = series.first()?.0;
    if series.last()?.0 - t0 < chrono::TimeDelta::days(MIN_SLOPE_SPAN_DAYS) {
        return None;
    }
    let xs: Vec<f64> = series
        .iter()
        .map(|(t, _)| (*t - t0).num_milliseconds() as f64 / 86_400_000.0 / 30.0)
        .collect();
    let n = series.len() as f64;
    let mx = xs.iter().sum::<f64>() / n;
    let my = series.iter().map(|(_, s)| s).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx <= f64::EPSILON {
        return None;
    }
    let sxy: f64 = xs
        .iter()
        .zip(series)
        .map(|(x, (_, y))| (x - mx) * (y - my))
        .sum();
    Some(sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::PhaseRow;

    fn drill(day: i64, outcome: &str, phases: &[(&str, f64)]) -> DrillRow {
        let start = DateTime::UNIX_EPOCH + chrono::TimeDelta::days(20_000 + day);
        DrillRow {
            id: day,
            started_at: start,
            finished_at: Some(start),
            target_time: None,
            outcome: outcome.into(),
            rto_seconds: Some(phases.iter().map(|p| p.1).sum()),
            rto_met: Some(true),
            rpo_seconds: Some(1.0),
            rpo_met: Some(true),
            phases: phases
                .iter()
                .map(|(n, s)| PhaseRow {
                    name: (*n).into(),
                    seconds: *s,
                    ok: true,
                    detail: String::new(),
                })
                .collect(),
            reason: None,
            log_excerpt: None,
            followed_by: None,
        }
    }

    #[test]
    fn restore_dominates_and_rises() {
        let drills = [
            drill(
                0,
                "passed",
                &[("restore", 10.0), ("replay", 2.0), ("cleanup", 99.0)],
            ),
            drill(30, "failed", &[("restore", 500.0)]),
            drill(60, "passed", &[("restore", 12.0), ("replay", 3.0)]),
            drill(90, "passed", &[("restore", 20.0), ("replay", 2.0)]),
            drill(120, "passed", &[("restore", 22.0), ("replay", 3.0)]),
        ];
        let d = dominant(&drills).expect("dominant");
        assert_eq!(d.phase, "restore");
        assert_eq!(d.drills, 4);
        assert!((d.share - 64.0 / 74.0).abs() < 1e-9, "{}", d.share);
        assert_eq!(d.trend.direction, "rising");
        assert_eq!(d.trend.earlier_mean_seconds, Some(11.0));
        assert_eq!(d.trend.later_mean_seconds, Some(21.0));
        assert!(d.trend.slope_seconds_per_30_days.expect("slope") > 0.0);
        assert!(d.trend.sentence.contains("rising"), "{}", d.trend.sentence);
        assert!(!d.shares.iter().any(|s| s.phase == "cleanup"));
    }

    #[test]
    fn flat_falling_and_unknown() {
        let flat = [
            drill(0, "passed", &[("replay", 10.0)]),
            drill(1, "passed", &[("replay", 10.5)]),
        ];
        assert_eq!(dominant(&flat).expect("d").trend.direction, "flat");
        let falling = [
            drill(0, "passed", &[("replay", 10.0)]),
            drill(1, "passed", &[("replay", 5.0)]),
        ];
        assert_eq!(dominant(&falling).expect("d").trend.direction, "falling");
        let one = [drill(0, "passed", &[("restore", 1.0)])];
        assert_eq!(dominant(&one).expect("d").trend.direction, "unknown");
        assert!(dominant(&[drill(0, "failed", &[("restore", 1.0)])]).is_none());
    }
}
