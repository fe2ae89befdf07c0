//! A venture's alert configuration: the objectives in force (configured value, run-time
//! override, the alerts each drives, with runbook links), a form to change them with the admin
//! token (needs JavaScript: it sends `PUT` with an `Authorization` header; the token is never
//! stored); the other alerts' runbooks once for the whole page ([`other_runbooks`]).

use super::escape::esc;
use super::format::time;
use super::runbooks::{url, ALERTS};
use crate::view::objectives::ObjectiveValues;
use crate::view::ObjectivesView;

/// The objectives, their labels and their values in a set.
const ROWS: [(&str, &str); 4] = [
    ("rpo", "RPO (data loss)"),
    ("rto", "RTO (time to recover)"),
    ("pitr_window", "PITR window"),
    ("backup_max_age", "Backup max age"),
];

fn value<'a>(v: &'a ObjectiveValues, field: &str) -> &'a str {
    match field {
        "rpo" => &v.rpo,
        "rto" => &v.rto,
        "pitr_window" => &v.pitr_window,
        _ => &v.backup_max_age,
    }
}

fn links(field: Option<&str>) -> String {
    ALERTS
        .iter()
        .filter(|a| a.objective == field)
        .map(|a| format!("<a href=\"{}\">{}</a>", esc(&url(a.alert)), a.alert))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `<section id="alerts-{v}">`.
pub fn alerts(venture: &str, o: &ObjectivesView) -> String {
    let id = esc(venture);
    let mut rows = String::new();
    for (field, label) in ROWS {
        let source = if o.overridden.contains(&field) {
            match &o.override_ {
                Some(ov) => format!(
                    "run-time override by {} at {}",
                    esc(&ov.set_by),
                    time(ov.set_at)
                ),
                None => "run-time override".to_owned(),
            }
        } else {
            "configuration".to_owned()
        };
        rows.push_str(&format!(
            "<tr><th scope=\"row\">{label}</th><td><strong>{}</strong></td><td>{}</td><td>{source}</td><td>{}</td></tr>\n",
            esc(value(&o.in_force, field)),
            esc(value(&o.configured, field)),
            links(Some(field)),
        ));
    }
    let r = &o.in_force.retention;
    let form = if o.editable {
        let mut fields = String::new();
        for (field, label) in ROWS {
            fields.push_str(&format!(
                "<div><label for=\"obj-{field}-{id}\">{label}</label><input id=\"obj-{field}-{id}\" name=\"{field}\" type=\"text\" inputmode=\"text\" autocomplete=\"off\" placeholder=\"{}\"></div>\n",
                esc(value(&o.in_force, field)),
            ));
        }
        format!(
            concat!(
                "<form class=\"objectives-form\" data-venture=\"{id}\" hidden>\n",
                "<p class=\"muted\">Change any subset (30s, 15m, 4h, 7d); empty fields keep their value. ",
                "The change is audited and alerts follow at the next scrape.</p>\n",
                "<div class=\"row\">\n{fields}",
                "<div><label for=\"obj-token-{id}\">Admin token</label>",
                "<input id=\"obj-token-{id}\" name=\"token\" type=\"password\" autocomplete=\"off\" required></div>\n",
                "</div>\n<p><button type=\"submit\">Change objectives</button></p>\n",
                "<p class=\"status-line\" role=\"status\" aria-live=\"polite\"></p>\n</form>\n",
                "<noscript><p>Changing objectives here needs JavaScript. Without it: ",
                "<code>curl -X PUT -H \"Authorization: Bearer $BACKSTOP_ADMIN_TOKEN\" -d '{{\"rpo\":\"5m\"}}' ",
                "http://&lt;agent address&gt;/api/v1/ventures/{id}/objectives</code></p></noscript>\n"
            ),
            id = id,
            fields = fields,
        )
    } else {
        "<p>Changing objectives at run time is disabled: no admin token is configured (set the variable named by <code>agent.admin_token_env</code>, or <code>agent.admin_token_file</code>).</p>\n".to_owned()
    };
    format!(
        concat!(
            "<section id=\"alerts-{id}\" aria-labelledby=\"alerts-{id}-h\">\n",
            "<h3 id=\"alerts-{id}-h\">Alert configuration</h3>\n",
            "<div id=\"objectives-{id}\" data-live>\n<table>\n<caption>Objectives in force</caption>\n",
            "<thead><tr><th scope=\"col\">Objective</th><th scope=\"col\">In force</th><th scope=\"col\">Configured</th>",
            "<th scope=\"col\">Source</th><th scope=\"col\">Alerts (runbooks)</th></tr></thead>\n<tbody>\n{rows}</tbody></table>\n",
            "<p class=\"muted\">Retention: last {last}, hourly {hourly}, daily {daily}, weekly {weekly}, monthly {monthly}, yearly {yearly} (from the configuration).</p>\n",
            "</div>\n{form}",
            "<p class=\"muted\">The other alerts' runbooks: <a href=\"#runbooks\">below</a>.</p>\n",
            "</section>\n"
        ),
        id = id,
        rows = rows,
        last = r.last,
        hourly = r.hourly,
        daily = r.daily,
        weekly = r.weekly,
        monthly = r.monthly,
        yearly = r.yearly,
        form = form,
    )
}

/// The page-level `<section id="runbooks">`: the alerts no objective drives, once for all ventures.
pub fn other_runbooks() -> String {
    format!(
        "<section id=\"runbooks\" class=\"card\" aria-labelledby=\"runbooks-h\">\n<h2 id=\"runbooks-h\">Runbooks of the other alerts</h2>\n<p>{}</p>\n</section>\n",
        links(None)
    )
}
