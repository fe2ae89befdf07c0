//! The status table: one row per venture with its readiness, newest backup, latest recoverable
//! point, last drill and the finding that decides its readiness. Plain HTML: it is complete
//! without JavaScript.

use chrono::{DateTime, Utc};

use super::badge;
use super::escape::esc;
use super::format::{seconds, time_ago, UNKNOWN};
use crate::view::VentureView;

/// The `<section id="overview">` with the table.
pub fn overview(ventures: &[&VentureView], now: DateTime<Utc>) -> String {
    let mut rows = String::new();
    for v in ventures {
        let s = &v.summary;
        let finding = s
            .findings
            .iter()
            .max_by_key(|f| f.severity)
            .map_or_else(|| "none".to_owned(), |f| esc(&f.message));
        let exposure = match (s.pitr_latest, s.exposure_seconds) {
            (Some(latest), Some(exp)) => format!(
                "{} <span class=\"muted\">(exposure {}, RPO {})</span>",
                time_ago(latest, now),
                seconds(exp),
                esc(&v.objectives.rpo)
            ),
            _ => UNKNOWN.to_owned(),
        };
        rows.push_str(&format!(
            "<tr><th scope=\"row\"><a href=\"#v-{id}\">{name}</a></th><td>{badge}</td><td>{backup}</td><td>{exposure}</td><td>{drill}</td><td>{finding}</td></tr>\n",
            id = esc(&s.name),
            name = esc(&s.name),
            badge = badge::readiness(s.readiness),
            backup = s.last_backup.map_or_else(|| UNKNOWN.to_owned(), |t| time_ago(t, now)),
            drill = badge::passed(s.last_drill_passed, "passed", "failed"),
        ));
    }
    if ventures.is_empty() {
        rows.push_str("<tr><td colspan=\"6\">No ventures are configured.</td></tr>\n");
    }
    format!(
        concat!(
            "<section id=\"overview\" data-live aria-labelledby=\"overview-h\">\n",
            "<h2 id=\"overview-h\">Ventures</h2>\n",
            "<table id=\"status-table\">\n<caption>Recoverability of every venture, worst finding first in each row</caption>\n",
            "<thead><tr><th scope=\"col\">Venture</th><th scope=\"col\">Readiness</th><th scope=\"col\">Newest backup</th>",
            "<th scope=\"col\">Latest recoverable point</th><th scope=\"col\">Last drill</th><th scope=\"col\">Worst finding</th></tr></thead>\n",
            "<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
        ),
        rows = rows
    )
}
