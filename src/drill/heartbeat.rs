//! The heartbeat (`[ventures.heartbeat]`, opt-in): every `interval` the agent writes `now()` into
//! one row of its table on the venture's primary, so a drill can measure RPO as "target time −
//! newest heartbeat restored" instead of guessing it.
//!
//! Design: one row, updated in place (`id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1)`,
//! `at timestamptz NOT NULL`), so the table never grows; a drill reads `max(at)`, which works for
//! this table and for an append-only table someone made by hand. The schema and table are created
//! if missing (`IF NOT EXISTS`); nothing else is ever written. The primary is the endpoint observed
//! as primary (after a failover), else the one configured so. A failure counts an error kind on the
//! venture (`backstop_errors_total`), logs once per change of kind, drops the connection and is
//! retried at the next tick; it never stops the task.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_postgres::Client;

use super::sql::{ident, qualified, schema_of};
use crate::config::{Config, EndpointConfig, HeartbeatConfig};
use crate::error::ErrorKind;
use crate::postgres::{connect, ConnectOptions, PgError};
use crate::state::{Role, SharedState, Snapshot};

/// The statements that create the heartbeat table (and its schema) when missing.
pub fn create_sql(table: &str) -> String {
    let schema = schema_of(table)
        .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {};\n", ident(s)))
        .unwrap_or_default();
    format!(
        "{schema}CREATE TABLE IF NOT EXISTS {} (id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1), at timestamptz NOT NULL)",
        qualified(table)
    )
}

/// The statement that writes one heartbeat.
pub fn write_sql(table: &str) -> String {
    format!(
        "INSERT INTO {} (id, at) VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET at = excluded.at",
        qualified(table)
    )
}

/// The query a drill runs on the restored cluster: the newest heartbeat.
pub fn newest_sql(table: &str) -> String {
    format!("SELECT max(at) FROM {}", qualified(table))
}

/// The endpoint the heartbeat goes to: observed primary (not fenced), else the configured one.
pub fn primary<'a>(
    snap: &Snapshot,
    venture: &str,
    endpoints: &'a [EndpointConfig],
) -> Option<&'a EndpointConfig> {
    let observed = snap.venture(venture).and_then(|v| {
        v.endpoints
            .iter()
            .find(|e| e.role == Role::Primary && !e.fenced)
    });
    observed
        .and_then(|o| endpoints.iter().find(|e| e.name == o.name))
        .or_else(|| endpoints.iter().find(|e| e.role == Role::Primary))
}

/// One heartbeat writer.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    venture: String,
    cfg: HeartbeatConfig,
    endpoints: Vec<EndpointConfig>,
}

/// One writer task per venture with `heartbeat.enabled` and at least one endpoint.
pub fn spawn_heartbeats(
    config: &Config,
    state: &SharedState,
    stopped: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    config
        .ventures
        .iter()
        .filter(|v| v.heartbeat.enabled && !v.endpoints.is_empty())
        .map(|v| Heartbeat {
            venture: v.name.clone(),
            cfg: v.heartbeat.clone(),
            endpoints: v.endpoints.clone(),
        })
        .map(|h| tokio::spawn(h.run(state.clone(), stopped.clone())))
        .collect()
}

impl Heartbeat {
    fn options(&self) -> ConnectOptions {
        let bound = self
            .cfg
            .interval
            .clamp(Duration::from_secs(1), Duration::from_secs(5));
        ConnectOptions {
            connect_timeout: bound,
            statement_timeout: bound,
            application_name: "backstop-heartbeat".to_owned(),
            ..ConnectOptions::default()
        }
    }

