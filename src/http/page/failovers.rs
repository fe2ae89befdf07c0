//! Recent failovers and switchovers: when, from which endpoint to which, planned or forced,
//! the outcome and how long it took; the endpoints' roles now.

use super::escape::esc;
use super::format::{bytes_or_unknown, measured, time, UNKNOWN};
use crate::view::venture::EndpointView;
use crate::view::FailoverView;

/// How many failovers the page lists.
pub const SHOWN: usize = 5;

/// The `<section id="failovers-{v}">`.
pub fn failovers(venture: &str, endpoints: &[EndpointView], list: &[FailoverView]) -> String {
    let id = esc(venture);
    let mut out = format!(
        "<section id=\"failovers-{id}\" data-live aria-labelledby=\"failovers-{id}-h\">\n<h3 id=\"failovers-{id}-h\">Endpoints and recent failovers</h3>\n"
    );
    if endpoints.is_empty() {
        out.push_str("<p>No database endpoint is configured for this venture.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th scope=\"col\">Endpoint</th><th scope=\"col\">Role</th><th scope=\"col\">Probe</th><th scope=\"col\">Replication lag</th></tr></thead><tbody>\n");
        for e in endpoints {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td></tr>\n",
                esc(&e.name),
                esc(e.role),
                if e.fenced {
                    " <strong class=\"missed\">(fenced)</strong>"
                } else {
                    ""
                },
                match e.up {
                    Some(true) => "✓ up".to_owned(),
                    Some(false) => "<strong class=\"missed\">✗ down</strong>".to_owned(),
                    None => UNKNOWN.to_owned(),
                },
                if e.role == "primary" {
                    "—".to_owned()
                } else {
                    bytes_or_unknown(e.replication_lag_bytes)
                },
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    if list.is_empty() {
        out.push_str("<p>No failover or switchover has been recorded.</p>\n");
    } else {
        out.push_str("<table><caption>Newest first</caption><thead><tr><th scope=\"col\">Started</th><th scope=\"col\">From → to</th><th scope=\"col\">Kind</th><th scope=\"col\">Outcome</th><th scope=\"col\">Took</th></tr></thead><tbody>\n");
        for f in list.iter().take(SHOWN) {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                time(f.started_at),
                esc(&f.from_endpoint),
                esc(&f.to_endpoint),
                if f.planned {
                    "planned switchover"
                } else {
                    "failover"
                },
                match f.outcome.as_deref() {
                    Some("completed") => "✓ completed".to_owned(),
                    Some(o) => format!("<strong class=\"missed\">✗ {}</strong>", esc(o)),
                    None => format!("in progress ({})", esc(&f.state)),
                },
                f.duration_seconds
                    .map_or_else(|| UNKNOWN.to_owned(), measured),
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</section>\n");
    out
}
