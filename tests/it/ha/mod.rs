//! High availability against real components: a primary and a streaming standby, HAProxy
//! checking the agent's load-balancer endpoints, and a TCP fault proxy (DESIGN.md §5, §9, §12).
//!
//! [`Ha`] is the shared fixture: a scratch root, the pair, a port and a SQLite state file for
//! the agent, and the agent's configuration for the pair ([`config_text`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use backstop::config;
use backstop::store::{FailoverRecord, Store};

use crate::harness::replica::Pair;
use crate::harness::{self};

mod client;
mod confirmed_down;
mod failover;
mod lb;
mod manual;
mod pair;
mod takeover;

/// One HA test's world: a scratch root, a primary (`pg1`) with a streaming standby (`pg2`),
/// and a free port and a SQLite state file for the agent.
pub(crate) struct Ha {
    /// Removed when the test ends (the clusters stop first: `pair` is dropped before it).
    pub root: tempfile::TempDir,
    /// The primary and its standby.
    pub pair: Pair,
    /// Where the agent's HTTP server listens.
    pub listen: u16,
}

impl Ha {
    /// Starts the pair (streaming) with logs routed to the test output.
    pub async fn start() -> Ha {
        harness::init_logs();
        let root = harness::root();
        let pair = Pair::start(root.path()).await;
        let listen = backstop::postgres::scratch::free_local_port().expect("port");
        Ha { root, pair, listen }
    }

    /// A path in the scratch root.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    /// The agent's SQLite state file.
    pub fn state_db(&self) -> PathBuf {
        self.path("state.db")
    }

    /// The agent's configuration ([`config_text`], `mode = "auto"`) with the primary reached
    /// at `pg1` (its direct DSN, or a fault proxy's) and the standby directly.
    pub fn config(&self, pg1: &str, fence: &str) -> backstop::config::Config {
        self.config_text_as(&config_text(self.listen, &self.state_db(), fence), pg1)
    }

    /// `text` loaded with `pg1` and the standby's direct DSN as the endpoints' DSNs.
    pub fn config_text_as(&self, text: &str, pg1: &str) -> backstop::config::Config {
        let env: HashMap<String, String> = [
            ("ACME_PG1_DSN".to_string(), pg1.to_owned()),
            (
                "ACME_PG2_DSN".to_string(),
                self.pair.standby_dsn().expose().to_owned(),
            ),
        ]
        .into();
        config::load_str(text, "failover-test.toml", &|k: &str| env.get(k).cloned())
            .expect("config loads")
    }

    /// The primary's direct DSN.
    pub fn pg1(&self) -> String {
        self.pair.primary_dsn().expose().to_owned()
    }

    /// Starts an agent with [`Ha::config`] (direct DSNs) and waits until it is armed.
    pub async fn armed_agent(&self, fence: &str) -> backstop::agent::RunningAgent {
        let agent = backstop::agent::start(&self.config(&self.pg1(), fence))
            .await
            .expect("agent starts");
        wait_armed(&agent).await;
        agent
    }
}

/// Every failover of `acme` recorded in the last hour.
pub(crate) async fn failovers(store: &Store) -> Vec<FailoverRecord> {
    let now = chrono::Utc::now();
    store
        .failovers(
            "acme",
            now - chrono::TimeDelta::hours(1),
            now + chrono::TimeDelta::hours(1),
        )
        .await
        .expect("failovers")
}

/// Waits until a failover of `acme` finished, at most `limit` after `since`; `context` adds
/// what to show when it does not.
pub(crate) async fn wait_finished(
    store: &Store,
    since: Instant,
    limit: Duration,
    context: impl Fn() -> String,
) -> FailoverRecord {
    loop {
        let all = failovers(store).await;
        if let Some(done) = all.iter().find(|f| f.finished_at.is_some()) {
            return done.clone();
        }
        assert!(
            since.elapsed() < limit,
            "no finished failover within {limit:?}: {all:#?}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn config_text(listen: u16, state: &std::path::Path, fence: &str) -> String {
    config_text_with(listen, &format!("sqlite:{}", state.display()), fence)
}

pub(crate) fn config_text_with(listen: u16, state: &str, fence: &str) -> String {
    format!(
        r#"
[agent]
listen = "127.0.0.1:{listen}"
state = "{state}"
poll_interval = "1s"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  role = "primary"
  [[ventures.endpoints]]
  name = "pg2"
  role = "standby"
  [ventures.failover]
  mode = "auto"
  probe_interval = "200ms"
  failure_threshold = 3
  min_down = "1500ms"
  recovery_threshold = 2
  cooldown = "10m"
  max_lag_bytes = 1048576
  fence_command = "{fence}"
"#
    )
}

/// Waits until the controller has seen the pair healthy long enough to be armed.
pub(crate) async fn wait_armed(agent: &backstop::agent::RunningAgent) {
    let start = Instant::now();
    loop {
        let snap = agent.state.load();
        let up = snap
            .venture("acme")
            .is_some_and(|v| v.endpoints.iter().all(|e| e.probe.up == Some(true)));
        if up && snap.venture("acme").and_then(|v| v.leader) == Some(true) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never up and leading"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few rounds with both up: the baseline sees the primary's LSN and the standby streaming.
    tokio::time::sleep(Duration::from_millis(800)).await;
}
