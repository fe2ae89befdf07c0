//! The Markdown rendering of a [`ReportData`] (pure): headings a compliance officer can read
//! top to bottom, tables for lists, every store text made safe for a table cell or a fence.

use std::fmt::Write as _;

use super::model::ReportData;
use super::words::{self, against, dur, secs, time, time_or_dash};

/// The report as Markdown.
pub fn render(r: &ReportData) -> String {
    let mut out = String::new();
    header(&mut out, r);
    summary(&mut out, r);
    objectives(&mut out, r);
    drills(&mut out, r);
    dominant(&mut out, r);
    coverage(&mut out, r);
    retention(&mut out, r);
    history(&mut out, r);
    out
}

/// Text fit for one table cell: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn header(out: &mut String, r: &ReportData) {
    let _ = writeln!(out, "# DR evidence report: {}\n", cell(&r.venture));
    let _ = writeln!(
        out,
        "- Period: {} to {}",
        time(r.period.since),
        time(r.period.until)
    );
    let _ = writeln!(
        out,
        "- Generated: {} by backstop {}",
        time(r.generated_at),
        r.backstop_version
    );
    let _ = writeln!(
        out,
        "- Backup source: {}",
        r.source.as_deref().unwrap_or("none configured")
    );
    for n in &r.notes {
        let _ = writeln!(out, "- Note: {}", cell(n));
    }
    out.push('\n');
}

fn summary(out: &mut String, r: &ReportData) {
    let s = &r.summary;
    let _ = writeln!(out, "## Summary\n\n**Verdict: {}**\n", s.verdict);
    for reason in &s.reasons {
        let _ = writeln!(out, "- {}", cell(reason));
    }
    if !s.reasons.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "Drills in the period: {} passed, {} failed, {} aborted{}.\n",
        s.drills_passed,
        s.drills_failed,
        s.drills_aborted,
        if s.drills_running > 0 {
            format!(", {} running", s.drills_running)
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "- {}", words::check("RTO", &s.rto));
    let _ = writeln!(out, "- {}", words::check("RPO", &s.rpo));
    if let Some(d) = &r.dominant_phase {
        let _ = writeln!(out, "- {}", words::dominant(d));
        let _ = writeln!(out, "- {}", d.trend.sentence);
    }
    out.push_str(
        "\nQuarterly drill requirement (at least one passed drill per calendar quarter, UTC):\n\n",
    );
    out.push_str("| quarter | passed drills | status |\n| --- | ---: | --- |\n");
    for q in &s.quarters {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            q.quarter, q.passed_drills, q.status
        );
    }
    out.push('\n');
}

fn objectives(out: &mut String, r: &ReportData) {
    let o = &r.objectives;
    let _ = writeln!(
        out,
        "## Objectives in force\n\n{}| objective | value |\n| --- | --- |",
        if o.overridden {
            "A run-time override changes the configured values (see the changes below).\n\n"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "| RPO (maximum data loss) | {} |", dur(o.rpo_seconds));
    let _ = writeln!(
        out,
        "| RTO (maximum time to recover) | {} |",
        dur(o.rto_seconds)
    );
    let _ = writeln!(out, "| PITR window | {} |", dur(o.pitr_window_seconds));
    let _ = writeln!(
        out,
        "| Newest backup at most | {} old |",
        dur(o.backup_max_age_seconds)
    );
    let p = &o.retention;
    let _ =
        writeln!(
        out,
        "| Retention (GFS) | last {}, hourly {}, daily {}, weekly {}, monthly {}, yearly {} |\n",
        words::count(p.last), words::count(p.hourly), words::count(p.daily),
        words::count(p.weekly), words::count(p.monthly), words::count(p.yearly)
    );
    if !r.objective_changes.is_empty() {
        out.push_str("Objective changes in the period:\n\n");
        for c in &r.objective_changes {
            let _ = writeln!(
                out,
                "- {} by {}: {}",
                time(c.at),
                cell(&c.actor),
                cell(&c.message)
            );
        }
        out.push('\n');
    }
}

fn drills(out: &mut String, r: &ReportData) {
    out.push_str("## Drills\n\n");
    if r.drills.is_empty() {
        out.push_str("No drill ran in the period.\n\n");
        return;
    }
    out.push_str("| drill | started | target | outcome | RTO | RPO |\n| ---: | --- | --- | --- | --- | --- |\n");
    for d in &r.drills {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            d.id,
            time(d.started_at),
            time_or_dash(d.target_time),
            d.outcome,
            against(d.rto_seconds, r.objectives.rto_seconds, d.rto_met),
            against(d.rpo_seconds, r.objectives.rpo_seconds, d.rpo_met)
        );
    }
    out.push('\n');
    for d in &r.drills {
        let _ = writeln!(
            out,
            "### Drill {} ({}, {})\n",
            d.id,
            time(d.started_at),
            d.outcome
        );
        let _ = writeln!(out, "Phases: {}.\n", cell(&words::phases(d)));
        if let Some(reason) = &d.reason {
            let _ = writeln!(out, "Reason: {}\n", cell(reason));
        }
        if let Some(log) = d.log_excerpt.as_deref().filter(|l| !l.trim().is_empty()) {
            let fence = if log.contains("```") { "~~~~" } else { "```" };
            let _ = writeln!(
                out,
                "Log excerpt:\n\n{fence}text\n{}\n{fence}\n",
                log.trim_end()
            );
        }
        if let Some(f) = &d.followed_by {
            let _ = writeln!(out, "{}\n", cell(&words::followed(f)));
        }
    }
}

