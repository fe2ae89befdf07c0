//! The HTML rendering of a [`ReportData`] (pure): one self-contained, printable page (inline
//! CSS, no scripts, no external assets); every text is escaped.

use std::fmt::Write as _;

use super::model::ReportData;
use super::words::{self, against, dur, secs, time, time_or_dash};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}\
h1{font-size:1.6rem;border-bottom:2px solid #333;padding-bottom:.3rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #bbb}h3{font-size:1.05rem}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.92rem}th,td{border:1px solid #bbb;padding:.25rem .45rem;text-align:left;vertical-align:top}th{background:#f0f0f0}\
.met{color:#156d2a;font-weight:600}.bad{color:#a4161a;font-weight:600}.verdict{font-size:1.2rem;padding:.5rem .8rem;border:2px solid currentColor;display:inline-block}\
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5rem;white-space:pre-wrap;word-break:break-all;font-size:.85rem}.muted{color:#555}\
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table,pre{page-break-inside:avoid}}";

/// Escapes `&`, `<`, `>`, `"` and `'`.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `met` in green, `NOT MET` in red.
fn status(text: &str) -> String {
    let class = match text {
        "met" | "ok" | "passed" | "completed" => "met",
        "NOT MET" | "not met" | "missed" | "failed" | "FAILED" | "aborted" | "no evidence" => "bad",
        _ => "muted",
    };
    format!("<span class=\"{class}\">{}</span>", esc(text))
}

/// A table of already-escaped cells.
fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

fn p(out: &mut String, text: &str) {
    let _ = writeln!(out, "<p>{}</p>", esc(text));
}

/// The report as one HTML page.
pub fn render(r: &ReportData) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>DR evidence report: {}</title><style>{STYLE}</style></head><body>\n",
        esc(&r.venture)
    );
    let _ = writeln!(out, "<h1>DR evidence report: {}</h1>", esc(&r.venture));
    let _ = writeln!(
        out,
        "<ul><li>Period: {} to {}</li><li>Generated: {} by backstop {}</li><li>Backup source: {}</li>",
        esc(&time(r.period.since)), esc(&time(r.period.until)), esc(&time(r.generated_at)),
        esc(&r.backstop_version), esc(r.source.as_deref().unwrap_or("none configured"))
    );
    for n in &r.notes {
        let _ = write!(out, "<li>Note: {}</li>", esc(n));
    }
    out.push_str("</ul>\n");
    summary(&mut out, r);
    objectives(&mut out, r);
    drills(&mut out, r);
    dominant(&mut out, r);
    coverage(&mut out, r);
    history(&mut out, r);
    out.push_str("</body></html>\n");
    out
}

fn summary(out: &mut String, r: &ReportData) {
    let s = &r.summary;
    let _ = writeln!(
        out,
        "<h2>Summary</h2><p class=\"verdict {}\">Verdict: {}</p>",
        if s.verdict == "met" { "met" } else { "bad" },
        esc(&s.verdict)
    );
    if !s.reasons.is_empty() {
        out.push_str("<ul>");
        for reason in &s.reasons {
            let _ = write!(out, "<li>{}</li>", esc(reason));
        }
        out.push_str("</ul>\n");
    }
    p(
        out,
        &format!(
            "Drills in the period: {} passed, {} failed, {} aborted, {} running.",
            s.drills_passed, s.drills_failed, s.drills_aborted, s.drills_running
        ),
    );
    let _ = write!(
        out,
        "<ul><li>{}</li><li>{}</li>",
        esc(&words::check("RTO", &s.rto)),
        esc(&words::check("RPO", &s.rpo))
    );
    if let Some(d) = &r.dominant_phase {
        let _ = write!(
            out,
            "<li>{}</li><li>{}</li>",
            esc(&words::dominant(d)),
            esc(&d.trend.sentence)
        );
    }
    out.push_str("</ul>\n");
    p(
        out,
        "Quarterly drill requirement (at least one passed drill per calendar quarter, UTC):",
    );
    let rows: Vec<Vec<String>> = s
        .quarters
        .iter()
        .map(|q| {
            vec![
                esc(&q.quarter),
                q.passed_drills.to_string(),
                status(&q.status),
            ]
        })
        .collect();
    table(out, &["quarter", "passed drills", "status"], &rows);
}

