//! Renders `backstop check` results as an aligned table or as JSON.

use serde::Serialize;

use super::rules::{worst, Finding, Severity};
use crate::state::Snapshot;

/// The JSON document of `backstop check --json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Worst severity overall.
    pub status: Severity,
    /// The process exit code (0, 1, 2).
    pub exit_code: i32,
    /// One entry per venture, in configuration order.
    pub ventures: Vec<VentureReport<'a>>,
}

/// One venture in the JSON report.
#[derive(Debug, Serialize)]
pub struct VentureReport<'a> {
    /// The venture name.
    pub name: &'a str,
    /// Worst severity of this venture.
    pub status: Severity,
    /// Everything found about it (empty when healthy).
    pub findings: Vec<&'a Finding>,
}

/// Groups findings by venture (every configured venture appears, healthy ones too).
pub fn report<'a>(snapshot: &'a Snapshot, findings: &'a [Finding]) -> Report<'a> {
    let ventures = snapshot
        .ventures
        .iter()
        .map(|v| {
            let mine: Vec<&Finding> = findings.iter().filter(|f| f.venture == v.name).collect();
            let status = mine
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Ok);
            VentureReport {
                name: &v.name,
                status,
                findings: mine,
            }
        })
        .collect();
    let status = worst(findings);
    Report {
        status,
        exit_code: status.exit_code(),
        ventures,
    }
}

/// A plain-text table: one line per finding, `ok` for a healthy venture, then each action.
pub fn table(report: &Report<'_>) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "VENTURE".into(),
        "SUBJECT".into(),
        "STATUS".into(),
        "FINDING".into(),
    ]];
    let mut actions = Vec::new();
    for v in &report.ventures {
        if v.findings.is_empty() {
            rows.push([
                v.name.to_string(),
                "-".into(),
                "ok".into(),
                "recoverable as far as this build checks".into(),
            ]);
        }
        for f in &v.findings {
            rows.push([
                v.name.to_string(),
                f.endpoint.clone().unwrap_or_else(|| "-".into()),
                f.severity.as_str().into(),
                format!("{}: {}", f.rule, f.message),
            ]);
            actions.push(format!("{}/{}: {}", v.name, f.rule, f.action));
        }
    }
    let widths: Vec<usize> = (0..3)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    if report.ventures.is_empty() {
        out.push_str(
            "no ventures configured: add a [[ventures]] table (see backstop.example.toml)\n",
        );
    }
    if !actions.is_empty() {
        out.push_str("\nwhat to do:\n");
        for a in actions {
            out.push_str(&format!("  {a}\n"));
        }
    }
    out.push_str(&format!(
        "\nstatus: {} (exit {})\n",
        report.status.as_str(),
        report.exit_code
    ));
    out
}