fn dominant(out: &mut String, r: &ReportData) {
    out.push_str("## What dominates RTO\n\n");
    let Some(d) = &r.dominant_phase else {
        out.push_str("No passed drill with timed phases in the period: no phase can be named.\n\n");
        return;
    };
    let _ = writeln!(out, "{}\n\n{}\n", words::dominant(d), d.trend.sentence);
    out.push_str("| phase | total | share |\n| --- | ---: | ---: |\n");
    for s in &d.shares {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% |",
            cell(&s.phase),
            secs(s.seconds),
            s.share * 100.0
        );
    }
    out.push_str(
        "\nRTO runs from drill start to validated; cleanup comes after and is not counted.\n\n",
    );
}

fn coverage(out: &mut String, r: &ReportData) {
    let c = &r.coverage;
    let _ = writeln!(
        out,
        "## Backup coverage now\n\nPolled at {}.\n",
        time(c.polled_at)
    );
    match &c.newest_backup {
        Some(b) => {
            let _ = writeln!(
                out,
                "- Newest usable backup: {} ({}), finished {}, {} old against a maximum of {}: {}",
                cell(&b.label),
                b.kind,
                time(b.stop),
                dur(b.age_seconds),
                dur(c.backup_max_age_seconds),
                words::met(c.backup_age_met)
            );
        }
        None => out.push_str("- Newest usable backup: none known\n"),
    }
    let _ = writeln!(out, "- Backups listed: {}", c.backups);
    if let Some(w) = &c.window {
        let _ = writeln!(
            out,
            "- PITR window: {} piece(s), {} gap(s); covers {} against the objective: {}; exposure {}: {}",
            w.pieces.len(),
            w.gaps.len(),
            w.coverage_seconds.map_or("-".to_owned(), dur),
            words::met(w.coverage_met),
            w.exposure_seconds.map_or("-".to_owned(), dur),
            words::met(w.exposure_met)
        );
        for p in &w.pieces {
            let _ = writeln!(
                out,
                "  - {} to {} from backup {}",
                time(p.start),
                time(p.end),
                cell(&p.base_backup)
            );
        }
        for g in &w.gaps {
            let _ = writeln!(
                out,
                "  - gap: {} segment(s) missing after {}",
                g.missing,
                cell(
                    g.after_segment
                        .as_deref()
                        .unwrap_or("the start of the archive")
                )
            );
        }
    }
    for n in &c.notes {
        let _ = writeln!(out, "- Note: {}", cell(n));
    }
    out.push('\n');
}

fn retention(out: &mut String, r: &ReportData) {
    let t = &r.retention;
    out.push_str("## Retention compliance\n\n");
    if t.rules.is_empty() && t.unmeetable.is_empty() {
        out.push_str(
            "No retention rule was evaluated (no backups listed, or no count rule configured).\n\n",
        );
    } else {
        let _ = writeln!(
            out,
            "{} backup(s) kept, {} expirable.\n",
            t.kept_backups, t.expirable_backups
        );
        out.push_str("| rule | required | kept | status |\n| --- | ---: | ---: | --- |\n");
        for rule in &t.rules {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                rule.rule,
                rule.required,
                rule.kept,
                words::met(Some(rule.met))
            );
        }
        out.push('\n');
    }
    if let Some(plan) = &t.supabase_plan {
        let _ = writeln!(out, "Supabase plan: {}\n", cell(plan));
    }
    for u in &t.unmeetable {
        let _ = writeln!(
            out,
            "- The plan cannot meet {}: {}",
            cell(&u.rule),
            cell(&u.reason)
        );
    }
    if !t.unmeetable.is_empty() {
        out.push('\n');
    }
}

fn history(out: &mut String, r: &ReportData) {
    out.push_str("## Verifications in the period\n\n");
    if r.verifications.is_empty() {
        out.push_str("No repository verification was recorded in the period.\n\n");
    } else {
        out.push_str("| finished | outcome | detail |\n| --- | --- | --- |\n");
        for v in &r.verifications {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                time(v.finished_at),
                v.outcome,
                cell(&v.detail)
            );
        }
        out.push('\n');
    }
    out.push_str("## Failovers in the period\n\n");
    if r.failovers.is_empty() {
        out.push_str("No failover in the period.\n\n");
    } else {
        out.push_str("| started | from | to | kind | outcome | duration |\n| --- | --- | --- | --- | --- | ---: |\n");
        for f in &r.failovers {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                time(f.started_at),
                cell(&f.from_endpoint),
                cell(&f.to_endpoint),
                if f.planned {
                    "planned switchover"
                } else {
                    "forced failover"
                },
                f.outcome.as_deref().unwrap_or("in flight"),
                f.seconds.map_or("-".to_owned(), secs)
            );
        }
        out.push('\n');
    }
    out.push_str("## Recoveries in the period\n\n");
    if r.recoveries.is_empty() {
        out.push_str("No point-in-time recovery in the period.\n\n");
    } else {
        out.push_str("| requested | target | method | executed | outcome | RTO |\n| --- | --- | --- | --- | --- | --- |\n");
        for x in &r.recoveries {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                time(x.requested_at),
                time(x.target_time),
                cell(&x.method),
                if x.executed { "yes" } else { "planned only" },
                cell(&x.outcome),
                against(x.rto_seconds, r.objectives.rto_seconds, x.rto_met)
            );
        }
        out.push('\n');
    }
    out.push_str("## Backup size history\n\n");
    let _ = writeln!(out, "{}\n", words::size_history(&r.size_history));
}
