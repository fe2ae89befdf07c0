//! `recovery-points?at=TIME`: can the venture be recovered to TIME, from which backup, with
//! which WAL, by which command — answered by the `backstop recover` planners
//! ([`crate::recover::plan()`], [`crate::recover::supabase_plan::plan_in_place`]) on the
//! snapshot, so the API and the CLI never disagree. Pure.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ViewError;
use crate::config::{BackupsConfig, VentureConfig};
use crate::pitr::{locate, Located};
use crate::recover::plan::shell;
use crate::recover::supabase_plan::{plan_in_place, InPlaceInput};
use crate::recover::{plan, PlanInput, RecoverError};
use crate::sources::supabase::SupabaseBackups;
use crate::state::VentureState;

/// The backup a recovery starts from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupRef {
    /// Backup label (Supabase: the physical backup's id, or `reported` when the API names none).
    pub label: String,
    /// full, diff, incr, physical, logical; `null` when the source lists no such backup.
    #[serde(rename = "type")]
    pub kind: Option<&'static str>,
    /// Its stop time: the earliest point it restores to.
    pub stop: Option<DateTime<Utc>>,
}

/// The WAL a pgBackRest recovery replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalRange {
    /// First segment read.
    pub from: String,
    /// The segment covering the target.
    pub to: String,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoveryPoint {
    /// The target asked for.
    pub at: DateTime<Utc>,
    /// Whether the target is inside the recovery window.
    pub recoverable: bool,
    /// The base backup; `null` when not recoverable.
    pub backup: Option<BackupRef>,
    /// pgBackRest: the WAL replayed; `null` otherwise.
    pub wal_range: Option<WalRange>,
    /// The exact restore command; `null` when not recoverable.
    pub command: Option<String>,
    /// Why (not) recoverable, with the window's bounds or the gap.
    pub reason: String,
}

/// Parses the `at` parameter: RFC 3339, or relative before `now` (`-15m`).
pub fn parse_at(at: Option<&str>, now: DateTime<Utc>) -> Result<DateTime<Utc>, ViewError> {
    let text = at.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
        ViewError::BadInput(
            "missing query parameter at: add ?at=2026-11-27T08:00:00Z (RFC 3339) or ?at=-15m (before now)".into(),
        )
    })?;
    crate::recover::parse_time(text, now).map_err(|_| {
        ViewError::BadInput(format!(
            "at={text:?} is not a time: write RFC 3339 (2026-11-27T08:00:00Z; URL-encode + as %2B) or a relative time before now (-15m, -2h, -1d)"
        ))
    })
}

/// Whether `v` can be recovered to `at` (pure).
pub fn recovery_point(cfg: &VentureConfig, v: &VentureState, at: DateTime<Utc>) -> RecoveryPoint {
    let refuse = |reason: String| RecoveryPoint {
        at,
        recoverable: false,
        backup: None,
        wal_range: None,
        command: None,
        reason,
    };
    let src = v.source.as_ref();
    let Some(backups) = cfg.backups.as_ref() else {
        return refuse(format!(
            "venture {} has no [ventures.backups]: nothing is recoverable through backstop",
            v.name
        ));
    };
    if src.is_none_or(|s| s.last_poll.is_none()) {
        return refuse(
            "not known yet: the backup source has not been polled successfully since the agent started; ask again after its first poll (GET /api/v1/ventures/{venture}/backups shows last_poll)"
                .replace("{venture}", &v.name),
        );
    }
    let window = src.and_then(|s| s.window.as_ref());
    let backup_ref = |label: &str| {
        let b = src.and_then(|s| s.backups.iter().find(|b| b.label == label));
        BackupRef {
            label: label.to_owned(),
            kind: b.map(|b| b.kind.as_str()),
            stop: b.map(|b| b.stop),
        }
    };
    match backups {
        BackupsConfig::PgBackRest(c) => {
            let archive = src
                .and_then(|s| s.archive.as_ref())
                .map(|a| a.files.as_slice())
                .unwrap_or_default();
            match plan(&PlanInput {
                venture: &v.name,
                stanza: &c.stanza,
                config: &c.config,
                command: &c.command,
                window,
                archive,
                target: at,
                target_dir: None,
            }) {
                Ok(p) => {
                    let mut cmd: Vec<String> = c.command.split_whitespace().map(shell).collect();
                    cmd.push(shell(&format!("--stanza={}", c.stanza)));
                    cmd.push(shell(&format!("--config={}", c.config.display())));
                    cmd.extend(p.restore_args.iter().map(|a| shell(a)));
                    RecoveryPoint {
                        at,
                        recoverable: true,
                        reason: format!(
                            "inside the recovery window piece {} .. {}: restore backup {} and replay WAL {} .. {} (replace <DIR> by an empty directory, never a running cluster's)",
                            rfc3339(p.piece_start),
                            rfc3339(p.piece_end),
                            p.base_backup,
                            p.first_segment,
                            p.last_segment
                        ),
                        backup: Some(backup_ref(&p.base_backup)),
                        wal_range: Some(WalRange {
                            from: p.first_segment,
                            to: p.last_segment,
                        }),
                        command: Some(cmd.join(" ")),
                    }
                }
                Err(e) => refuse(reason(e)),
            }
        }
        BackupsConfig::Supabase(c) => {
            let s = src.and_then(|s| s.supabase.as_ref());
            let parsed = SupabaseBackups {
                pitr_enabled: s.and_then(|s| s.pitr_enabled),
                walg_enabled: s.and_then(|s| s.walg_enabled),
                backups: src.map(|s| s.backups.clone()).unwrap_or_default(),
                other: Default::default(),
                window: s.and_then(|s| s.reported_window),
            };
            match plan_in_place(&InPlaceInput {
                venture: &v.name,
                project_ref: &c.project_ref,
                api_url: &c.api_url,
                backups: &parsed,
                target: at,
                rto: v.objectives.rto,
                allowed: c.allow_in_place_restore,
            }) {
                Ok(p) => {
                    let base = window.and_then(|w| match locate(w, p.target) {
                        Located::Inside { base_backup, .. } => Some(backup_ref(&base_backup)),
                        _ => None,
                    });
                    RecoveryPoint {
                        at,
                        recoverable: true,
                        backup: base,
                        wal_range: None,
                        reason: format!(
                            "inside the PITR window {} .. {} of Supabase project {}: restore-pitr to {} (unix {}) restores the whole project in place and takes it offline; {}",
                            rfc3339(p.earliest),
                            rfc3339(p.latest),
                            p.project_ref,
                            rfc3339(p.target),
                            p.target_unix,
                            if p.allowed {
                                format!("or run {}", p.execute_command)
                            } else {
                                "backstop executes it only with allow_in_place_restore = true".to_owned()
                            }
                        ),
                        command: Some(p.cli_command),
                    }
                }
                Err(e) => refuse(reason(e)),
            }
        }
    }
}

fn reason(e: RecoverError) -> String {
    match e {
        RecoverError::Outside { message } => format!("not recoverable: {message}"),
        other => other.to_string(),
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}
