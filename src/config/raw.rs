//! The raw serde layer: the TOML as written, every key optional, unknown keys refused.
//!
//! Enumerations are kept as strings here so that [`super::validate`] can name the valid values
//! in its own words; durations are already parsed ([`HumanDuration`]).

use serde::Deserialize;

use super::duration::HumanDuration;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub agent: Option<RawAgent>,
    pub notify: Option<Vec<RawNotify>>,
    pub ventures: Option<Vec<RawVenture>>,
}

/// `[agent]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgent {
    pub listen: Option<String>,
    pub state: Option<String>,
    pub state_retention: Option<HumanDuration>,
    pub admin_token_env: Option<String>,
    pub admin_token_file: Option<String>,
    pub poll_interval: Option<HumanDuration>,
    pub size_interval: Option<HumanDuration>,
    pub supabase_max_requests_per_min: Option<i64>,
    pub scratch_dir: Option<String>,
    pub max_concurrent_drills: Option<i64>,
    pub log_format: Option<String>,
}

/// The `[agent]` keys that take an integer (environment overrides are typed by this).
pub(crate) const AGENT_INTEGER_KEYS: [&str; 2] =
    ["supabase_max_requests_per_min", "max_concurrent_drills"];

/// Every `[agent]` key, in declaration order (for `BACKSTOP_AGENT__<KEY>` overrides).
pub(crate) const AGENT_KEYS: [&str; 11] = [
    "listen",
    "state",
    "state_retention",
    "admin_token_env",
    "admin_token_file",
    "poll_interval",
    "size_interval",
    "supabase_max_requests_per_min",
    "scratch_dir",
    "max_concurrent_drills",
    "log_format",
];

/// `[[notify]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotify {
    pub kind: Option<String>,
    pub min_severity: Option<String>,
    pub routing_key: Option<String>,
    pub routing_key_env: Option<String>,
    pub routing_key_file: Option<String>,
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<String>,
}

/// `[[ventures]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVenture {
    pub name: Option<String>,
    pub rpo: Option<HumanDuration>,
    pub rto: Option<HumanDuration>,
    pub pitr_window: Option<HumanDuration>,
    pub backup_max_age: Option<HumanDuration>,
    pub retention: Option<RawRetention>,
    pub endpoints: Option<Vec<RawEndpoint>>,
    pub backups: Option<RawBackups>,
    pub heartbeat: Option<RawHeartbeat>,
    pub drill: Option<RawDrill>,
    pub failover: Option<RawFailover>,
    pub triggers: Option<Vec<RawTrigger>>,
}

/// `ventures[].retention`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetention {
    pub last: Option<i64>,
    pub hourly: Option<i64>,
    pub daily: Option<i64>,
    pub weekly: Option<i64>,
    pub monthly: Option<i64>,
    pub yearly: Option<i64>,
}

/// `[[ventures.endpoints]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoint {
    pub name: Option<String>,
    pub dsn: Option<String>,
    pub dsn_env: Option<String>,
    pub dsn_file: Option<String>,
    pub role: Option<String>,
}

/// `[ventures.backups]`: one flat table; the keys of the other kind are refused in validation.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBackups {
    pub kind: Option<String>,
    pub poll_interval: Option<HumanDuration>,
    // pgbackrest
    pub stanza: Option<String>,
    pub config: Option<String>,
    pub command: Option<String>,
    pub verify_schedule: Option<String>,
    pub repo_ls_interval: Option<HumanDuration>,
    pub timeout: Option<HumanDuration>,
    // supabase
    pub project_ref: Option<String>,
    pub token: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<String>,
    pub api_url: Option<String>,
    pub desired_schedule: Option<String>,
    pub desired_pitr: Option<String>,
    pub allow_in_place_restore: Option<bool>,
}

impl RawBackups {
    /// The pgBackRest-only keys that are present.
    pub fn pgbackrest_keys(&self) -> Vec<&'static str> {
        let present = [
            ("stanza", self.stanza.is_some()),
            ("config", self.config.is_some()),
            ("command", self.command.is_some()),
            ("verify_schedule", self.verify_schedule.is_some()),
            ("repo_ls_interval", self.repo_ls_interval.is_some()),
            ("timeout", self.timeout.is_some()),
        ];
        present.iter().filter(|p| p.1).map(|p| p.0).collect()
    }

    /// The Supabase-only keys that are present.
    pub fn supabase_keys(&self) -> Vec<&'static str> {
        let present = [
            ("project_ref", self.project_ref.is_some()),
            ("token", self.token.is_some()),
            ("token_env", self.token_env.is_some()),
            ("token_file", self.token_file.is_some()),
            ("api_url", self.api_url.is_some()),
            ("desired_schedule", self.desired_schedule.is_some()),
            ("desired_pitr", self.desired_pitr.is_some()),
            (
                "allow_in_place_restore",
                self.allow_in_place_restore.is_some(),
            ),
        ];
        present.iter().filter(|p| p.1).map(|p| p.0).collect()
    }
}

/// `[ventures.heartbeat]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeartbeat {
    pub enabled: Option<bool>,
    pub interval: Option<HumanDuration>,
    pub table: Option<String>,
}

/// `[ventures.drill]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDrill {
    pub schedule: Option<String>,
    pub target: Option<String>,
    pub timeout: Option<HumanDuration>,
    pub tables: Option<Vec<String>>,
    pub assertions: Option<Vec<String>>,
    pub dump_schemas: Option<Vec<String>>,
    pub pg_dump: Option<String>,
}

/// `[ventures.failover]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFailover {
    pub mode: Option<String>,
    pub probe_interval: Option<HumanDuration>,
    pub failure_threshold: Option<i64>,
    pub min_down: Option<HumanDuration>,
    pub recovery_threshold: Option<i64>,
    pub max_lag_bytes: Option<i64>,
    pub cooldown: Option<HumanDuration>,
    pub fence_command: Option<String>,
}

/// `[[ventures.triggers]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTrigger {
    pub when: Option<String>,
    pub run: Option<String>,
    pub webhook_url_env: Option<String>,
    pub webhook_url_file: Option<String>,
    pub cooldown: Option<HumanDuration>,
    pub timeout: Option<HumanDuration>,
}
