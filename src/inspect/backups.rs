//! `backstop backups --venture V [--json]`: every backup with its size, type, status and
//! retention verdict (kept, with restic's reasons and `parent of <label>` pins, or expirable),
//! the failed runs, and the retention rules that are unmet. Supabase ventures also get their
//! restore points and the rules the plan cannot meet ([`super::restore_points`]).
//!
//! Exit codes follow `backstop check`'s backup rules ([`BACKUP_RULES`]): 2 when no backup is
//! usable or the newest usable one is older than `backup_max_age`, 1 when a retention rule is
//! unmet (or, on Supabase, one the plan cannot meet) or a failure is newer than the newest
//! success, else 0.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::check::rules::{worst, Finding, Severity};
use crate::check::source_rules::{source_rules, BACKUP_RULES};
use crate::config::Config;
use crate::state::VentureState;

/// The JSON document of `backstop backups --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupsReport {
    /// The venture.
    pub venture: String,
    /// The last poll of the source succeeded (`null` without a source or before a poll).
    pub source_up: Option<bool>,
    /// Backups, oldest first.
    pub backups: Vec<BackupRow>,
    /// Failed backup runs, oldest first.
    pub failures: Vec<FailureRow>,
    /// Retention rules keeping fewer backups than they ask for.
    pub unmet_rules: Vec<RuleRow>,
    /// The last `pgbackrest verify` (absent before the first one).
    pub verification: Option<VerificationRow>,
    /// Supabase ventures: restore points per UTC day, the plan and the rules it cannot meet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supabase: Option<super::restore_points::SupabaseRetention>,
    /// The backup findings behind the exit code.
    pub findings: Vec<Finding>,
    /// 0, 1 or 2.
    pub exit_code: u8,
}

/// The last backup verification, as `backups` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationRow {
    /// When it finished.
    pub last_run: DateTime<Utc>,
    /// When the last passed one finished.
    pub last_success: Option<DateTime<Utc>>,
    /// `passed` or `failed`.
    pub outcome: &'static str,
    /// WAL files missing from the archive.
    pub missing_wal: u64,
    /// Files whose checksum did not match.
    pub checksum_invalid: u64,
    /// Backups it found invalid.
    pub invalid_backups: Vec<String>,
    /// What it found.
    pub detail: String,
}

/// One backup with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupRow {
    /// Backup label.
    pub label: String,
    /// full, diff or incr.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// completed or checksum_error.
    pub status: &'static str,
    /// Start time.
    pub start: DateTime<Utc>,
    /// Stop time (the earliest point it restores to).
    pub stop: DateTime<Utc>,
    /// Database size captured, bytes.
    pub database_size: u64,
    /// Backup set size in the repository, bytes (absent with block incremental).
    pub repo_size: Option<u64>,
    /// Bytes this backup stored in the repository.
    pub repo_delta: Option<u64>,
    /// `kept` or `expirable`; `null` when the venture has no retention policy.
    pub verdict: Option<&'static str>,
    /// Why it is kept: restic's reasons, then `parent of <label>`.
    pub reasons: Vec<String>,
}

/// One failed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRow {
    /// When the error was logged.
    pub time: DateTime<Utc>,
    /// pgBackRest error code.
    pub code: Option<u32>,
    /// The error message.
    pub message: String,
}

/// One rule's compliance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// Rule name (`monthly`).
    pub rule: &'static str,
    /// What the policy asks for.
    pub required: i64,
    /// What is kept.
    pub kept: i64,
}