fn objectives(out: &mut String, r: &ReportData) {
    let o = &r.objectives;
    out.push_str("<h2>Objectives in force</h2>\n");
    if o.overridden {
        p(
            out,
            "A run-time override changes the configured values (see the changes below).",
        );
    }
    let t = &o.retention;
    let retention = format!(
        "last {}, hourly {}, daily {}, weekly {}, monthly {}, yearly {}",
        words::count(t.last),
        words::count(t.hourly),
        words::count(t.daily),
        words::count(t.weekly),
        words::count(t.monthly),
        words::count(t.yearly)
    );
    let rows = vec![
        vec![esc("RPO (maximum data loss)"), esc(&dur(o.rpo_seconds))],
        vec![
            esc("RTO (maximum time to recover)"),
            esc(&dur(o.rto_seconds)),
        ],
        vec![esc("PITR window"), esc(&dur(o.pitr_window_seconds))],
        vec![
            esc("Newest backup at most"),
            esc(&format!("{} old", dur(o.backup_max_age_seconds))),
        ],
        vec![esc("Retention (GFS)"), esc(&retention)],
    ];
    table(out, &["objective", "value"], &rows);
    if !r.objective_changes.is_empty() {
        p(out, "Objective changes in the period:");
        out.push_str("<ul>");
        for c in &r.objective_changes {
            let _ = write!(
                out,
                "<li>{} by {}: {}</li>",
                esc(&time(c.at)),
                esc(&c.actor),
                esc(&c.message)
            );
        }
        out.push_str("</ul>\n");
    }
}

fn drills(out: &mut String, r: &ReportData) {
    out.push_str("<h2>Drills</h2>\n");
    if r.drills.is_empty() {
        p(out, "No drill ran in the period.");
        return;
    }
    let rows: Vec<Vec<String>> = r
        .drills
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                esc(&time(d.started_at)),
                esc(&time_or_dash(d.target_time)),
                status(&d.outcome),
                esc(&against(d.rto_seconds, r.objectives.rto_seconds, d.rto_met)),
                esc(&against(d.rpo_seconds, r.objectives.rpo_seconds, d.rpo_met)),
            ]
        })
        .collect();
    table(
        out,
        &["drill", "started", "target", "outcome", "RTO", "RPO"],
        &rows,
    );
    for d in &r.drills {
        let _ = writeln!(
            out,
            "<h3>Drill {} ({}, {})</h3>",
            d.id,
            esc(&time(d.started_at)),
            status(&d.outcome)
        );
        let rows: Vec<Vec<String>> = d
            .phases
            .iter()
            .map(|s| {
                vec![
                    esc(&s.name),
                    esc(&secs(s.seconds)),
                    status(if s.ok { "ok" } else { "FAILED" }),
                    esc(&s.detail),
                ]
            })
            .collect();
        if rows.is_empty() {
            p(out, "No phases recorded.");
        } else {
            table(out, &["phase", "duration", "result", "detail"], &rows);
        }
        if let Some(reason) = &d.reason {
            p(out, &format!("Reason: {reason}"));
        }
        if let Some(log) = d.log_excerpt.as_deref().filter(|l| !l.trim().is_empty()) {
            let _ = writeln!(out, "<p>Log excerpt:</p><pre>{}</pre>", esc(log.trim_end()));
        }
        if let Some(f) = &d.followed_by {
            p(out, &words::followed(f));
        }
    }
}

fn dominant(out: &mut String, r: &ReportData) {
    out.push_str("<h2>What dominates RTO</h2>\n");
    let Some(d) = &r.dominant_phase else {
        p(
            out,
            "No passed drill with timed phases in the period: no phase can be named.",
        );
        return;
    };
    p(out, &words::dominant(d));
    p(out, &d.trend.sentence);
    let rows: Vec<Vec<String>> = d
        .shares
        .iter()
        .map(|s| {
            vec![
                esc(&s.phase),
                esc(&secs(s.seconds)),
                format!("{:.0}%", s.share * 100.0),
            ]
        })
        .collect();
    table(out, &["phase", "total", "share"], &rows);
    p(
        out,
        "RTO runs from drill start to validated; cleanup comes after and is not counted.",
    );
}

