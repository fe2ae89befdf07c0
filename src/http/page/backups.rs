//! A venture's backup status: the newest usable backup (time, type, size), counts by status,
//! repository size, the size trend from daily samples, failed runs, and every backup with its
//! retention verdict.

use chrono::{DateTime, NaiveDate, Utc};

use super::escape::esc;
use super::format::{bytes, bytes_or_unknown, time, time_ago, time_or_unknown, UNKNOWN};
use super::size_trend::size_trend;
use crate::view::{BackupsView, SizeHistory};

/// The `<section id="backups-{v}">`.
pub fn backups(venture: &str, b: &BackupsView, sizes: &SizeHistory, now: DateTime<Utc>) -> String {
    let id = esc(venture);
    let last = match &b.last_backup {
        Some(l) => format!(
            "{} <span class=\"muted\">({}, {})</span>",
            time_ago(l.time, now),
            esc(l.kind),
            esc(&l.label)
        ),
        None => UNKNOWN.to_owned(),
    };
    let size = b
        .last_backup
        .as_ref()
        .map_or_else(|| UNKNOWN.to_owned(), |l| bytes_or_unknown(l.size_bytes));
    let counts = if b.by_status.is_empty() {
        if b.last_poll.is_some() {
            "none".to_owned()
        } else {
            UNKNOWN.to_owned()
        }
    } else {
        b.by_status
            .iter()
            .map(|(k, n)| format!("{n} {}", esc(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let samples: Vec<(NaiveDate, u64)> = sizes
        .samples
        .iter()
        .map(|s| (s.day, u64::try_from(s.bytes).unwrap_or(0)))
        .collect();
    let trend = size_trend(&samples)
        .map(|svg| match (samples.first(), samples.last()) {
            (Some(a), Some(b)) => format!(
                "{svg}<p class=\"muted\">{} on {} → {} on {}</p>",
                bytes(a.1),
                a.0,
                bytes(b.1),
                b.0
            ),
            _ => svg,
        })
        .unwrap_or_else(|| {
        format!("<p>{UNKNOWN}: no daily size sample stored yet (one is taken per day once a size is known)</p>")
    });
    let source_up = match b.report.source_up {
        Some(true) => "up".to_owned(),
        Some(false) => {
            "<strong class=\"missed\">✗ down</strong> (values as of the last good poll)".to_owned()
        }
        None => UNKNOWN.to_owned(),
    };
    let mut out = format!(
        concat!(
            "<section id=\"backups-{id}\" data-live aria-labelledby=\"backups-{id}-h\">\n",
            "<h3 id=\"backups-{id}-h\">Backup status</h3>\n<dl class=\"facts\">\n",
            "<dt>Source</dt><dd>{source} · {up}</dd>\n",
            "<dt>Last polled</dt><dd>{poll}</dd>\n",
            "<dt>Newest backup</dt><dd>{last}</dd>\n",
            "<dt>Database size</dt><dd>{size}</dd>\n",
            "<dt>Backups</dt><dd>{counts}</dd>\n",
            "<dt>Repository</dt><dd>{repo}</dd>\n</dl>\n",
            "<h4 class=\"muted\">Size, last {days} days</h4>\n{trend}\n"
        ),
        id = id,
        source = b.source.map_or_else(|| "none configured".to_owned(), esc),
        up = source_up,
        poll = time_or_unknown(b.last_poll),
        last = last,
        size = size,
        counts = counts,
        repo = bytes_or_unknown(b.repository_size_bytes),
        days = sizes.days,
        trend = trend,
    );
    if let Some(f) = b.report.failures.last() {
        out.push_str(&format!(
            "<p><strong class=\"missed\">✗ Last failed run</strong> {}: {}</p>\n",
            time(f.time),
            esc(&f.message)
        ));
    }
    if !b.report.backups.is_empty() {
        out.push_str(concat!(
            "<details><summary>Every backup and its retention verdict</summary>\n",
            "<table><thead><tr><th scope=\"col\">Label</th><th scope=\"col\">Type</th><th scope=\"col\">Stopped</th>",
            "<th scope=\"col\">Size</th><th scope=\"col\">Verdict</th></tr></thead><tbody>\n"
        ));
        for row in b.report.backups.iter().rev() {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&row.label),
                esc(row.kind),
                time(row.stop),
                bytes(row.database_size),
                match row.verdict {
                    Some(v) if row.reasons.is_empty() => esc(v),
                    Some(v) => format!("{} ({})", esc(v), esc(&row.reasons.join(", "))),
                    None => "no policy".to_owned(),
                }
            ));
        }
        out.push_str("</tbody></table></details>\n");
    }
    out.push_str("</section>\n");
    out
}
