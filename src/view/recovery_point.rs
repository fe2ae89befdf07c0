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
    // An unencoded `+` of an offset (`…T08:00:00+01:00`) arrives as a space.
    let parsed = crate::recover::parse_time(text, now).or_else(|e| {
        if text.contains(' ') {
            crate::recover::parse_time(&text.replace(' ', "+"), now)
        } else {
            Err(e)
        }
    });
    parsed.map_err(|_| {
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::state::{SourceKind, SourceState, SupabaseState};

    fn config(src: &str) -> crate::config::Config {
        let env = |k: &str| (k == "T").then(|| "sbp_token".to_owned());
        crate::config::load_str(src, "t.toml", &env).expect("config")
    }

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).single().expect("time")
    }

    #[test]
    fn unknown_until_polled_and_nothing_without_a_source() {
        let cfg = config("[[ventures]]\nname = \"a\"\n[ventures.backups]\nkind = \"pgbackrest\"\nstanza = \"a\"\n[[ventures]]\nname = \"b\"\n");
        let mut v = VentureState {
            name: "a".into(),
            source: Some(SourceState::new(SourceKind::PgBackRest)),
            ..Default::default()
        };
        let rp = recovery_point(&cfg.ventures[0], &v, t(100));
        assert!(
            !rp.recoverable && rp.reason.starts_with("not known yet"),
            "{rp:?}"
        );
        if let Some(s) = v.source.as_mut() {
            s.last_poll = Some(t(50));
        }
        let rp = recovery_point(&cfg.ventures[0], &v, t(100));
        assert!(rp.reason.contains("nothing is recoverable"), "{rp:?}");
        assert_eq!((rp.backup, rp.command), (None, None));
        let rp = recovery_point(&cfg.ventures[1], &VentureState::default(), t(100));
        assert!(rp.reason.contains("no [ventures.backups]"), "{rp:?}");
    }

    #[test]
    fn supabase_inside_and_outside_the_window() {
        let cfg = config(
            "[[ventures]]\nname = \"s\"\n[ventures.backups]\nkind = \"supabase\"\nproject_ref = \"abcdefghijklmnopqrst\"\ntoken_env = \"T\"\n",
        );
        let mut src = SourceState::new(SourceKind::Supabase);
        src.last_poll = Some(t(2000));
        src.supabase = Some(SupabaseState {
            pitr_enabled: Some(true),
            reported_window: Some((t(1000), t(1900))),
            ..Default::default()
        });
        let v = VentureState {
            name: "s".into(),
            source: Some(src),
            ..Default::default()
        };
        let inside = recovery_point(&cfg.ventures[0], &v, t(1500));
        assert!(inside.recoverable, "{inside:?}");
        assert_eq!(
            inside.command.as_deref(),
            Some("supabase backups restore --project-ref abcdefghijklmnopqrst -t 1500")
        );
        assert_eq!(inside.wal_range, None);
        let after = recovery_point(&cfg.ventures[0], &v, t(1950));
        assert!(
            !after.recoverable && after.reason.contains("after the PITR window"),
            "{after:?}"
        );
    }

    #[test]
    fn at_parses_rfc3339_relative_or_says_how() {
        let now = t(10_000);
        assert_eq!(
            parse_at(Some("-15m"), now).expect("relative"),
            t(10_000 - 900)
        );
        assert_eq!(
            parse_at(Some("1970-01-01T01:00:00Z"), now).expect("rfc3339"),
            t(3600)
        );
        assert_eq!(
            parse_at(Some("1970-01-01T02:00:00 01:00"), now).expect("+ sent unencoded"),
            t(3600)
        );
        for bad in [None, Some(""), Some("soon")] {
            let e = parse_at(bad, now).expect_err("bad").to_string();
            assert!(e.contains("at"), "{e}");
        }
    }
}
