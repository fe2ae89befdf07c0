//! The PITR window as an SVG timeline (pure: window pieces in, markup out): recoverable pieces
//! as solid bars, gaps between them hatched, the span the `pitr_window` objective asks for
//! bracketed under the track, and the time axis from the earliest point shown to now.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::escape::esc;
use super::format::seconds;

/// Width and height of the drawing (its `viewBox`).
const W: f64 = 600.0;
const H: f64 = 58.0;
/// Left and right margin.
const PAD: f64 = 6.0;
/// The track's top and height.
const TRACK_Y: f64 = 8.0;
const TRACK_H: f64 = 20.0;
/// Narrowest bar drawn, so a piece of a few seconds is still visible.
const MIN_W: f64 = 4.0;

/// One recoverable piece of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Earliest recoverable point.
    pub start: DateTime<Utc>,
    /// Latest recoverable point.
    pub end: DateTime<Utc>,
}

/// The timeline of `pieces` (oldest first) at `now`, against the `objective` coverage; `id`
/// makes the hatch pattern's id unique in the page. `None` without pieces.
pub fn window(
    id: &str,
    pieces: &[Span],
    objective: Duration,
    now: DateTime<Utc>,
) -> Option<String> {
    let first = pieces.first()?;
    let secs = i64::try_from(objective.as_secs()).unwrap_or(i64::MAX / 2_000_000);
    let wanted = now - chrono::Duration::seconds(secs.min(100 * 365 * 86_400));
    // The axis shows the window itself (so a gap of seconds in a window of minutes is visible);
    // an objective reaching back further is marked at the left edge instead of drawn to scale.
    let from = first.start.min(now);
    let to = now.max(pieces.iter().map(|p| p.end).max().unwrap_or(now));
    let span = (to - from).num_milliseconds().max(1) as f64;
    let x =
        |t: DateTime<Utc>| PAD + ((t - from).num_milliseconds() as f64 / span) * (W - 2.0 * PAD);
    let pattern = format!("hatch-{}", esc(id));
    let mut svg = format!(
        concat!(
            r#"<svg class="timeline" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{label}">"#,
            "<title>{label}</title>",
            r#"<defs><pattern id="{pattern}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
            r#"<rect class="gap-bg" width="6" height="6"/><line class="gap-line" x1="0" y1="0" x2="0" y2="6" stroke-width="3"/></pattern></defs>"#,
            r#"<rect class="track" x="{pad}" y="{ty}" width="{tw}" height="{th}"/>"#
        ),
        w = W,
        h = H,
        label = esc(&label(pieces, objective)),
        pattern = pattern,
        pad = PAD,
        ty = TRACK_Y,
        tw = W - 2.0 * PAD,
        th = TRACK_H,
    );
    for pair in pieces.windows(2) {
        let (a, b) = (x(pair[0].end), x(pair[1].start));
        if b > a {
            svg.push_str(&format!(
                r#"<rect class="gap" fill="url(#{pattern})" x="{a:.1}" y="{TRACK_Y}" width="{w:.1}" height="{TRACK_H}"><title>gap: not recoverable from {} to {}</title></rect>"#,
                stamp(pair[0].end),
                stamp(pair[1].start),
                w = (b - a).max(MIN_W),
            ));
        }
    }
    for p in pieces {
        let (a, b) = (x(p.start), x(p.end));
        svg.push_str(&format!(
            r#"<rect class="piece" x="{a:.1}" y="{TRACK_Y}" width="{w:.1}" height="{TRACK_H}"><title>recoverable from {} to {}</title></rect>"#,
            stamp(p.start),
            stamp(p.end),
            w = (b - a).max(MIN_W),
        ));
    }
    let bracket_y = TRACK_Y + TRACK_H + 5.0;
    let (oa, ob) = (x(wanted.max(from)), x(now));
    if wanted < from {
        // The objective starts before the earliest recoverable point: an open bracket with an
        // arrow at the left edge says "further back than this drawing".
        svg.push_str(&format!(
            r#"<path class="objective" fill="none" d="M{a:.1},{y:.1} l6,-3 M{a:.1},{y:.1} l6,3"/>"#,
            a = PAD,
            y = bracket_y + 4.0,
        ));
    }
    svg.push_str(&format!(
        concat!(
            r#"<path class="objective" fill="none" d="M{oa:.1},{y0:.1} V{y1:.1} H{ob:.1} V{y0:.1}"/>"#,
            r#"<text class="axis" x="{pad}" y="{ty:.1}" text-anchor="start">{from}</text>"#,
            r#"<text class="axis" x="{end:.1}" y="{ty:.1}" text-anchor="end">now {to}</text>"#,
            "</svg>"
        ),
        oa = oa,
        ob = ob,
        y0 = bracket_y,
        y1 = bracket_y + 4.0,
        pad = PAD,
        end = W - PAD,
        ty = H - 2.0,
        from = from.format("%Y-%m-%d %H:%M"),
        to = to.format("%H:%M UTC"),
    ));
    Some(svg)
}

