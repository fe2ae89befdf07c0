//! The recovery point selector: a UTC date/time input whose answer (recoverable? from which
//! backup? the exact command, copyable) comes from `recovery-points?at=`. With JavaScript it
//! answers in place; without, the form reloads the page with `?venture=&at=` and the server
//! puts the same answer into the same box.

use super::escape::esc;
use crate::view::RecoveryPoint;

/// The `<section id="rp-{v}">`, with `answer` shown when the page was asked for one.
pub fn selector(venture: &str, answer: Option<&RecoveryPoint>, asked: Option<&str>) -> String {
    let id = esc(venture);
    format!(
        concat!(
            "<section id=\"rp-{id}\" aria-labelledby=\"rp-{id}-h\">\n",
            "<h3 id=\"rp-{id}-h\">Recovery point</h3>\n",
            "<p class=\"muted\">Pick a moment to recover to: the agent says whether it lies inside the window, ",
            "from which backup, and the exact restore command.</p>\n",
            "<form class=\"rp inline\" method=\"get\" action=\"/#rp-{id}\" data-venture=\"{id}\" data-answer=\"rp-answer-{id}\">\n",
            "<input type=\"hidden\" name=\"venture\" value=\"{id}\">\n",
            "<div><label for=\"rp-at-{id}\">Date and time (UTC)</label>",
            "<input id=\"rp-at-{id}\" name=\"at\" type=\"datetime-local\" step=\"1\" required value=\"{asked}\"></div>\n",
            "<button type=\"submit\">Check recovery point</button>\n</form>\n",
            "<div id=\"rp-answer-{id}\" class=\"answer{class}\" role=\"status\" aria-live=\"polite\">{answer}</div>\n",
            "</section>\n"
        ),
        id = id,
        asked = esc(asked.unwrap_or_default()),
        class = match answer {
            Some(a) if a.recoverable => " yes",
            Some(_) => " no",
            None => "",
        },
        answer = answer.map(|a| render(venture, a)).unwrap_or_default(),
    )
}

/// The answer box's content; the script builds the same from the API's JSON.
pub fn render(venture: &str, a: &RecoveryPoint) -> String {
    let mut out = format!(
        "<p><strong>{}</strong></p><p class=\"reason\">{}</p>",
        if a.recoverable {
            "✓ Recoverable"
        } else {
            "✗ Not recoverable"
        },
        esc(&a.reason)
    );
    if let Some(b) = &a.backup {
        out.push_str(&format!(
            "<p class=\"backup\">From backup: {}</p>",
            esc(&b.label)
        ));
    }
    if let Some(w) = &a.wal_range {
        out.push_str(&format!(
            "<p class=\"wal\">WAL: {} … {}</p>",
            esc(&w.from),
            esc(&w.to)
        ));
    }
    if let Some(c) = &a.command {
        out.push_str(&format!(
            concat!(
                "<pre class=\"command\"><code id=\"rp-command-{id}\">{cmd}</code></pre>",
                "<button type=\"button\" class=\"copy secondary\" data-copy-target=\"rp-command-{id}\">Copy command</button>"
            ),
            id = esc(venture),
            cmd = esc(c)
        ));
    }
    out
}