/// The report of `v` at `now` (pure).
pub fn report(v: &VentureState, now: DateTime<Utc>) -> BackupsReport {
    let src = v.source.as_ref();
    let backups = src.map_or_else(Vec::new, |s| {
        s.backups
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let verdict = s.verdicts.get(i);
                BackupRow {
                    label: b.label.clone(),
                    kind: b.kind.as_str(),
                    status: b.status.as_str(),
                    start: b.start,
                    stop: b.stop,
                    database_size: b.database_size,
                    repo_size: b.repo_size,
                    repo_delta: b.repo_delta,
                    verdict: verdict.map(|d| if d.keep { "kept" } else { "expirable" }),
                    reasons: verdict.map_or_else(Vec::new, |d| d.reasons.clone()),
                }
            })
            .collect()
    });
    let failures = src.map_or_else(Vec::new, |s| {
        s.failures
            .iter()
            .map(|f| FailureRow {
                time: f.at,
                code: f.code,
                message: f.message.clone(),
            })
            .collect()
    });
    let unmet_rules = src.map_or_else(Vec::new, |s| {
        s.retention
            .iter()
            .filter(|r| !r.is_met())
            .map(|r| RuleRow {
                rule: r.rule,
                required: r.required,
                kept: r.kept,
            })
            .collect()
    });
    let findings: Vec<Finding> = source_rules(v, now)
        .into_iter()
        .filter(|f| BACKUP_RULES.contains(&f.rule))
        .collect();
    let none_usable = src.is_none_or(|s| s.newest_usable(None).is_none());
    let severity = if none_usable {
        Severity::Critical
    } else {
        worst(&findings)
    };
    let verification = src
        .and_then(|s| s.verification.as_ref())
        .map(|x| VerificationRow {
            last_run: x.last_run,
            last_success: x.last_success,
            outcome: if x.last_outcome_ok {
                "passed"
            } else {
                "failed"
            },
            missing_wal: x.missing_wal,
            checksum_invalid: x.checksum_invalid,
            invalid_backups: x.invalid_backups.clone(),
            detail: x.detail.clone(),
        });
    BackupsReport {
        venture: v.name.clone(),
        source_up: src.and_then(|s| s.up),
        backups,
        failures,
        unmet_rules,
        verification,
        supabase: super::restore_points::of(v),
        findings,
        exit_code: severity.exit_code() as u8,
    }
}

