//! High availability against real components: a primary and a streaming standby, HAProxy
//! checking the agent's load-balancer endpoints, and a TCP fault proxy (DESIGN.md §5, §9, §12).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backstop::config;

mod client;
mod confirmed_down;
mod failover;
mod lb;
mod manual;
mod pair;
mod takeover;

/// The agent config for the `acme` pair with `[ventures.failover] mode = "auto"` and fast
/// probe settings (shared by the failover and client tests).
pub(crate) fn agent_config(
    listen: u16,
    state: &std::path::Path,
    pg1: &str,
    pg2: &str,
    fence: &str,
) -> backstop::config::Config {
    let env: HashMap<String, String> = [
        ("ACME_PG1_DSN".to_string(), pg1.to_owned()),
        ("ACME_PG2_DSN".to_string(), pg2.to_owned()),
    ]
    .into();
    config::load_str(
        &config_text(listen, state, fence),
        "failover-test.toml",
        &|k: &str| env.get(k).cloned(),
    )
    .expect("config loads")
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
