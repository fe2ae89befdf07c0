//! Semantic checks: turns the raw layer into a validated [`Config`], reporting every problem.
//!
//! Where a value is wrong its default is used so that checking can go on and report the rest;
//! the result is only returned when the report is empty.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::duration::{format_duration, HumanDuration};
use super::raw::{RawAgent, RawConfig, RawNotify};
use super::report::Report;
use super::secrets::{resolve, SecretRef};
use super::types::{
    AgentConfig, Config, LogFormat, NotifyConfig, NotifyKind, NotifyTarget, Severity,
    PAGERDUTY_EVENTS_URL,
};
use super::ventures;

/// The environment lookup.
pub(crate) type Env<'e> = &'e dyn Fn(&str) -> Option<String>;

/// Validates everything; problems go to `report`.
pub(crate) fn build(raw: RawConfig, env: Env<'_>, report: &mut Report<'_>) -> Config {
    let agent = agent(raw.agent.unwrap_or_default(), env, report);
    let notify = raw
        .notify
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| notify(&format!("notify[{i}]"), n, env, report))
        .collect();
    let ventures = ventures::ventures(raw.ventures.unwrap_or_default(), env, report);
    Config {
        agent,
        notify,
        ventures,
        file: None,
        warnings: Vec::new(),
    }
}

fn agent(raw: RawAgent, env: Env<'_>, report: &mut Report<'_>) -> AgentConfig {
    let d = AgentConfig::default();
    let listen = match raw.listen {
        None => d.listen,
        Some(text) => text.parse::<SocketAddr>().unwrap_or_else(|_| {
            report.error(
                "agent.listen",
                format!("\"{text}\" is not an address and port: write an IP and a port, e.g. \"127.0.0.1:9847\""),
            );
            d.listen
        }),
    };
    let state = raw
        .state
        .map(crate::secret::Secret::new)
        .unwrap_or(d.state.clone());
    if !["sqlite:", "postgres://", "postgresql://"]
        .iter()
        .any(|p| state.expose().starts_with(p))
    {
        report.error(
            "agent.state",
            "not a store URL: write \"sqlite:<path>\" or \"postgres://…\"",
        );
    }
    let admin_token_env = raw.admin_token_env.unwrap_or(d.admin_token_env);
    let admin_token = match &raw.admin_token_file {
        Some(file) => resolve(
            report,
            env,
            &SecretRef {
                table: "agent",
                key: "admin_token",
                inline: None,
                env: None,
                file: Some(file),
                default_env: None,
                what: "the admin token".to_string(),
            },
        ),
        // Unset: the admin API is disabled, which is a legitimate choice.
        None => env(&admin_token_env)
            .filter(|v| !v.trim().is_empty())
            .map(|v| crate::secret::Secret::new(v.trim())),
    };
    let scratch_dir = PathBuf::from(
        raw.scratch_dir
            .unwrap_or_else(|| "/var/tmp/backstop".into()),
    );
    if scratch_dir.is_relative() {
        report.error(
            "agent.scratch_dir",
            format!(
                "\"{}\" is relative: write an absolute path, e.g. \"/var/tmp/backstop\"",
                scratch_dir.display()
            ),
        );
    }
    AgentConfig {
        listen,
        state,
        state_retention: positive(
            report,
            "agent.state_retention",
            raw.state_retention,
            d.state_retention,
        ),
        admin_token_env,
        admin_token,
        poll_interval: positive(
            report,
            "agent.poll_interval",
            raw.poll_interval,
            d.poll_interval,
        ),
        size_interval: positive(
            report,
            "agent.size_interval",
            raw.size_interval,
            d.size_interval,
        ),
        supabase_max_requests_per_min: count(
            report,
            "agent.supabase_max_requests_per_min",
            raw.supabase_max_requests_per_min,
            d.supabase_max_requests_per_min,
        ),
        scratch_dir,
        max_concurrent_drills: count(
            report,
            "agent.max_concurrent_drills",
            raw.max_concurrent_drills,
            d.max_concurrent_drills,
        ),
        log_format: choice(
            report,
            "agent.log_format",
            raw.log_format.as_deref(),
            LogFormat::VALUES,
        )
        .unwrap_or(LogFormat::Text),
    }
}

