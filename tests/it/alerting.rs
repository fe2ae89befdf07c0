//! Alert rules, SLO rules and Alertmanager routing checked by the real tools: `promtool check
//! rules`, `promtool test rules` (alerts/tests/), `promtool check config`, `amtool check-config`
//! and `amtool config routes test`; plus the rules' own shape: the agreed alert names, `for`,
//! severity, summary, description, a runbook_url that maps to `runbooks/<Alert>.md`, metric
//! names from docs/metrics.md, and a firing and a silent promtool case for every alert. A live
//! Alertmanager delivering to fakes is in [`alertmanager`].

mod alertmanager;

use std::path::PathBuf;

use backstop::http::page::runbooks::{ALERTS, RUNBOOK_BASE};
use std::process::{Command, Output};

/// The alert names agreed between the rules, the runbooks, the dashboards and the status page:
/// the page's list (`backstop::http::page::runbooks::ALERTS`) is the one copy.
pub fn agreed() -> Vec<&'static str> {
    ALERTS.iter().map(|a| a.alert).collect()
}

/// Alerts whose series carry no `venture` label (the agent itself).
const NO_VENTURE: &[&str] = &["BackstopAgentAbsent"];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a tool from the repository root; panics with the install command when it is missing.
pub fn tool(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{program} could not run ({e}): install it with \
                 `apt-get install prometheus prometheus-alertmanager` (or scripts/deps.sh test)"
            )
        })
}

