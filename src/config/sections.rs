//! Checks of the per-venture sections: backups, heartbeat, drill, failover and triggers.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveTime;

use super::raw::{RawBackups, RawDrill, RawFailover, RawHeartbeat, RawTrigger};
use super::report::Report;
use super::secrets::{resolve, SecretRef};
use super::validate::{choice, count, positive, Env};
use super::venture::{
    BackupsConfig, DrillConfig, DrillTarget, EndpointConfig, FailoverConfig, FailoverMode,
    HeartbeatConfig, PgBackRestConfig, PitrPlan, SupabaseConfig, TriggerAction, TriggerConfig,
    TriggerWhen,
};

const KINDS: [(&str, Kind); 2] = [
    ("pgbackrest", Kind::PgBackRest),
    ("supabase", Kind::Supabase),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    PgBackRest,
    Supabase,
}

/// `[ventures.backups]`.
pub(crate) fn backups(
    path: &str,
    venture: &str,
    raw: &RawBackups,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Option<BackupsConfig> {
    let Some(kind_text) = raw.kind.as_deref() else {
        report.error(
            &format!("{path}.kind"),
            "missing: set kind = \"pgbackrest\" or \"supabase\"",
        );
        return None;
    };
    let kind = choice(report, &format!("{path}.kind"), Some(kind_text), &KINDS)?;
    let (foreign, other) = match kind {
        Kind::PgBackRest => (raw.supabase_keys(), "supabase"),
        Kind::Supabase => (raw.pgbackrest_keys(), "pgbackrest"),
    };
    for key in foreign {
        report.error(
            &format!("{path}.{key}"),
            format!("only for kind = \"{other}\": remove it, or change kind"),
        );
    }
    match kind {
        Kind::PgBackRest => Some(BackupsConfig::PgBackRest(PgBackRestConfig {
            poll_interval: positive(
                report,
                &format!("{path}.poll_interval"),
                raw.poll_interval,
                Duration::from_secs(60),
            ),
            stanza: raw.stanza.clone().unwrap_or_else(|| venture.to_string()),
            config: PathBuf::from(
                raw.config
                    .as_deref()
                    .unwrap_or("/etc/pgbackrest/pgbackrest.conf"),
            ),
            command: raw
                .command
                .clone()
                .unwrap_or_else(|| "pgbackrest".to_string()),
            verify_schedule: cron(
                report,
                &format!("{path}.verify_schedule"),
                raw.verify_schedule.as_deref(),
                "0 4 * * 0",
            ),
            repo_ls_interval: positive(
                report,
                &format!("{path}.repo_ls_interval"),
                raw.repo_ls_interval,
                Duration::from_secs(600),
            ),
            timeout: positive(
                report,
                &format!("{path}.timeout"),
                raw.timeout,
                Duration::from_secs(120),
            ),
        })),
        Kind::Supabase => supabase(path, raw, env, report).map(BackupsConfig::Supabase),
    }
}

fn supabase(
    path: &str,
    raw: &RawBackups,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Option<SupabaseConfig> {
    let project_ref = match raw.project_ref.as_deref() {
        None => {
            report.error(
                &format!("{path}.project_ref"),
                "missing: set project_ref to the project's reference (20 lowercase letters, from the dashboard URL)",
            );
            String::new()
        }
        Some(r) if r.len() != 20 || !r.bytes().all(|b| b.is_ascii_lowercase()) => {
            report.error(
                &format!("{path}.project_ref"),
                format!("\"{r}\" is not a project reference: it is 20 lowercase letters, from the dashboard URL"),
            );
            String::new()
        }
        Some(r) => r.to_string(),
    };
    let desired_schedule = raw.desired_schedule.as_deref().and_then(|s| {
        let parsed = (s.len() == 5)
            .then(|| NaiveTime::parse_from_str(s, "%H:%M").ok())
            .flatten();
        if parsed.is_none() {
            report.error(
                &format!("{path}.desired_schedule"),
                format!("\"{s}\" is not a time of day: write HH:MM in UTC, e.g. \"04:00\""),
            );
        }
        parsed
    });
    let desired_pitr = choice(
        report,
        &format!("{path}.desired_pitr"),
        raw.desired_pitr.as_deref(),
        PitrPlan::VALUES,
    );
    let token = resolve(
        report,
        env,
        &SecretRef {
            table: path,
            key: "token",
            inline: raw.token.as_deref(),
            env: raw.token_env.as_deref(),
            file: raw.token_file.as_deref(),
            default_env: Some("SUPABASE_ACCESS_TOKEN".to_string()),
            what: "a Supabase access token".to_string(),
        },
    );
    Some(SupabaseConfig {
        poll_interval: positive(
            report,
            &format!("{path}.poll_interval"),
            raw.poll_interval,
            Duration::from_secs(300),
        ),
        project_ref,
        token: token.unwrap_or_default(),
        api_url: raw
            .api_url
            .clone()
            .unwrap_or_else(|| "https://api.supabase.com".to_string()),
        desired_schedule,
        desired_pitr,
        allow_in_place_restore: raw.allow_in_place_restore.unwrap_or(false),
    })
}

/// A 5-field cron expression (UTC); the default when absent or invalid.
fn cron(report: &mut Report<'_>, path: &str, value: Option<&str>, default: &str) -> String {
    let Some(text) = value else {
        return default.to_string();
    };
    let fields = text.split_whitespace().count();
    let parsed = croner::Cron::new(text).parse();
    if fields != 5 || parsed.is_err() {
        report.error(
            path,
            format!("\"{text}\" is not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC), e.g. \"{default}\""),
        );
        return default.to_string();
    }
    text.to_string()
}

/// True for `name` or `schema.name`, each an unquoted SQL identifier.
pub(crate) fn valid_table(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| valid_identifier(p))
}

fn valid_identifier(part: &str) -> bool {
    let mut bytes = part.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    part.len() <= 63 && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// `[ventures.heartbeat]`.
pub(crate) fn heartbeat(path: &str, raw: RawHeartbeat, report: &mut Report<'_>) -> HeartbeatConfig {
    let d = HeartbeatConfig::default();
    let table = raw.table.unwrap_or(d.table.clone());
    if !valid_table(&table) {
        report.error(
            &format!("{path}.table"),
            format!("\"{table}\" is not a table name: write [schema.]table with letters, digits and '_', e.g. \"backstop.heartbeat\""),
        );
    }
    HeartbeatConfig {
        enabled: raw.enabled.unwrap_or(d.enabled),
        interval: positive(
            report,
            &format!("{path}.interval"),
            raw.interval,
            d.interval,
        ),
        table,
    }
}

/// `[ventures.drill]`.
pub(crate) fn drill(path: &str, raw: RawDrill, report: &mut Report<'_>) -> DrillConfig {
    let d = DrillConfig::default();
    let tables = raw.tables.unwrap_or_default();
    for (i, table) in tables.iter().enumerate() {
        if !valid_table(table) {
            report.error(
                &format!("{path}.tables[{i}]"),
                format!(
                    "\"{table}\" is not a table name: write [schema.]table, e.g. \"public.orders\""
                ),
            );
        }
    }
    let dump_schemas = raw.dump_schemas.unwrap_or(d.dump_schemas.clone());
    for (i, schema) in dump_schemas.iter().enumerate() {
        if !valid_identifier(schema) {
            report.error(
                &format!("{path}.dump_schemas[{i}]"),
                format!("\"{schema}\" is not a schema name: use letters, digits and '_', e.g. \"public\""),
            );
        }
    }
    DrillConfig {
        schedule: cron(
            report,
            &format!("{path}.schedule"),
            raw.schedule.as_deref(),
            &d.schedule,
        ),
        target: choice(
            report,
            &format!("{path}.target"),
            raw.target.as_deref(),
            DrillTarget::VALUES,
        )
        .unwrap_or(d.target),
        timeout: positive(report, &format!("{path}.timeout"), raw.timeout, d.timeout),
        tables,
        assertions: raw.assertions.unwrap_or_default(),
        dump_schemas,
        pg_dump: raw.pg_dump.unwrap_or(d.pg_dump),
    }
}

/// `[ventures.failover]`.
pub(crate) fn failover(
    path: &str,
    raw: RawFailover,
    backups: Option<&BackupsConfig>,
    endpoints: &[EndpointConfig],
    report: &mut Report<'_>,
) -> FailoverConfig {
    let d = FailoverConfig::default();
    let mode_path = format!("{path}.mode");
    let mut mode = choice(
        report,
        &mode_path,
        raw.mode.as_deref(),
        FailoverMode::VALUES,
    )
    .unwrap_or(d.mode);
    if mode == FailoverMode::Auto {
        if matches!(backups, Some(BackupsConfig::Supabase(_))) {
            report.error(
                &mode_path,
                "\"auto\" is refused for Supabase ventures (they have no promote API): set mode = \"manual\" or \"off\"",
            );
            mode = FailoverMode::Manual;
        } else if endpoints.len() < 2 {
            report.error(
                &mode_path,
                "\"auto\" needs a primary and at least one standby endpoint: add a [[ventures.endpoints]] with role = \"standby\", or set mode = \"manual\" or \"off\"",
            );
        }
    }
    let fence_command = raw.fence_command.unwrap_or_default();
    if mode == FailoverMode::Auto && fence_command.trim().is_empty() {
        report.warn(
            &mode_path,
            format!("{path}.fence_command is empty with mode = \"auto\": the old primary is not fenced before a promotion; set fence_command"),
        );
    }
    let max_lag_bytes = match raw.max_lag_bytes {
        None => d.max_lag_bytes,
        Some(n) => u64::try_from(n).unwrap_or_else(|_| {
            report.error(
                &format!("{path}.max_lag_bytes"),
                format!("{n} is out of range: use a number of bytes >= 0"),
            );
            d.max_lag_bytes
        }),
    };
    FailoverConfig {
        mode,
        probe_interval: positive(
            report,
            &format!("{path}.probe_interval"),
            raw.probe_interval,
            d.probe_interval,
        ),
        failure_threshold: count(
            report,
            &format!("{path}.failure_threshold"),
            raw.failure_threshold,
            d.failure_threshold,
        ),
        min_down: raw.min_down.map_or(d.min_down, |h| h.0),
        recovery_threshold: count(
            report,
            &format!("{path}.recovery_threshold"),
            raw.recovery_threshold,
            d.recovery_threshold,
        ),
        max_lag_bytes,
        cooldown: raw.cooldown.map_or(d.cooldown, |h| h.0),
        fence_command,
    }
}

/// `[[ventures.triggers]]`.
pub(crate) fn triggers(
    venture_path: &str,
    raw: Vec<RawTrigger>,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Vec<TriggerConfig> {
    let mut out = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let path = format!("{venture_path}.triggers[{i}]");
        let when_path = format!("{path}.when");
        let when = match raw.when.as_deref() {
            None => {
                report.error(
                    &when_path,
                    "missing: set when = \"backup_stale\", \"archiving_failing\", \"endpoint_down\" or \"drill_failed\"",
                );
                None
            }
            Some(text) => choice(report, &when_path, Some(text), TriggerWhen::VALUES),
        };
        let webhook = raw.webhook_url_env.is_some() || raw.webhook_url_file.is_some();
        let action = match (&raw.run, webhook) {
            (Some(_), true) => {
                report.error(
                    &format!("{path}.run"),
                    "set only one of run and webhook_url_env: a trigger does one thing",
                );
                None
            }
            (None, false) => {
                report.error(
                    &format!("{path}.run"),
                    "missing: set run = \"<command>\" or webhook_url_env = \"<VARIABLE>\"",
                );
                None
            }
            (Some(command), false) => Some(TriggerAction::Run(command.clone())),
            (None, true) => resolve(
                report,
                env,
                &SecretRef {
                    table: &path,
                    key: "webhook_url",
                    inline: None,
                    env: raw.webhook_url_env.as_deref(),
                    file: raw.webhook_url_file.as_deref(),
                    default_env: None,
                    what: "the trigger's webhook URL".to_string(),
                },
            )
            .map(TriggerAction::Webhook),
        };
        let cooldown = raw.cooldown.map_or(Duration::from_secs(3600), |h| h.0);
        let timeout = raw.timeout.map_or(Duration::from_secs(3600), |h| h.0);
        if timeout.is_zero() {
            report.error(
                &format!("{path}.timeout"),
                "must be above 0: a run needs time to finish (e.g. \"1h\")",
            );
        }
        if let (Some(when), Some(action)) = (when, action) {
            out.push(TriggerConfig {
                when,
                action,
                cooldown,
                timeout,
            });
        }
    }
    out
}