impl BackupsReport {
    /// The plain-text rendering: a table of backups, then failures, unmet rules and findings.
    pub fn text(&self) -> String {
        let mut rows: Vec<[String; 8]> = vec![[
            "LABEL",
            "TYPE",
            "STATUS",
            "START",
            "STOP",
            "DB SIZE",
            "REPO SIZE/DELTA",
            "VERDICT",
        ]
        .map(String::from)];
        for b in &self.backups {
            let opt = |x: Option<u64>| x.map_or_else(|| "-".to_string(), |n| n.to_string());
            let verdict = match (b.verdict, b.reasons.is_empty()) {
                (Some("kept"), false) => format!("kept: {}", b.reasons.join(", ")),
                (Some(v), _) => v.to_string(),
                (None, _) => "no retention policy".to_string(),
            };
            rows.push([
                b.label.clone(),
                b.kind.to_string(),
                b.status.to_string(),
                b.start.to_rfc3339(),
                b.stop.to_rfc3339(),
                b.database_size.to_string(),
                format!("{}/{}", opt(b.repo_size), opt(b.repo_delta)),
                verdict,
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        let mut out = format!("venture {}: backups\n", self.venture);
        for r in &rows {
            for (i, w) in widths.iter().enumerate() {
                out.push_str(&format!("{:w$}  ", r[i]));
            }
            out.push_str(&r[7]);
            out.push('\n');
        }
        if self.backups.is_empty() {
            out.push_str("(no backups listed)\n");
        }
        if !self.failures.is_empty() {
            out.push_str("\nfailed runs:\n");
            for f in &self.failures {
                let code = f.code.map(|c| format!(" [{c:03}]")).unwrap_or_default();
                out.push_str(&format!("  {}{code} {}\n", f.time.to_rfc3339(), f.message));
            }
        }
        if let Some(ver) = &self.verification {
            out.push_str(&format!(
                "\nlast verification {}: {} ({} missing WAL, {} checksum errors{})\n",
                ver.last_run.to_rfc3339(),
                ver.outcome,
                ver.missing_wal,
                ver.checksum_invalid,
                if ver.invalid_backups.is_empty() {
                    String::new()
                } else {
                    format!("; invalid: {}", ver.invalid_backups.join(", "))
                }
            ));
        }
        if !self.unmet_rules.is_empty() {
            out.push_str("\nunmet retention rules:\n");
            for r in &self.unmet_rules {
                out.push_str(&format!("  {}: {} of {}\n", r.rule, r.kept, r.required));
            }
        }
        if let Some(s) = &self.supabase {
            out.push_str(&s.text());
        }
        for f in &self.findings {
            out.push_str(&format!(
                "\n{}: {}: {}\n  what to do: {}\n",
                f.severity.as_str(),
                f.rule,
                f.message,
                f.action
            ));
        }
        out.push_str(&format!("\nexit {}\n", self.exit_code));
        out
    }
}

/// Runs the command: poll, print, exit code.
pub async fn run(config: &Config, venture: &str, json: bool) -> u8 {
    super::run(
        config,
        venture,
        json,
        "configure a backup source to list backups",
        report,
    )
    .await
}

impl super::Report for BackupsReport {
    fn text(&self) -> String {
        BackupsReport::text(self)
    }

    fn exit_code(&self) -> u8 {
        self.exit_code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::synthetic;
    use crate::retention::{Counters, Verdict};

    fn venture(now: DateTime<Utc>) -> VentureState {
        let mut v = std::sync::Arc::unwrap_or_clone(synthetic::snapshot(1, now).ventures.remove(0));
        let src = v.source.as_mut().expect("source");
        src.failures.clear();
        for r in &mut src.retention {
            r.kept = r.required;
        }
        src.verdicts = (0..src.backups.len())
            .map(|i| Verdict {
                index: i,
                rank: src.backups.len() - 1 - i,
                keep: i != 1,
                reasons: match i {
                    0 => vec!["parent of 20260101-040000F_20260103-040000I".into()],
                    2 => vec!["daily snapshot".into()],
                    _ => vec![],
                },
                counters: Counters::default(),
                broken_chain: false,
            })
            .collect();
        v
    }

    #[test]
    fn verdicts_and_exit_codes() {
        let now = Utc::now();
        let mut v = venture(now);
        let r = report(&v, now);
        assert_eq!(r.exit_code, 0, "{:?}", r.findings);
        assert_eq!(r.backups[0].verdict, Some("kept"));
        assert_eq!(r.backups[1].verdict, Some("expirable"));
        assert!(r
            .text()
            .contains("kept: parent of 20260101-040000F_20260103-040000I"));
        let src = v.source.as_mut().expect("source");
        src.retention[2].kept = 3;
        let r = report(&v, now);
        assert_eq!(r.exit_code, 1);
        assert!(r.text().contains("monthly: 3 of 12"), "{}", r.text());
        let src = v.source.as_mut().expect("source");
        src.up = Some(false);
        src.backups.retain(|b| !b.status.is_usable());
        assert_eq!(report(&v, now).exit_code, 2, "no usable backup");
        v.source = None;
        assert_eq!(report(&v, now).exit_code, 2, "no source");
    }

    #[test]
    fn stale_and_failing() {
        let now = Utc::now();
        let v = venture(now);
        let later = now + chrono::TimeDelta::hours(30);
        assert_eq!(report(&v, later).exit_code, 2, "stale");
        let mut v = venture(now);
        v.source.as_mut().expect("source").failures = vec![crate::state::BackupFailure {
            at: now,
            code: Some(56),
            message: "boom".into(),
        }];
        let r = report(&v, now);
        assert_eq!(r.exit_code, 1);
        assert_eq!(r.failures[0].code, Some(56));
        assert!(r.text().contains("[056] boom"));
    }
}
