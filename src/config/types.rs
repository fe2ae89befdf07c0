//! The validated configuration: [`Config`], `[agent]` and `[[notify]]`, with their defaults.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Secret;

use super::venture::VentureConfig;

/// Declares a configuration enumeration: its TOML spellings, `as_str`, `Display` and `VALUES`.
macro_rules! config_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value with its TOML spelling, in documentation order.
            pub const VALUES: &'static [(&'static str, $name)] = &[$(($text, $name::$variant)),+];

            /// The TOML spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use config_enum;

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// `[agent]`.
    pub agent: AgentConfig,
    /// `[[notify]]` receivers, in file order.
    pub notify: Vec<NotifyConfig>,
    /// `[[ventures]]`, in file order.
    pub ventures: Vec<VentureConfig>,
    /// The file it came from; `None` for built-in defaults.
    pub file: Option<PathBuf>,
    /// Things that work but should be changed (e.g. inline secrets), one sentence each.
    pub warnings: Vec<String>,
}

impl Config {
    /// The venture with this name.
    pub fn venture(&self, name: &str) -> Option<&VentureConfig> {
        self.ventures.iter().find(|v| v.name == name)
    }
}

config_enum! {
    /// Log output format (`[agent] log_format`).
    LogFormat {
        /// Human-readable lines.
        Text = "text",
        /// One JSON object per line.
        Json = "json",
    }
}

/// `[agent]`: the process itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Durable store: `sqlite:<path>` or `postgres://…`.
    pub state: Secret,
    /// Rows older than this are pruned from the state store (drills, failovers, events, …).
    pub state_retention: Duration,
    /// Environment variable holding the admin token.
    pub admin_token_env: String,
    /// The admin token; `None` disables the write API and objective editing.
    pub admin_token: Option<Secret>,
    /// SQL collector interval per endpoint.
    pub poll_interval: Duration,
    /// `pg_database_size` interval.
    pub size_interval: Duration,
    /// Ceiling on Supabase Management API requests per minute.
    pub supabase_max_requests_per_min: u32,
    /// Where drill and demo clusters live.
    pub scratch_dir: PathBuf,
    /// Drills that may run at the same time.
    pub max_concurrent_drills: u32,
    /// Log output format.
    pub log_format: LogFormat,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9847)),
            state: Secret::new("sqlite:backstop-state.db"),
            state_retention: Duration::from_secs(730 * 86400),
            admin_token_env: "BACKSTOP_ADMIN_TOKEN".to_string(),
            admin_token: None,
            poll_interval: Duration::from_secs(10),
            size_interval: Duration::from_secs(5 * 60),
            supabase_max_requests_per_min: 120,
            scratch_dir: PathBuf::from("/var/tmp/backstop"),
            max_concurrent_drills: 1,
            log_format: LogFormat::Text,
        }
    }
}

config_enum! {
    /// Kind of a `[[notify]]` receiver.
    NotifyKind {
        /// PagerDuty Events API v2.
        PagerDuty = "pagerduty",
        /// Slack incoming webhook.
        Slack = "slack",
        /// Generic JSON webhook.
        Webhook = "webhook",
    }
}

config_enum! {
    /// Severity of an event; receivers get events at or above their `min_severity`.
    Severity {
        /// Informational.
        Info = "info",
        /// Needs attention during working hours.
        Warning = "warning",
        /// Pages someone.
        Critical = "critical",
    }
}

/// Default PagerDuty Events API v2 URL.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

/// Where a receiver sends events, with its secret.
#[derive(Debug, Clone, PartialEq)]
pub enum NotifyTarget {
    /// PagerDuty Events API v2.
    PagerDuty {
        /// The integration's routing key.
        routing_key: Secret,
        /// The events API URL (not a secret; overridable for tests).
        url: String,
    },
    /// Slack incoming webhook.
    Slack {
        /// The webhook URL (a secret).
        url: Secret,
    },
    /// Generic JSON webhook.
    Webhook {
        /// The webhook URL (a secret).
        url: Secret,
    },
}

/// One `[[notify]]` receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// Lowest severity sent to this receiver.
    pub min_severity: Severity,
    /// Where and how.
    pub target: NotifyTarget,
}

impl NotifyConfig {
    /// The receiver's kind.
    pub fn kind(&self) -> NotifyKind {
        match self.target {
            NotifyTarget::PagerDuty { .. } => NotifyKind::PagerDuty,
            NotifyTarget::Slack { .. } => NotifyKind::Slack,
            NotifyTarget::Webhook { .. } => NotifyKind::Webhook,
        }
    }
}
