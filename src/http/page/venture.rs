//! One venture's card: its heading with the readiness badge and the findings behind it, then
//! backup status, PITR window, recovery point selector, drills, failovers and alert configuration.

use chrono::{DateTime, Utc};

use super::escape::esc;
use super::{alerts, backups, badge, drills, failovers, selector, window};
use crate::view::{
    DrillsView, FailoverView, ObjectivesView, RecoveryPoint, SizeHistory, VentureView,
};

/// Everything the page shows about one venture, built from the views by `gather`.
#[derive(Debug, Clone)]
pub struct VenturePage {
    /// Summary, backups, window, endpoints, objectives.
    pub view: VentureView,
    /// The drill timeline.
    pub drills: DrillsView,
    /// Recent failovers.
    pub failovers: Vec<FailoverView>,
    /// Daily size samples.
    pub sizes: SizeHistory,
    /// Objectives in force, configured and overridden.
    pub objectives: ObjectivesView,
    /// The selector's answer when the page was asked `?venture=&at=` for this venture, with
    /// what was asked.
    pub answer: Option<(String, RecoveryPoint)>,
}

/// The `<section class="card venture" id="v-{name}">`.
pub fn venture(p: &VenturePage, now: DateTime<Utc>) -> String {
    let name = &p.view.summary.name;
    let id = esc(name);
    let mut findings = String::new();
    if !p.view.summary.findings.is_empty() {
        findings.push_str(&format!(
            "<div id=\"findings-{id}\" data-live><details><summary>{} finding{} behind the readiness</summary><ul>\n",
            p.view.summary.findings.len(),
            if p.view.summary.findings.len() == 1 { "" } else { "s" }
        ));
        for f in &p.view.summary.findings {
            findings.push_str(&format!(
                "<li><strong>{:?}</strong>: {} <span class=\"muted\">→ {}</span></li>\n",
                f.severity,
                esc(&f.message),
                esc(&f.action)
            ));
        }
        findings.push_str("</ul></details></div>\n");
    } else {
        findings.push_str(&format!("<div id=\"findings-{id}\" data-live></div>\n"));
    }
    let (asked, answer) = match &p.answer {
        Some((asked, a)) => (Some(asked.as_str()), Some(a)),
        None => (None, None),
    };
    format!(
        concat!(
            "<section class=\"card venture\" id=\"v-{id}\" aria-labelledby=\"v-{id}-h\">\n",
            "<h2 id=\"v-{id}-h\">{name} <span id=\"badge-{id}\" data-live>{badge}</span></h2>\n{findings}",
            "<div class=\"grid\">\n{backups}{window}</div>\n{selector}",
            "<div class=\"grid\">\n{drills}{failovers}</div>\n{alerts}</section>\n"
        ),
        id = id,
        name = esc(name),
        badge = badge::readiness(p.view.summary.readiness),
        findings = findings,
        backups = backups::backups(name, &p.view.backups, &p.sizes, now),
        window = window::window(name, &p.view.pitr, now),
        selector = selector::selector(name, answer, asked),
        drills = drills::drills(name, &p.drills, now),
        failovers = failovers::failovers(name, &p.view.endpoint_states, &p.failovers),
        alerts = alerts::alerts(name, &p.objectives),
    )
}
