//! The chaos suite (issue 10, DESIGN.md §12, §14): the whole agent while what it watches fails —
//! databases dying and returning, partitions, a hung pgBackRest, a misbehaving Supabase API, a
//! full state store, SIGKILL mid-drill, the clock jumping. One file per fault family; every test
//! is bounded and checks the same things throughout: the agent stays up, `/metrics` answers
//! within [`SCRAPE_BUDGET`], the fault shows as a `backstop_errors_total` kind, and stored
//! records are neither lost nor duplicated.
//!
//! [`Scraper`] is the shared probe of a running agent: every scrape asserts the status and the
//! time budget, so a stall anywhere during a fault fails the test at once.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::harness::http::{get, sample};

mod agent_process;
mod clock;
mod db_restart;
mod disk_full;
mod kill;
mod partition;
mod pgbackrest_hang;
mod supabase;

/// Longest a `/metrics` scrape may take while a fault is on (generous for a loaded 2-core box;
/// the scrape only reads the snapshot).
pub const SCRAPE_BUDGET: Duration = Duration::from_secs(1);

/// Scrapes one agent, asserting the budget on every call.
#[derive(Debug, Clone, Copy)]
pub struct Scraper {
    pub addr: SocketAddr,
}

impl Scraper {
    /// `GET /metrics`: 200 within [`SCRAPE_BUDGET`]; returns the exposition.
    pub async fn scrape(&self) -> String {
        let t = Instant::now();
        let r = get(self.addr, "/metrics", &[]).await;
        let took = t.elapsed();
        assert_eq!(r.status, 200, "/metrics answered {}: {}", r.status, r.body);
        assert!(
            took < SCRAPE_BUDGET,
            "/metrics took {took:?} (budget {SCRAPE_BUDGET:?})"
        );
        r.body
    }

    /// `/healthz` answers 200: the process is alive and serving.
    pub async fn alive(&self) {
        let r = get(self.addr, "/healthz", &[]).await;
        assert_eq!(r.status, 200, "/healthz: {}", r.body);
    }

    /// Scrapes every 100 ms until `done` holds on the exposition; panics after `limit` with
    /// the last exposition's lines for `venture`.
    pub async fn until(
        &self,
        limit: Duration,
        what: &str,
        venture: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let body = self.scrape().await;
            if done(&body) {
                return body;
            }
            assert!(
                start.elapsed() < limit,
                "{what}: not within {limit:?}; last scrape:\n{}",
                lines_of(&body, venture)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `backstop_errors_total{venture, kind}` (0 when absent).
pub fn errors(body: &str, venture: &str, kind: &str) -> f64 {
    sample(
        body,
        "backstop_errors_total",
        &[("venture", venture), ("kind", kind)],
    )
    .unwrap_or(0.0)
}

/// A gauge or counter with `venture` plus `labels`.
pub fn value(body: &str, name: &str, venture: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut all = vec![("venture", venture)];
    all.extend_from_slice(labels);
    sample(body, name, &all)
}

/// The exposition lines that mention `venture` (failure messages stay readable).
pub fn lines_of(body: &str, venture: &str) -> String {
    let needle = format!("venture=\"{venture}");
    body.lines()
        .filter(|l| l.contains(&needle))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads `toml` with `env` as the environment (for `*_env` DSNs and tokens).
pub fn load(toml: &str, env: &[(&str, String)]) -> backstop::config::Config {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    backstop::config::load_str(toml, "chaos.toml", &|k: &str| env.get(k).cloned())
        .unwrap_or_else(|e| panic!("chaos config loads: {e}\n{toml}"))
}
