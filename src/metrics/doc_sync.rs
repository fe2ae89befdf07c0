//! Holds docs/metrics.md and the real encoder output consistent (a test-only module).
//!
//! For a snapshot with every field set, every family in the Prometheus 0.0.4 output must be
//! documented under "Emitted" with the same type and labels, every metric documented there must
//! be emitted, and nothing under "Not yet emitted (planned)" may appear.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;

use super::{synthetic, Format, Metrics};
use crate::state::SharedState;

const DOC: &str = include_str!("../../docs/metrics.md");

/// A metric family: its type and the label names of its samples (without `le`).
#[derive(Debug, PartialEq)]
struct Family {
    kind: String,
    labels: BTreeSet<String>,
}

/// Rows of the docs' metric tables, split into (emitted, planned).
fn documented() -> (BTreeMap<String, Family>, BTreeMap<String, Family>) {
    let (mut emitted, mut planned) = (BTreeMap::new(), BTreeMap::new());
    let mut in_planned = false;
    for line in DOC.lines() {
        if line.starts_with("## ") {
            in_planned = line.starts_with("## Not yet emitted (planned)");
        }
        if !line.starts_with("| `backstop_") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let family = Family {
            kind: cells[2].to_owned(),
            labels: cells[3]
                .split(',')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        let table = if in_planned {
            &mut planned
        } else {
            &mut emitted
        };
        assert!(
            table.insert(name.clone(), family).is_none(),
            "{name} documented twice"
        );
    }
    (emitted, planned)
}

/// Label names of one sample line (`name{a="x",b="y\"z"} 1`).
fn label_names(sample: &str) -> Vec<String> {
    let Some(open) = sample.find('{') else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut rest = &sample[open + 1..];
    while let Some(eq) = rest.find("=\"") {
        names.push(rest[..eq].trim_start_matches(',').to_owned());
        // Skip the quoted value, honouring backslash escapes.
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = 0;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = eq + 2 + i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
        if rest.starts_with('}') {
            break;
        }
    }
    names
}

/// Families of a Prometheus text 0.0.4 exposition.
fn exposed(text: &str) -> BTreeMap<String, Family> {
    let mut families = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line has a type");
            let family = Family {
                kind: kind.to_owned(),
                labels: BTreeSet::new(),
            };
            families.insert(name.to_owned(), family);
        }
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap_or("");
        let family = ["", "_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|f| families.contains_key(*f))
            })
            .unwrap_or_else(|| panic!("sample without a TYPE: {line}"));
        let family = families.get_mut(family).expect("found above");
        family
            .labels
            .extend(label_names(line).into_iter().filter(|l| l != "le"));
    }
    families
}

#[test]
fn docs_match_the_encoder() {
    let metrics = Metrics::new(SharedState::new(synthetic::snapshot(2, Utc::now())));
    let text = metrics.encode(Format::PrometheusText).expect("encodes");
    let exposed = exposed(&text);
    let (emitted, planned) = documented();

    for (name, family) in &exposed {
        let doc = emitted
            .get(name)
            .unwrap_or_else(|| panic!("{name} is emitted but not documented under Emitted"));
        assert_eq!(
            doc, family,
            "{name}: docs/metrics.md disagrees with the encoder"
        );
    }
    for name in emitted.keys() {
        assert!(
            exposed.contains_key(name),
            "{name} is documented as emitted but is not"
        );
    }
    for name in planned.keys() {
        assert!(
            !exposed.contains_key(name),
            "{name} is emitted: move it to Emitted"
        );
        assert!(
            !emitted.contains_key(name),
            "{name} is both emitted and planned"
        );
    }
}

#[test]
fn label_names_parse_escaped_values() {
    let names = label_names(r#"x{a="1",b="q\"u,o=\"te",c="\\"} 1"#);
    assert_eq!(names, ["a", "b", "c"]);
    assert!(label_names("x 1").is_empty());
}