fn notify(
    path: &str,
    raw: &RawNotify,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Option<NotifyConfig> {
    let min_severity = choice(
        report,
        &format!("{path}.min_severity"),
        raw.min_severity.as_deref(),
        Severity::VALUES,
    )
    .unwrap_or(Severity::Critical);
    let Some(kind_text) = raw.kind.as_deref() else {
        report.error(
            &format!("{path}.kind"),
            "missing: set kind = \"pagerduty\", \"slack\" or \"webhook\"",
        );
        return None;
    };
    let kind = choice(
        report,
        &format!("{path}.kind"),
        Some(kind_text),
        NotifyKind::VALUES,
    )?;
    let routing_keys = [
        ("routing_key", raw.routing_key.is_some()),
        ("routing_key_env", raw.routing_key_env.is_some()),
        ("routing_key_file", raw.routing_key_file.is_some()),
    ];
    if kind != NotifyKind::PagerDuty {
        for (key, _) in routing_keys.iter().filter(|k| k.1) {
            report.error(
                &format!("{path}.{key}"),
                format!(
                    "only for kind = \"pagerduty\": a {kind} receiver takes url_env or url_file"
                ),
            );
        }
    }
    if kind == NotifyKind::PagerDuty {
        for key in ["url_env", "url_file"] {
            let present = if key == "url_env" {
                raw.url_env.is_some()
            } else {
                raw.url_file.is_some()
            };
            if present {
                report.error(
                    &format!("{path}.{key}"),
                    "not for kind = \"pagerduty\": its secret is routing_key_env (url is the events API URL)",
                );
            }
        }
    }
    if report.has_problem_under(path) {
        return None;
    }
    let target = match kind {
        NotifyKind::PagerDuty => NotifyTarget::PagerDuty {
            routing_key: resolve(
                report,
                env,
                &SecretRef {
                    table: path,
                    key: "routing_key",
                    inline: raw.routing_key.as_deref(),
                    env: raw.routing_key_env.as_deref(),
                    file: raw.routing_key_file.as_deref(),
                    default_env: Some("PD_ROUTING_KEY".to_string()),
                    what: "the PagerDuty routing key".to_string(),
                },
            )?,
            url: raw
                .url
                .clone()
                .unwrap_or_else(|| PAGERDUTY_EVENTS_URL.to_string()),
        },
        NotifyKind::Slack | NotifyKind::Webhook => {
            let (default_env, what) = if kind == NotifyKind::Slack {
                ("SLACK_WEBHOOK_URL", "the Slack webhook URL")
            } else {
                ("BACKSTOP_WEBHOOK_URL", "the webhook URL")
            };
            let url = resolve(
                report,
                env,
                &SecretRef {
                    table: path,
                    key: "url",
                    inline: raw.url.as_deref(),
                    env: raw.url_env.as_deref(),
                    file: raw.url_file.as_deref(),
                    default_env: Some(default_env.to_string()),
                    what: what.to_string(),
                },
            )?;
            if kind == NotifyKind::Slack {
                NotifyTarget::Slack { url }
            } else {
                NotifyTarget::Webhook { url }
            }
        }
    };
    Some(NotifyConfig {
        min_severity,
        target,
    })
}

/// Parses an enumeration value; `None` when absent or invalid (then reported).
pub(crate) fn choice<T: Copy>(
    report: &mut Report<'_>,
    path: &str,
    value: Option<&str>,
    values: &[(&str, T)],
) -> Option<T> {
    let text = value?;
    if let Some((_, v)) = values.iter().find(|(name, _)| *name == text) {
        return Some(*v);
    }
    let valid: Vec<String> = values
        .iter()
        .map(|(name, _)| format!("\"{name}\""))
        .collect();
    report.error(
        path,
        format!(
            "\"{text}\" is not a valid value: use one of {}",
            valid.join(", ")
        ),
    );
    None
}

/// A duration that must be greater than zero.
pub(crate) fn positive(
    report: &mut Report<'_>,
    path: &str,
    value: Option<HumanDuration>,
    default: Duration,
) -> Duration {
    match value {
        None => default,
        Some(HumanDuration(d)) if d.is_zero() => {
            report.error(
                path,
                format!(
                    "must be longer than 0s, e.g. \"{}\"",
                    format_duration(default)
                ),
            );
            default
        }
        Some(HumanDuration(d)) => d,
    }
}

/// An integer of at least 1.
pub(crate) fn count(report: &mut Report<'_>, path: &str, value: Option<i64>, default: u32) -> u32 {
    match value {
        None => default,
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .unwrap_or_else(|| {
                report.error(
                    path,
                    format!(
                        "{n} is out of range: use a whole number from 1 to {}",
                        u32::MAX
                    ),
                );
                default
            }),
    }
}
