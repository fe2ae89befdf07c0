//! The DR drill timeline: newest first, each drill with its outcome in words and a symbol
//! (passed ✓ on a solid card, failed ✗ on a dashed one: never colour alone), its target, RTO
//! and RPO against the objectives, the reason of a failure, and the timed steps.

use chrono::{DateTime, Utc};

use super::badge;
use super::escape::esc;
use super::format::{measured, seconds, time, time_ago, time_or_unknown, UNKNOWN};
use crate::view::{DrillView, DrillsView};

/// How many drills the page lists (the API has the rest).
pub const SHOWN: usize = 10;

/// The `<section id="drills-{v}">`.
pub fn drills(venture: &str, d: &DrillsView, now: DateTime<Utc>) -> String {
    let id = esc(venture);
    let mut out = format!(
        concat!(
            "<section id=\"drills-{id}\" data-live aria-labelledby=\"drills-{id}-h\">\n",
            "<h3 id=\"drills-{id}-h\">DR drills</h3>\n<dl class=\"facts\">\n",
            "<dt>Objectives</dt><dd>RTO {rto} · RPO {rpo}</dd>\n",
            "<dt>Last success</dt><dd>{success}</dd>\n",
            "<dt>Next scheduled</dt><dd>{next}</dd>\n</dl>\n"
        ),
        id = id,
        rto = seconds(d.rto_objective_seconds),
        rpo = seconds(d.rpo_objective_seconds),
        success = d
            .last_success
            .map_or_else(|| "never".to_owned(), |t| time_ago(t, now)),
        next = time_or_unknown(d.next_run),
    );
    if d.drills.is_empty() {
        out.push_str("<p>No drill has run yet: <code>backstop drill --venture ");
        out.push_str(&id);
        out.push_str("</code> runs one now.</p>\n</section>\n");
        return out;
    }
    out.push_str("<ol class=\"drills\">\n");
    for drill in d.drills.iter().take(SHOWN) {
        out.push_str(&item(drill, d));
    }
    out.push_str("</ol>\n");
    if d.drills.len() > SHOWN {
        out.push_str(&format!(
            "<p class=\"muted\">{} older drills: <a href=\"/api/v1/ventures/{id}/drills\">all drills (JSON)</a></p>\n",
            d.drills.len() - SHOWN
        ));
    }
    out.push_str("</section>\n");
    out
}

fn item(drill: &DrillView, d: &DrillsView) -> String {
    let outcome = esc(&drill.outcome);
    let (symbol, word) = match drill.outcome.as_str() {
        "passed" => ("✓", "Passed"),
        "failed" => ("✗", "Failed"),
        "aborted" => ("✗", "Aborted"),
        "running" => ("…", "Running"),
        _ => ("?", "Unknown outcome"),
    };
    let measure = |v: Option<f64>, objective: u64, met: Option<bool>| match v {
        Some(s) => format!(
            "{} (objective {}) {}",
            measured(s),
            seconds(objective),
            badge::met(met)
        ),
        None => format!("{UNKNOWN} (objective {})", seconds(objective)),
    };
    let mut out = format!(
        concat!(
            "<li class=\"drill {outcome}\"><p><span class=\"outcome\">{symbol} {word}</span> ",
            "started {started}, target {target}</p>\n",
            "<p>RTO {rto} · RPO {rpo}</p>\n"
        ),
        outcome = outcome,
        symbol = symbol,
        word = word,
        started = time(drill.started_at),
        target = drill.target_time.map_or_else(|| "latest".to_owned(), time),
        rto = measure(drill.rto_seconds, d.rto_objective_seconds, drill.rto_met),
        rpo = measure(drill.rpo_seconds, d.rpo_objective_seconds, drill.rpo_met),
    );
    if let Some(reason) = drill.reason.as_deref().filter(|r| !r.is_empty()) {
        out.push_str(&format!("<p>Why: {}</p>\n", esc(reason)));
    }
    if !drill.steps.is_empty() {
        let steps: Vec<String> = drill
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{} {} {}",
                    if s.ok { "✓" } else { "✗" },
                    esc(&s.name),
                    measured(s.seconds)
                )
            })
            .collect();
        out.push_str(&format!(
            "<p class=\"muted\">Steps: {}</p>\n",
            steps.join(" · ")
        ));
    }
    out.push_str("</li>\n");
    out
}
