//! The backup size trend: daily size samples drawn as a small inline SVG line (pure: samples in,
//! markup out). Days without a sample stay gaps in the x axis, so a missing week is visible.

use chrono::NaiveDate;

use super::format::bytes;

/// Width and height of the drawing (its `viewBox`).
const W: f64 = 240.0;
const H: f64 = 48.0;
/// Inner margin so the line and its end dot are not clipped.
const PAD: f64 = 4.0;

/// An SVG line of `samples` (day, bytes), oldest first; `None` without samples. Its accessible
/// name states the first and the last value.
pub fn size_trend(samples: &[(NaiveDate, u64)]) -> Option<String> {
    let (first, last) = (samples.first()?, samples.last()?);
    let days = (last.0 - first.0).num_days().max(1) as f64;
    let lo = samples.iter().map(|s| s.1).min().unwrap_or(0) as f64;
    let hi = samples.iter().map(|s| s.1).max().unwrap_or(0) as f64;
    let point = |(day, value): &(NaiveDate, u64)| {
        let x =
            PAD + (day.signed_duration_since(first.0).num_days() as f64 / days) * (W - 2.0 * PAD);
        let y = if hi > lo {
            H - PAD - ((*value as f64 - lo) / (hi - lo)) * (H - 2.0 * PAD)
        } else {
            H / 2.0
        };
        (x, y)
    };
    let points: Vec<String> = samples
        .iter()
        .map(|s| {
            let (x, y) = point(s);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let (lx, ly) = point(last);
    let label = if samples.len() == 1 {
        format!("Backup size: {} on {} (one sample)", bytes(last.1), last.0)
    } else {
        format!(
            "Backup size per day: {} on {} to {} on {} ({} samples)",
            bytes(first.1),
            first.0,
            bytes(last.1),
            last.0,
            samples.len()
        )
    };
    Some(format!(
        concat!(
            r#"<svg class="trend" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">"#,
            "<title>{label}</title>",
            r#"<polyline class="trend-line" fill="none" points="{points}"/>"#,
            r#"<circle class="trend-dot" cx="{lx:.1}" cy="{ly:.1}" r="2.5"/>"#,
            "</svg>"
        ),
        w = W,
        h = H,
        label = label,
        points = points.join(" "),
        lx = lx,
        ly = ly,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("date")
    }

    fn points(svg: &str) -> Vec<(f64, f64)> {
        let start = svg.find("points=\"").expect("points") + 8;
        let end = start + svg[start..].find('"').expect("end");
        svg[start..end]
            .split(' ')
            .map(|p| {
                let (x, y) = p.split_once(',').expect("x,y");
                (x.parse().expect("x"), y.parse().expect("y"))
            })
            .collect()
    }

    #[test]
    fn no_samples_no_drawing() {
        assert_eq!(size_trend(&[]), None);
    }

    #[test]
    fn growth_goes_up_and_missing_days_stay_gaps() {
        let svg = size_trend(&[(day(1), 100), (day(2), 200), (day(11), 400)]).expect("svg");
        let p = points(&svg);
        assert_eq!(p.len(), 3);
        // The smallest value sits at the bottom, the largest at the top (SVG y grows down).
        assert_eq!((p[0].0, p[0].1), (PAD, H - PAD));
        assert_eq!((p[2].0, p[2].1), (W - PAD, PAD));
        // Day 2 is one tenth of the way along a ten-day axis.
        assert!(
            (p[1].0 - (PAD + (W - 2.0 * PAD) / 10.0)).abs() < 0.1,
            "{p:?}"
        );
        assert!(svg.contains(r#"aria-label="Backup size per day: 100 B on 2026-11-01 to 400 B on 2026-11-11 (3 samples)""#), "{svg}");
        assert!(!svg.contains("style="), "inline styles break the CSP");
    }

    #[test]
    fn a_flat_or_single_series_is_drawn_mid_height() {
        let flat = points(&size_trend(&[(day(1), 5), (day(3), 5)]).expect("svg"));
        assert!(flat.iter().all(|(_, y)| *y == H / 2.0), "{flat:?}");
        let one = size_trend(&[(day(4), 1 << 20)]).expect("svg");
        assert!(
            one.contains("Backup size: 1.00 MiB on 2026-11-04 (one sample)"),
            "{one}"
        );
    }
}
