//! Names in text (pure): the `backstop_…` metrics and `backstop:…` recording rules a PromQL
//! expression uses, the metric families docs/metrics.md lists as emitted, and the sample names
//! of a `/metrics` body.

use std::collections::{BTreeMap, BTreeSet};

/// The `backstop_…` and `backstop:…` names `expr` uses; string literals (label values such as
/// `alertname=~"Backstop.+"` or `job="backstop"`) are skipped.
pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut chars = expr.chars().peekable();
    let mut word = String::new();
    let mut flush = |word: &mut String| {
        if word.starts_with("backstop_") || word.starts_with("backstop:") {
            names.insert(std::mem::take(word));
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        if c == '"' || c == '\'' || c == '`' {
            flush(&mut word);
            while let Some(d) = chars.next() {
                if d == '\\' && c != '`' {
                    chars.next();
                } else if d == c {
                    break;
                }
            }
        } else if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            flush(&mut word);
        }
    }
    flush(&mut word);
    names
}

/// The families docs/metrics.md lists under "## Emitted" (up to the next level-2 heading), with
/// their type: the first two cells of each table row whose first cell is a `backstop_…` name.
pub fn documented(markdown: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in markdown.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            inside = heading.trim() == "Emitted";
            continue;
        }
        if !inside {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| `name` | type | …" splits into ["", "`name`", "type", …].
        if cells.len() > 3 && cells[1].starts_with("`backstop_") {
            let name = cells[1].trim_matches('`').to_owned();
            out.insert(name, cells[2].to_owned());
        }
    }
    out
}

/// The documented family a sample name belongs to: itself, or a histogram's `_bucket`, `_sum`
/// and `_count` series.
pub fn family<'a>(name: &str, docs: &'a BTreeMap<String, String>) -> Option<&'a str> {
    if let Some((family, _)) = docs.get_key_value(name) {
        return Some(family);
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        let base = name.strip_suffix(suffix)?;
        docs.get_key_value(base)
            .filter(|(_, kind)| kind.as_str() == "histogram")
            .map(|(family, _)| family.as_str())
    })
}

/// The sample names of a Prometheus text-format body (comments skipped).
pub fn sample_names(body: &str) -> BTreeSet<String> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn names_skip_strings_and_keep_recording_rules() {
    let expr = r#"sum by (kind) (rate(backstop_errors_total{venture=~"backstop_x|y", job='backstop'}[5m])) / on (venture) backstop:recoverable:bool"#;
    let names: Vec<String> = metric_names(expr).into_iter().collect();
    assert_eq!(
        names,
        ["backstop:recoverable:bool", "backstop_errors_total"]
    );
    assert!(metric_names(r#"up{job="backstop"}"#).is_empty());
}

#[test]
fn documented_families_come_from_the_emitted_section_only() {
    let md = "# m\n| `backstop_nope` | gauge | | x |\n## Emitted\n### A\n| metric | type |\n| --- | --- |\n\
              | `backstop_a_total` | counter | venture | x |\n| `backstop_h_seconds` | histogram | | y |\n\
              ## Not yet emitted (planned)\n| `backstop_later` | gauge | | z |\n";
    let docs = documented(md);
    assert_eq!(
        docs.keys().collect::<Vec<_>>(),
        ["backstop_a_total", "backstop_h_seconds"]
    );
    assert_eq!(
        family("backstop_h_seconds_bucket", &docs),
        Some("backstop_h_seconds")
    );
    assert_eq!(family("backstop_a_total", &docs), Some("backstop_a_total"));
    assert_eq!(family("backstop_a_total_bucket", &docs), None);
    assert_eq!(family("backstop_later", &docs), None);
}

#[test]
fn sample_names_of_a_body() {
    let body = "# HELP x y\n# TYPE x gauge\nbackstop_ready 1\nbackstop_x{a=\"b c\"} 2\n";
    assert_eq!(
        sample_names(body).into_iter().collect::<Vec<_>>(),
        ["backstop_ready", "backstop_x"]
    );
}
