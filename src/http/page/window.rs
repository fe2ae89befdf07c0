//! A venture's PITR window: the SVG timeline with its gaps, a legend, and the same facts as
//! text (pieces with their base backups, gaps with the missing segments, coverage against the
//! `pitr_window` objective, exposure against the RPO).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::badge;
use super::escape::esc;
use super::format::{seconds, time, UNKNOWN};
use super::timeline::{window as draw, Span};
use crate::view::PitrView;

/// The `<section id="window-{v}">`.
pub fn window(venture: &str, p: &PitrView, now: DateTime<Utc>) -> String {
    let id = esc(venture);
    let w = &p.window;
    let spans: Vec<Span> = w
        .pieces
        .iter()
        .map(|x| Span {
            start: x.start,
            end: x.end,
        })
        .collect();
    let objective = Duration::from_secs(p.pitr_window_objective_seconds);
    let drawing = draw(venture, &spans, objective, now).unwrap_or_else(|| {
        format!("<p>{UNKNOWN}: no recoverable window is known (no usable backup with its WAL, or the source was not polled yet)</p>")
    });
    let enabled = match p.enabled {
        Some(true) => "on",
        Some(false) => "<strong class=\"missed\">off</strong>",
        None => UNKNOWN,
    };
    let coverage = match p.coverage_seconds {
        Some(c) => format!(
            "{} of {} {}",
            seconds(c),
            seconds(p.pitr_window_objective_seconds),
            badge::passed(p.coverage_met, "met", "short")
        ),
        None => UNKNOWN.to_owned(),
    };
    let exposure = match w.exposure_seconds {
        Some(e) => format!(
            "{} (RPO {}) {}",
            seconds(e),
            seconds(w.rpo_seconds),
            badge::passed(p.exposure_met, "within", "above")
        ),
        None => UNKNOWN.to_owned(),
    };
    let mut out = format!(
        concat!(
            "<section id=\"window-{id}\" data-live aria-labelledby=\"window-{id}-h\">\n",
            "<h3 id=\"window-{id}-h\">PITR window</h3>\n{drawing}\n",
            "<ul class=\"legend\"><li><span class=\"swatch piece-s\"></span>recoverable</li>",
            "<li><span class=\"swatch gap-s\"></span>gap (not recoverable)</li>",
            "<li><span class=\"swatch objective-s\"></span>span the objective asks for</li></ul>\n",
            "<dl class=\"facts\">\n<dt>Archiving</dt><dd>{enabled}</dd>\n",
            "<dt>Coverage</dt><dd>{coverage}</dd>\n",
            "<dt>Exposure</dt><dd>{exposure}</dd>\n",
            "<dt>Missing segments</dt><dd>{missing}</dd>\n</dl>\n"
        ),
        id = id,
        drawing = drawing,
        enabled = enabled,
        coverage = coverage,
        exposure = exposure,
        missing = w
            .missing_segments
            .map_or_else(|| UNKNOWN.to_owned(), |m| m.to_string()),
    );
    if !w.pieces.is_empty() {
        out.push_str("<ol class=\"pieces\">\n");
        for (i, piece) in w.pieces.iter().enumerate() {
            if i > 0 {
                out.push_str(&format!(
                    "<li class=\"gap-item\"><strong class=\"missed\">✗ gap</strong>: not recoverable from {} to {}</li>\n",
                    time(w.pieces[i - 1].end),
                    time(piece.start)
                ));
            }
            out.push_str(&format!(
                "<li>✓ recoverable from {} to {} <span class=\"muted\">(from backup {}, WAL {} … {})</span></li>\n",
                time(piece.start),
                time(piece.end),
                esc(&piece.base_backup),
                esc(&piece.first_segment),
                esc(&piece.last_segment)
            ));
        }
        out.push_str("</ol>\n");
    }
    for g in &w.gaps {
        out.push_str(&format!(
            "<p>Missing from the archive: {} segment{} ({}{})</p>\n",
            g.missing,
            if g.missing == 1 { "" } else { "s" },
            esc(&g.missing_names.join(", ")),
            if g.missing as usize > g.missing_names.len() {
                format!(" … {}", esc(&g.last_missing))
            } else {
                String::new()
            }
        ));
    }
    out.push_str("</section>\n");
    out
}