/// Runs a tool and panics with its output unless it exits 0; returns stdout.
fn tool_ok(program: &str, args: &[&str]) -> String {
    let out = tool(program, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Repository-relative paths of the files in `dir` ending in `suffix`, sorted.
fn files(dir: &str, suffix: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(suffix))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    found.sort();
    found
}

fn rule_files() -> Vec<String> {
    let found = files("alerts", ".rules.yaml");
    assert!(found.len() >= 2, "alert rule files in alerts/: {found:?}");
    found
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// One alerting rule as written: its name and its keys (`for`, `severity`, `summary`,
/// `description`, `runbook_url`) with their text (block scalars joined).
#[derive(Debug, Default)]
struct Rule {
    name: String,
    file: String,
    keys: Vec<(String, String)>,
}

impl Rule {
    fn get(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Line-based extraction of the alerting rules of a rule file (the layout promtool accepts
/// and these files use: one key per line, block scalars indented below their key).
fn alerts_in(file: &str) -> Vec<Rule> {
    const KEYS: &[&str] = &["for", "severity", "summary", "description", "runbook_url"];
    let text = read(file);
    let lines: Vec<&str> = text.lines().collect();
    let mut rules = Vec::new();
    let mut current: Option<Rule> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("- alert:") || t.starts_with("- record:") || t.starts_with("- name:") {
            rules.extend(current.take());
            if let Some(name) = t.strip_prefix("- alert:") {
                current = Some(Rule {
                    name: name.trim().to_string(),
                    file: file.to_string(),
                    keys: Vec::new(),
                });
            }
            continue;
        }
        let Some(rule) = current.as_mut() else {
            continue;
        };
        for key in KEYS {
            let Some(rest) = t.strip_prefix(&format!("{key}:")) else {
                continue;
            };
            let mut value = rest.trim().to_string();
            if value.starts_with('>') || value.starts_with('|') {
                let block: Vec<&str> = lines[i + 1..]
                    .iter()
                    .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
                    .map(|l| l.trim())
                    .collect();
                value = block.join(" ");
            }
            rule.keys.push((key.to_string(), value));
        }
    }
    rules.extend(current.take());
    rules
}

fn all_alerts() -> Vec<Rule> {
    rule_files().iter().flat_map(|f| alerts_in(f)).collect()
}

#[test]
fn promtool_checks_the_rule_files() {
    let mut args = vec!["check", "rules"];
    let files = rule_files();
    args.extend(files.iter().map(String::as_str));
    let out = tool_ok("promtool", &args);
    assert_eq!(
        out.matches("SUCCESS").count(),
        files.len(),
        "every rule file checked: {out}"
    );
}

#[test]
fn promtool_unit_tests_pass() {
    let tests = files("alerts/tests", ".test.yaml");
    assert!(!tests.is_empty(), "promtool tests in alerts/tests/");
    let mut args = vec!["test", "rules"];
    args.extend(tests.iter().map(String::as_str));
    let out = tool_ok("promtool", &args);
    assert_eq!(
        out.matches("SUCCESS").count(),
        tests.len(),
        "every test file passed: {out}"
    );
}

#[test]
fn promtool_checks_the_prometheus_example_with_its_rules() {
    let out = tool_ok("promtool", &["check", "config", "deploy/prometheus.yml"]);
    assert!(
        out.contains(&format!("SUCCESS: {} rule files found", rule_files().len())),
        "deploy/prometheus.yml loads every rule file: {out}"
    );
    let example = read("deploy/prometheus.yml");
    assert!(
        example.contains("job_name: backstop"),
        "BackstopAgentAbsent needs job=\"backstop\""
    );
}

#[test]
fn every_agreed_alert_exists_once_with_its_annotations() {
    let alerts = all_alerts();
    let mut names: Vec<&str> = alerts.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    let mut agreed = agreed();
    agreed.sort_unstable();
    assert_eq!(names, agreed, "alert names are exactly the agreed list");

    for rule in &alerts {
        let ctx = format!("{} in {}", rule.name, rule.file);
        assert!(rule.get("for").is_some(), "{ctx}: no `for:`");
        let severity = rule.get("severity").unwrap_or_default();
        assert!(
            severity == "critical" || severity == "warning",
            "{ctx}: severity {severity:?}"
        );
        let summary = rule.get("summary").unwrap_or_default();
        let description = rule.get("description").unwrap_or_default();
        assert!(summary.len() > 10, "{ctx}: summary {summary:?}");
        assert!(description.len() > 40, "{ctx}: description {description:?}");
        if !NO_VENTURE.contains(&rule.name.as_str()) {
            assert!(
                description.contains("{{ $labels.venture }}"),
                "{ctx}: the description names the venture"
            );
        }
        assert_eq!(
            rule.get("runbook_url"),
            Some(format!("{RUNBOOK_BASE}{}.md", rule.name).as_str()),
            "{ctx}: runbook_url"
        );
    }
}

#[test]
fn every_runbook_url_resolves_to_a_runbook_file() {
    for rule in all_alerts() {
        let url = rule.get("runbook_url").unwrap_or_default();
        let rel = url
            .strip_prefix("https://github.com/backstop-dr/backstop/blob/main/")
            .unwrap_or_else(|| panic!("{}: runbook_url {url} is not in the repository", rule.name));
        assert!(
            repo().join(rel).is_file(),
            "{}: {rel} does not exist (runbook_url {url})",
            rule.name
        );
    }
}

/// `backstop_…` metric names in `text` (recording rules use `backstop:`, not matched).
fn metric_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("backstop_") {
        let before = rest[..at].chars().last();
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/') {
            names.push(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn rules_use_only_documented_metrics() {
    let docs = read("docs/metrics.md");
    let emitted = docs
        .split("\n## Not yet emitted")
        .next()
        .unwrap_or_default();
    for file in rule_files() {
        let names = metric_names(&read(&file));
        assert!(names.len() > 5, "{file}: metric names found: {names:?}");
        for name in names {
            assert!(
                emitted.contains(&format!("`{name}`")),
                "{file} uses {name}, which docs/metrics.md does not list as emitted"
            );
        }
    }
}

/// For each `alertname:` of the promtool tests: whether some case expects it firing and some
/// case expects it silent (`exp_alerts: []`).
fn cases(texts: &[String]) -> Vec<(String, bool, bool)> {
    let mut seen: Vec<(String, bool, bool)> = Vec::new();
    for text in texts {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(name) = line.strip_prefix("alertname:") else {
                continue;
            };
            let next = lines[i + 1..]
                .iter()
                .find(|l| l.starts_with("exp_alerts:"))
                .copied()
                .unwrap_or_default();
            let silent = next.trim_end() == "exp_alerts: []";
            let name = name.trim().to_string();
            match seen.iter_mut().find(|(n, _, _)| *n == name) {
                Some(entry) => {
                    entry.1 |= !silent;
                    entry.2 |= silent;
                }
                None => seen.push((name, !silent, silent)),
            }
        }
    }
    seen
}

#[test]
fn every_alert_has_a_firing_and_a_silent_promtool_case() {
    let texts: Vec<String> = files("alerts/tests", ".test.yaml")
        .iter()
        .map(|f| read(f))
        .collect();
    let cases = cases(&texts);
    for name in agreed() {
        let (_, firing, silent) = cases
            .iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} has no promtool test case"));
        assert!(firing, "{name} has no firing case");
        assert!(silent, "{name} has no silent case");
    }
    let texts = texts.join("\n");
    assert!(
        texts.contains("idle") && texts.contains("BackstopWalArchivingStale"),
        "the idle-database case for archiving is tested"
    );
}

#[test]
fn amtool_checks_the_alertmanager_example() {
    let out = tool_ok("amtool", &["check-config", "deploy/alertmanager.yml"]);
    assert!(out.contains("SUCCESS"), "{out}");
    assert!(
        !read("deploy/alertmanager.yml").contains("hooks.slack.com/services/T"),
        "no inline webhook secret in the example"
    );
}

/// The receivers `amtool config routes test` picks for an alert with these labels.
fn routed(labels: &[&str]) -> String {
    let mut args = vec![
        "config",
        "routes",
        "test",
        "--config.file=deploy/alertmanager.yml",
    ];
    args.extend_from_slice(labels);
    tool_ok("amtool", &args).trim().to_string()
}

#[test]
fn amtool_routes_warnings_to_chat_and_criticals_to_the_pager_with_escalation() {
    assert_eq!(
        routed(&[
            "severity=warning",
            "alertname=BackstopBackupFailed",
            "venture=acme"
        ]),
        "chat-backstop",
        "warning -> chat only"
    );
    assert_eq!(
        routed(&[
            "severity=critical",
            "alertname=BackstopEndpointDown",
            "venture=acme"
        ]),
        "pager-oncall,pager-escalation,chat-backstop",
        "critical -> pager, the delayed second level, and the channel"
    );
    // The named escalation case: a critical page reaches the second-level receiver (after
    // group_wait 45m, while still firing: proven live in alertmanager::escalates_*).
    let escalation = routed(&[
        "severity=critical",
        "alertname=BackstopWalArchivingStale",
        "venture=acme",
        "endpoint=pg1",
    ]);
    assert!(
        escalation.split(',').any(|r| r == "pager-escalation"),
        "{escalation}"
    );
    // No severity (a rule bug) or an unknown one: never dropped, the channel gets it.
    assert_eq!(routed(&["alertname=SomethingElse"]), "chat-backstop");
    assert_eq!(
        routed(&["severity=info", "alertname=BackstopBackupFailed"]),
        "chat-backstop"
    );
}

#[test]
fn amtool_verifies_receivers_by_exit_status() {
    // --verify.receivers makes amtool exit non-zero on a mismatch: the check is not only ours.
    let wrong = tool(
        "amtool",
        &[
            "config",
            "routes",
            "test",
            "--config.file=deploy/alertmanager.yml",
            "--verify.receivers=chat-backstop",
            "severity=critical",
            "alertname=BackstopDrillFailed",
        ],
    );
    assert!(
        !wrong.status.success(),
        "a critical alert must not go to chat only"
    );
    let right = tool(
        "amtool",
        &[
            "config",
            "routes",
            "test",
            "--config.file=deploy/alertmanager.yml",
            "--verify.receivers=pager-oncall,pager-escalation,chat-backstop",
            "severity=critical",
            "alertname=BackstopDrillFailed",
        ],
    );
    assert!(right.status.success(), "{right:?}");
}

#[test]
fn line_extraction_reads_block_scalars() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rel = dir.path().join("x.rules.yaml");
    std::fs::write(
        &rel,
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 1m\n        \
         labels:\n          severity: warning\n        annotations:\n          summary: s\n          \
         description: >-\n            one\n            two\n          runbook_url: u\n      \
         - record: r\n        expr: up\n",
    )
    .expect("write");
    let rules = alerts_in(rel.to_str().expect("utf-8 path"));
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].get("description"), Some("one two"));
    assert_eq!(rules[0].get("runbook_url"), Some("u"));
    assert_eq!(
        metric_names("a backstop_x_y{} and backstop:z and x/backstop_no"),
        vec!["backstop_x_y"]
    );
}