fn coverage(out: &mut String, r: &ReportData) {
    let c = &r.coverage;
    out.push_str("<h2>Backup coverage now</h2>\n");
    p(out, &format!("Polled at {}.", time(c.polled_at)));
    out.push_str("<ul>");
    match &c.newest_backup {
        Some(b) => {
            let _ = write!(out, "<li>Newest usable backup: {} ({}), finished {}, {} old against a maximum of {}: {}</li>",
                esc(&b.label), esc(&b.kind), esc(&time(b.stop)), esc(&dur(b.age_seconds)), esc(&dur(c.backup_max_age_seconds)), status(words::met(c.backup_age_met)));
        }
        None => out.push_str("<li>Newest usable backup: none known</li>"),
    }
    let _ = write!(out, "<li>Backups listed: {}</li>", c.backups);
    if let Some(w) = &c.window {
        let _ = write!(out, "<li>PITR window: {} piece(s), {} gap(s); covers {} against the objective: {}; exposure {}: {}</li>",
            w.pieces.len(), w.gaps.len(), esc(&w.coverage_seconds.map_or("-".to_owned(), dur)), status(words::met(w.coverage_met)),
            esc(&w.exposure_seconds.map_or("-".to_owned(), dur)), status(words::met(w.exposure_met)));
    }
    for n in &c.notes {
        let _ = write!(out, "<li class=\"muted\">Note: {}</li>", esc(n));
    }
    out.push_str("</ul>\n");
    if let Some(w) = c.window.as_ref().filter(|w| !w.pieces.is_empty()) {
        let rows: Vec<Vec<String>> = w
            .pieces
            .iter()
            .map(|p| vec![esc(&time(p.start)), esc(&time(p.end)), esc(&p.base_backup)])
            .collect();
        table(out, &["recoverable from", "to", "base backup"], &rows);
    }
    let t = &r.retention;
    out.push_str("<h2>Retention compliance</h2>\n");
    if t.rules.is_empty() && t.unmeetable.is_empty() {
        p(
            out,
            "No retention rule was evaluated (no backups listed, or no count rule configured).",
        );
    } else {
        p(
            out,
            &format!(
                "{} backup(s) kept, {} expirable.",
                t.kept_backups, t.expirable_backups
            ),
        );
        let rows: Vec<Vec<String>> = t
            .rules
            .iter()
            .map(|x| {
                vec![
                    esc(&x.rule),
                    x.required.to_string(),
                    x.kept.to_string(),
                    status(words::met(Some(x.met))),
                ]
            })
            .collect();
        table(out, &["rule", "required", "kept", "status"], &rows);
    }
    if let Some(plan) = &t.supabase_plan {
        p(out, &format!("Supabase plan: {plan}"));
    }
    for u in &t.unmeetable {
        p(
            out,
            &format!("The plan cannot meet {}: {}", u.rule, u.reason),
        );
    }
}

fn history(out: &mut String, r: &ReportData) {
    out.push_str("<h2>Verifications in the period</h2>\n");
    if r.verifications.is_empty() {
        p(
            out,
            "No repository verification was recorded in the period.",
        );
    } else {
        let rows: Vec<Vec<String>> = r
            .verifications
            .iter()
            .map(|v| {
                vec![
                    esc(&time(v.finished_at)),
                    status(&v.outcome),
                    esc(&v.detail),
                ]
            })
            .collect();
        table(out, &["finished", "outcome", "detail"], &rows);
    }
    out.push_str("<h2>Failovers in the period</h2>\n");
    if r.failovers.is_empty() {
        p(out, "No failover in the period.");
    } else {
        let rows: Vec<Vec<String>> = r
            .failovers
            .iter()
            .map(|f| {
                vec![
                    esc(&time(f.started_at)),
                    esc(&f.from_endpoint),
                    esc(&f.to_endpoint),
                    esc(if f.planned {
                        "planned switchover"
                    } else {
                        "forced failover"
                    }),
                    status(f.outcome.as_deref().unwrap_or("in flight")),
                    esc(&f.seconds.map_or("-".to_owned(), secs)),
                ]
            })
            .collect();
        table(
            out,
            &["started", "from", "to", "kind", "outcome", "duration"],
            &rows,
        );
    }
    out.push_str("<h2>Recoveries in the period</h2>\n");
    if r.recoveries.is_empty() {
        p(out, "No point-in-time recovery in the period.");
    } else {
        let rows: Vec<Vec<String>> = r
            .recoveries
            .iter()
            .map(|x| {
                vec![
                    esc(&time(x.requested_at)),
                    esc(&time(x.target_time)),
                    esc(&x.method),
                    esc(if x.executed { "yes" } else { "planned only" }),
                    esc(&x.outcome),
                    esc(&against(x.rto_seconds, r.objectives.rto_seconds, x.rto_met)),
                ]
            })
            .collect();
        table(
            out,
            &[
                "requested",
                "target",
                "method",
                "executed",
                "outcome",
                "RTO",
            ],
            &rows,
        );
    }
    out.push_str("<h2>Backup size history</h2>\n");
    p(out, &words::size_history(&r.size_history));
}