/// The drawing's accessible name: how many pieces, the coverage, the objective.
fn label(pieces: &[Span], objective: Duration) -> String {
    let covered: i64 = pieces
        .iter()
        .map(|p| (p.end - p.start).num_seconds().max(0))
        .sum();
    let gaps = pieces.len().saturating_sub(1);
    format!(
        "PITR window: {} piece{}, {} gap{}, {} recoverable in total; objective {}",
        pieces.len(),
        if pieces.len() == 1 { "" } else { "s" },
        gaps,
        if gaps == 1 { "" } else { "s" },
        seconds(covered.unsigned_abs()),
        seconds(objective.as_secs()),
    )
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, 0)
            .single()
            .expect("time")
    }

    fn attr(tag: &str, name: &str) -> f64 {
        let key = format!(" {name}=\"");
        let start = tag.find(&key).expect("attribute") + key.len();
        let end = start + tag[start..].find('"').expect("quote");
        tag[start..end].parse().expect("number")
    }

    fn rects<'a>(svg: &'a str, class: &str) -> Vec<&'a str> {
        svg.match_indices(&format!("<rect class=\"{class}\""))
            .map(|(i, _)| &svg[i..i + svg[i..].find('>').expect("tag end")])
            .collect()
    }

    #[test]
    fn no_pieces_no_drawing() {
        assert_eq!(
            window("acme", &[], Duration::from_secs(3600), t(12, 0)),
            None
        );
    }

    #[test]
    fn a_gap_sits_between_two_pieces_in_time_order() {
        let pieces = [
            Span {
                start: t(8, 0),
                end: t(9, 0),
            },
            Span {
                start: t(10, 0),
                end: t(12, 0),
            },
        ];
        let svg = window("acme", &pieces, Duration::from_secs(3600), t(12, 0)).expect("svg");
        let bars = rects(&svg, "piece");
        let gaps = rects(&svg, "gap");
        assert_eq!((bars.len(), gaps.len()), (2, 1), "{svg}");
        // 08:00..12:00 spans the drawable width: the first bar starts at the margin, the
        // gap covers 09:00..10:00 (a quarter of the width) and the last bar ends at the edge.
        let unit = (W - 2.0 * PAD) / 4.0;
        assert_eq!(attr(bars[0], "x"), PAD);
        assert!(
            (attr(gaps[0], "x") - (PAD + unit)).abs() < 0.1,
            "{}",
            gaps[0]
        );
        assert!((attr(gaps[0], "width") - unit).abs() < 0.1);
        assert!((attr(bars[1], "x") + attr(bars[1], "width") - (W - PAD)).abs() < 0.1);
        assert!(svg.contains(r#"fill="url(#hatch-acme)""#) && svg.contains(r#"id="hatch-acme""#));
        assert!(svg.contains(
            "gap: not recoverable from 2026-11-27 09:00:00 UTC to 2026-11-27 10:00:00 UTC"
        ));
        assert!(svg.contains(r#"aria-label="PITR window: 2 pieces, 1 gap, 3h recoverable in total; objective 1h""#), "{svg}");
        assert!(!svg.contains("style="), "inline styles break the CSP");
    }

    #[test]
    fn an_objective_longer_than_the_window_is_marked_not_drawn_to_scale() {
        let pieces = [Span {
            start: t(11, 0),
            end: t(12, 0),
        }];
        let svg = window("v", &pieces, Duration::from_secs(4 * 3600), t(12, 0)).expect("svg");
        let bar = rects(&svg, "piece")[0];
        // The axis is the window itself: the hour of coverage fills the drawable width.
        assert_eq!(attr(bar, "x"), PAD);
        assert!((attr(bar, "width") - (W - 2.0 * PAD)).abs() < 0.1, "{bar}");
        assert!(svg.contains(">2026-11-27 11:00</text>"), "{svg}");
        assert!(
            svg.contains("l6,-3"),
            "the arrow for an objective reaching further back"
        );
        assert!(svg.contains("objective 4h"));
        let short = window("v", &pieces, Duration::from_secs(1800), t(12, 0)).expect("svg");
        assert!(
            !short.contains("l6,-3"),
            "a met objective is bracketed, no arrow"
        );
    }

    #[test]
    fn a_tiny_piece_stays_visible() {
        let pieces = [
            Span {
                start: t(0, 0),
                end: t(0, 0),
            },
            Span {
                start: t(6, 0),
                end: t(12, 0),
            },
        ];
        let svg = window("v", &pieces, Duration::from_secs(60), t(12, 0)).expect("svg");
        assert_eq!(attr(rects(&svg, "piece")[0], "width"), MIN_W);
    }
}
