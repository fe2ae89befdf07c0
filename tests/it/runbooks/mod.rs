//! Runbooks (DESIGN.md §11): every `backstop …` command in a fenced code block of runbooks/,
//! README.md and docs/ (and in inline code of runbooks/) parses with the real CLI parser; every runbook has Meaning / Impact /
//! Diagnosis / Mitigation / Escalation, names the objective it protects and links the
//! escalation policy; every agreed alert and scenario has its runbook and the index lists them.

mod commands;
mod sections;

use std::path::{Path, PathBuf};

use backstop::cli::Cli;
use clap::error::ErrorKind;
use clap::Parser;

use commands::{backstop_commands, inline_backstop_commands};
use sections::{link_targets, resolve, sections, title};

/// The scenario runbooks of DESIGN.md §11.
const SCENARIOS: [&str; 8] = [
    "primary-lost",
    "bad-migration-pitr",
    "archiving-broken",
    "backups-failing",
    "drill-failed",
    "storage-running-out",
    "agent-down",
    "supabase-project-restore",
];

const SECTIONS: [&str; 5] = ["Meaning", "Impact", "Diagnosis", "Mitigation", "Escalation"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn markdown_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    out.sort();
    out
}

/// Every runbook: runbooks/*.md but the index, and runbooks/scenarios/*.md.
fn runbooks() -> Vec<PathBuf> {
    let root = repo().join("runbooks");
    let mut out: Vec<PathBuf> = markdown_in(&root)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    out.extend(markdown_in(&root.join("scenarios")));
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `file:line: problem` for each `backstop` command of `path` that the CLI parser refuses.
fn parse_failures(path: &Path) -> (usize, Vec<String>) {
    let text = read(path);
    let mut found = backstop_commands(&text);
    if path.starts_with(repo().join("runbooks")) {
        found.extend(inline_backstop_commands(&text));
    }
    let mut failures = Vec::new();
    for cmd in &found {
        let at = format!("{}:{}: `{}`", rel(path), cmd.line, cmd.text);
        match &cmd.words {
            Err(why) => failures.push(format!("{at}: {why}")),
            Ok(words) => match Cli::try_parse_from(words) {
                Ok(_) => {}
                Err(e)
                    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {}
                Err(e) => failures.push(format!("{at}:\n{}", e.render())),
            },
        }
    }
    (found.len(), failures)
}

#[test]
fn every_backstop_command_in_the_docs_parses() {
    let mut files = runbooks();
    files.push(repo().join("runbooks/README.md"));
    files.push(repo().join("README.md"));
    files.extend(markdown_in(&repo().join("docs")));
    let mut failures = Vec::new();
    let mut total = 0;
    for file in &files {
        let (n, mut bad) = parse_failures(file);
        if n == 0 && file.starts_with(repo().join("runbooks")) && !file.ends_with("README.md") {
            bad.push(format!(
                "{}: no `backstop …` command in a fenced code block: give the reader the exact commands",
                rel(file)
            ));
        }
        total += n;
        failures.extend(bad);
    }
    assert!(
        failures.is_empty(),
        "{} of {total} commands or files fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_command_check_reports_file_line_and_clap_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sample.md");
    let text = "# Sample\n\nbackstop pitr --venture outside-a-fence-is-prose\n\n```\n\
        $ backstop pitr --venture acme --json | jq .pieces\n\
        backstop recover --venture acme \\\n    --to 2026-11-27T08:00:00Z\n\
        backstop drill --venture $VENTURE\n\
        backstop failover --venture acme --clear-fence <ENDPOINT>\n\
        sudo systemctl status backstop && backstop check --jsn\n\
        backstop report --venture acme --format pdf > report.pdf\n\
        BACKSTOP_LOG=debug backstop check --json 2>&1 # a comment --nope\n\
        ```\n";
    std::fs::write(&path, text).expect("write");
    let (n, failures) = parse_failures(&path);
    assert_eq!(n, 7, "{failures:#?}");
    let at = |line: usize| {
        failures
            .iter()
            .filter(|f| f.contains(&format!("sample.md:{line}: ")))
            .count()
    };
    assert_eq!(failures.len(), 4, "{failures:#?}");
    assert_eq!((at(6), at(7), at(13)), (0, 0, 0), "{failures:#?}");
    assert_eq!(
        (at(9), at(10), at(11), at(12)),
        (1, 1, 1, 1),
        "{failures:#?}"
    );
    let joined = failures.join("\n");
    assert!(
        joined.contains("\"$VENTURE\" is expanded by the shell"),
        "{joined}"
    );
    assert!(
        joined.contains("\"<ENDPOINT>\" is a placeholder"),
        "{joined}"
    );
    assert!(joined.contains("unexpected argument '--jsn'"), "{joined}");
    assert!(joined.contains("invalid value 'pdf'"), "{joined}");
    let inline = inline_backstop_commands(
        "Run `backstop pitr --venture acme --jsn`, not `backstop pitr` alone.\n```\n`backstop x --venture a`\n```\n",
    );
    assert_eq!(inline.len(), 1, "{inline:?}");
    assert_eq!(inline[0].line, 1);
    let words = inline[0].words.clone().expect("literal words");
    assert!(Cli::try_parse_from(words).is_err(), "--jsn is refused");
}

#[test]
fn every_runbook_has_the_five_sections_its_objective_and_escalation() {
    let escalation = repo().join("docs/escalation.md");
    let mut problems = Vec::new();
    for file in runbooks() {
        let text = read(&file);
        let name = rel(&file);
        if title(&text).is_none() {
            problems.push(format!("{name}: no `# ` title on the first line"));
        }
        let found = sections(&text);
        let headings: Vec<&str> = found.iter().map(|s| s.heading.as_str()).collect();
        let in_order: Vec<&str> = headings
            .iter()
            .copied()
            .filter(|h| SECTIONS.contains(h))
            .collect();
        if in_order != SECTIONS {
            problems.push(format!(
                "{name}: sections {headings:?}, want {SECTIONS:?} in this order"
            ));
            continue;
        }
        let body = |h: &str| {
            found
                .iter()
                .find(|s| s.heading == h)
                .map(|s| s.body.as_str())
                .unwrap_or_default()
        };
        for h in SECTIONS {
            if body(h).trim().is_empty() {
                problems.push(format!("{name}: section {h} is empty"));
            }
        }
        let protects = body("Impact")
            .split("\n\n")
            .find(|p| p.trim_start().starts_with("**Protects:**"))
            .unwrap_or_default();
        let names_objective = (protects.contains("RPO") && protects.contains("`rpo`"))
            || (protects.contains("RTO") && protects.contains("`rto`"));
        if !names_objective {
            problems.push(format!(
                "{name}: Impact needs a `**Protects:**` line naming the RPO and/or RTO it protects and its source (the venture's `rpo`/`rto` objective)"
            ));
        }
        let links_policy = link_targets(body("Escalation"))
            .iter()
            .any(|t| resolve(&file, t).as_deref() == Some(escalation.as_path()));
        if !links_policy {
            problems.push(format!(
                "{name}: Escalation must link the escalation policy (docs/escalation.md, relative to the file)"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_agreed_alert_and_scenario_has_a_runbook_listed_in_the_index() {
    let root = repo().join("runbooks");
    let alerts = crate::alerting::agreed();
    let mut expected: Vec<PathBuf> = alerts
        .iter()
        .map(|a| root.join(format!("{a}.md")))
        .collect();
    expected.extend(
        SCENARIOS
            .iter()
            .map(|s| root.join(format!("scenarios/{s}.md"))),
    );
    expected.sort();
    let mut actual = runbooks();
    actual.sort();
    assert_eq!(
        actual.iter().map(|p| rel(p)).collect::<Vec<_>>(),
        expected.iter().map(|p| rel(p)).collect::<Vec<_>>(),
        "runbooks/ must hold exactly one runbook per agreed alert and per scenario"
    );
    for file in &actual {
        let t = title(&read(file)).unwrap_or_default().to_owned();
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if alerts.contains(&stem) {
            assert!(
                t.starts_with(stem),
                "{}: the title starts with the alert name, got {t:?}",
                rel(file)
            );
        }
    }
    let index_path = root.join("README.md");
    let index = read(&index_path);
    let linked: Vec<PathBuf> = link_targets(&index)
        .iter()
        .filter_map(|t| resolve(&index_path, t))
        .collect();
    for file in &expected {
        assert!(
            linked.contains(file),
            "runbooks/README.md does not link {}",
            rel(file)
        );
    }
}

#[test]
fn links_between_runbooks_resolve() {
    let root = repo().join("runbooks");
    let mut files = runbooks();
    files.push(root.join("README.md"));
    let mut broken = Vec::new();
    for file in &files {
        for target in link_targets(&read(file)) {
            let Some(path) = resolve(file, &target) else {
                continue;
            };
            // Within runbooks/ and to the repository's own files; docs/escalation.md is written
            // by the escalation work and checked by the structure test above.
            if path.ends_with("docs/escalation.md") {
                continue;
            }
            if !path.exists() {
                broken.push(format!(
                    "{}: link {target} → {} does not exist",
                    rel(file),
                    rel(&path)
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}
