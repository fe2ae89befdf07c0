//! Checks of `[[ventures]]`: names, objectives, retention and endpoints.

use std::collections::BTreeMap;

use crate::state::Role;

use super::raw::{RawEndpoint, RawRetention, RawVenture};
use super::report::Report;
use super::secrets::{resolve, SecretRef};
use super::sections;
use super::validate::{choice, positive, Env};
use super::venture::{EndpointConfig, RetentionPolicy, VentureConfig};

/// True for a `[a-z0-9_-]+` name (ventures and endpoints).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Validates every venture, and that their names are unique.
pub(crate) fn ventures(
    raw: Vec<RawVenture>,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Vec<VentureConfig> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        let path = format!("ventures[{i}]");
        let name = match &raw.name {
            None => {
                report.error(
                    &format!("{path}.name"),
                    "missing: every venture needs a name, e.g. name = \"acme\"",
                );
                format!("venture{i}")
            }
            Some(name) if !valid_name(name) => {
                report.error(
                    &format!("{path}.name"),
                    format!("\"{name}\" is not a valid venture name: use only lowercase letters, digits, '_' and '-' (it becomes the `venture` label)"),
                );
                name.clone()
            }
            Some(name) => {
                if let Some(first) = seen.get(name) {
                    report.error(
                        &format!("{path}.name"),
                        format!("duplicate venture name \"{name}\" (first at {first}): give each venture a unique name"),
                    );
                } else {
                    seen.insert(name.clone(), report.place(&format!("{path}.name")));
                }
                name.clone()
            }
        };
        out.push(venture(&path, name, raw, env, report));
    }
    out
}

fn venture(
    path: &str,
    name: String,
    raw: RawVenture,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> VentureConfig {
    let d = crate::state::Objectives::default();
    let endpoints = endpoints(path, &name, raw.endpoints.unwrap_or_default(), env, report);
    let backups = raw
        .backups
        .and_then(|b| sections::backups(&format!("{path}.backups"), &name, &b, env, report));
    let failover = sections::failover(
        &format!("{path}.failover"),
        raw.failover.unwrap_or_default(),
        backups.as_ref(),
        &endpoints,
        report,
    );
    VentureConfig {
        rpo: positive(report, &format!("{path}.rpo"), raw.rpo, d.rpo),
        rto: positive(report, &format!("{path}.rto"), raw.rto, d.rto),
        pitr_window: positive(
            report,
            &format!("{path}.pitr_window"),
            raw.pitr_window,
            d.pitr_window,
        ),
        backup_max_age: positive(
            report,
            &format!("{path}.backup_max_age"),
            raw.backup_max_age,
            d.backup_max_age,
        ),
        retention: match raw.retention {
            None => RetentionPolicy::DEFAULT,
            Some(r) => retention(&format!("{path}.retention"), &r, report),
        },
        endpoints,
        backups,
        heartbeat: sections::heartbeat(
            &format!("{path}.heartbeat"),
            raw.heartbeat.unwrap_or_default(),
            report,
        ),
        drill: sections::drill(
            &format!("{path}.drill"),
            raw.drill.unwrap_or_default(),
            report,
        ),
        failover,
        triggers: sections::triggers(path, raw.triggers.unwrap_or_default(), env, report),
        name,
    }
}

/// Exactly what is given; absent rules are 0 (unused); out-of-range counts are reported.
fn retention(path: &str, raw: &RawRetention, report: &mut Report<'_>) -> RetentionPolicy {
    let (policy, problems) = super::retention::policy(raw);
    for (key, message) in problems {
        report.error(&format!("{path}.{key}"), message);
    }
    policy
}

fn endpoints(
    venture_path: &str,
    venture: &str,
    raw: Vec<RawEndpoint>,
    env: Env<'_>,
    report: &mut Report<'_>,
) -> Vec<EndpointConfig> {
    let mut out: Vec<EndpointConfig> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut primary: Option<String> = None;
    for (j, raw) in raw.into_iter().enumerate() {
        let path = format!("{venture_path}.endpoints[{j}]");
        let name = raw.name.clone().unwrap_or_else(|| format!("pg{}", j + 1));
        if !valid_name(&name) {
            report.error(
                &format!("{path}.name"),
                format!("\"{name}\" is not a valid endpoint name: use only lowercase letters, digits, '_' and '-'"),
            );
        } else if let Some(first) = seen.get(&name) {
            report.error(
                &format!("{path}.name"),
                format!("duplicate endpoint name \"{name}\" (first at {first}): give each endpoint of a venture a unique name"),
            );
        } else {
            seen.insert(name.clone(), report.place(&format!("{path}.name")));
        }
        let default_role = if j == 0 { Role::Primary } else { Role::Standby };
        let roles = [("primary", Role::Primary), ("standby", Role::Standby)];
        let role = choice(report, &format!("{path}.role"), raw.role.as_deref(), &roles)
            .unwrap_or(default_role);
        if role == Role::Primary {
            match &primary {
                Some(first) => report.error(
                    &format!("{path}.role"),
                    format!("endpoint {first} is already the primary: a venture has at most one; set role = \"standby\""),
                ),
                None => primary = Some(name.clone()),
            }
        }
        let default_env = format!("{venture}_{name}_DSN")
            .to_ascii_uppercase()
            .replace('-', "_");
        let dsn = if report.has_problem_under(&path) {
            None
        } else {
            resolve(
                report,
                env,
                &SecretRef {
                    table: &path,
                    key: "dsn",
                    inline: raw.dsn.as_deref(),
                    env: raw.dsn_env.as_deref(),
                    file: raw.dsn_file.as_deref(),
                    default_env: Some(default_env),
                    what: format!("the DSN of endpoint {name}"),
                },
            )
        };
        out.push(EndpointConfig {
            name,
            dsn: dsn.unwrap_or_default(),
            role,
        });
    }
    out
}