    /// Writes a heartbeat every `interval` until `stopped` turns true.
    pub async fn run(self, state: SharedState, mut stopped: watch::Receiver<bool>) {
        let mut client: Option<(String, Client)> = None;
        let mut failing: Option<ErrorKind> = None;
        let mut tick = tokio::time::interval(self.cfg.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            if *stopped.borrow() {
                return;
            }
            match self.beat(&state, &mut client).await {
                Ok(()) => {
                    if failing.take().is_some() {
                        tracing::info!(venture = %self.venture, "heartbeat writes succeed again");
                    }
                }
                Err(e) => {
                    client = None;
                    let kind = e.kind();
                    state.update(|s| {
                        if let Some(v) = s.venture_mut(&self.venture) {
                            v.count_error(kind);
                        }
                    });
                    if failing.replace(kind) != Some(kind) {
                        tracing::warn!(venture = %self.venture, error = %e,
                            "heartbeat write failed; retrying every interval");
                    }
                }
            }
        }
    }

    /// One write: (re)connects to the current primary, creating the table on a new connection.
    async fn beat(
        &self,
        state: &SharedState,
        client: &mut Option<(String, Client)>,
    ) -> Result<(), PgError> {
        let snap = state.load();
        let Some(endpoint) = primary(&snap, &self.venture, &self.endpoints) else {
            return Err(PgError::InvalidDsn {
                reason: format!(
                    "venture {} has no primary endpoint for the heartbeat",
                    self.venture
                ),
            });
        };
        let opts = self.options();
        let bound = opts.statement_timeout + Duration::from_secs(1);
        let stale = client
            .as_ref()
            .is_none_or(|(name, c)| name != &endpoint.name || c.is_closed());
        if stale {
            let c = connect(&endpoint.dsn, &opts).await?;
            tokio::time::timeout(bound, c.batch_execute(&create_sql(&self.cfg.table)))
                .await
                .map_err(|_| PgError::Timeout {
                    what: "creating the heartbeat table",
                    after: bound,
                })?
                .map_err(|e| PgError::query("creating the heartbeat table", &e))?;
            *client = Some((endpoint.name.clone(), c));
        }
        let Some((_, c)) = client.as_ref() else {
            return Ok(());
        };
        tokio::time::timeout(bound, c.batch_execute(&write_sql(&self.cfg.table)))
            .await
            .map_err(|_| PgError::Timeout {
                what: "heartbeat write",
                after: bound,
            })?
            .map_err(|e| PgError::query("heartbeat write", &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::state::{EndpointState, VentureState};

    #[test]
    fn sql_creates_one_bounded_row_table() {
        assert_eq!(
            create_sql("backstop.heartbeat"),
            "CREATE SCHEMA IF NOT EXISTS \"backstop\";\nCREATE TABLE IF NOT EXISTS \"backstop\".\"heartbeat\" (id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1), at timestamptz NOT NULL)"
        );
        assert!(create_sql("hb").starts_with("CREATE TABLE IF NOT EXISTS \"hb\""));
        assert!(write_sql("hb").contains("ON CONFLICT (id) DO UPDATE SET at = excluded.at"));
        assert_eq!(
            newest_sql("backstop.heartbeat"),
            "SELECT max(at) FROM \"backstop\".\"heartbeat\""
        );
    }

    #[test]
    fn the_observed_primary_wins_over_the_configured_one() {
        let ep = |name: &str, role| EndpointConfig {
            name: name.to_owned(),
            dsn: Secret::new(format!("host={name}")),
            role,
        };
        let endpoints = vec![ep("a", Role::Primary), ep("b", Role::Standby)];
        let snap = |b_role, b_fenced| Snapshot {
            ventures: crate::state::shared(vec![VentureState {
                name: "v".to_owned(),
                endpoints: vec![EndpointState {
                    name: "b".to_owned(),
                    role: b_role,
                    fenced: b_fenced,
                    ..Default::default()
                }],
                ..Default::default()
            }]),
            ..Default::default()
        };
        let name = |s: &Snapshot| primary(s, "v", &endpoints).map(|e| e.name.clone());
        assert_eq!(name(&snap(Role::Unknown, false)).as_deref(), Some("a"));
        assert_eq!(name(&snap(Role::Primary, false)).as_deref(), Some("b"));
        assert_eq!(name(&snap(Role::Primary, true)).as_deref(), Some("a"));
        assert_eq!(primary(&Snapshot::default(), "v", &[]), None);
    }
}
