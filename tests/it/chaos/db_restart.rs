//! A database dying (`pg_ctl stop -m immediate`) and returning, twice, under a running agent:
//! `probe_up` goes to 0 and back to 1, the agent keeps polling the dead endpoint (its `connect`
//! errors keep growing while it is down and stop once it is back), a healthy endpoint of the
//! same venture never blinks, and nothing is recorded in the store.

use std::time::Duration;

use super::{errors, load, value, Scraper};
use crate::harness;

fn probe_up(body: &str, endpoint: &str) -> Option<f64> {
    value(body, "backstop_probe_up", "acme", &[("endpoint", endpoint)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_dies_and_returns_and_the_agent_follows() {
    harness::init_logs();
    let root = harness::root();
    let mut pg1 = harness::started(root.path(), "pg1", &[]).await;
    let pg2 = harness::started(root.path(), "pg2", &[]).await;
    let toml = format!(
        r#"
[agent]
listen = "127.0.0.1:0"
state = "sqlite:{}"
poll_interval = "500ms"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  [[ventures.endpoints]]
  name = "pg2"
"#,
        root.path().join("state.db").display()
    );
    let cfg = load(
        &toml,
        &[
            ("ACME_PG1_DSN", pg1.dsn().expose().to_string()),
            ("ACME_PG2_DSN", pg2.dsn().expose().to_string()),
        ],
    );
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let s = Scraper { addr: agent.addr };
    s.until(Duration::from_secs(15), "both endpoints up", "acme", |b| {
        probe_up(b, "pg1") == Some(1.0) && probe_up(b, "pg2") == Some(1.0)
    })
    .await;

    for round in 1..=2 {
        let before = errors(&s.scrape().await, "acme", "connect");
        pg1.kill().await.expect("stop -m immediate");
        let down = s
            .until(Duration::from_secs(15), "pg1 seen down", "acme", |b| {
                probe_up(b, "pg1") == Some(0.0) && errors(b, "acme", "connect") > before
            })
            .await;
        assert_eq!(
            probe_up(&down, "pg2"),
            Some(1.0),
            "round {round}: pg2 blinked"
        );
        // The agent keeps polling the dead endpoint: more connect errors while it stays down.
        let seen = errors(&down, "acme", "connect");
        let later = s
            .until(
                Duration::from_secs(10),
                "the dead endpoint is polled again",
                "acme",
                |b| errors(b, "acme", "connect") >= seen + 2.0,
            )
            .await;
        assert_eq!(probe_up(&later, "pg1"), Some(0.0));
        assert_eq!(probe_up(&later, "pg2"), Some(1.0));
        s.alive().await;

        pg1.start().await.expect("start again");
        let back = s
            .until(Duration::from_secs(15), "pg1 seen up again", "acme", |b| {
                probe_up(b, "pg1") == Some(1.0)
            })
            .await;
        // Healthy again: the connect errors stop growing.
        let settled = errors(&back, "acme", "connect");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let body = s.scrape().await;
        assert_eq!(
            errors(&body, "acme", "connect"),
            settled,
            "round {round}: errors grew while both endpoints were up"
        );
        assert_eq!(probe_up(&body, "pg1"), Some(1.0));
        assert_eq!(probe_up(&body, "pg2"), Some(1.0));
    }

    // Deaths with failover off are observations, not records.
    let now = chrono::Utc::now();
    let failovers = agent
        .store
        .failovers(
            "acme",
            now - chrono::TimeDelta::hours(1),
            now + chrono::TimeDelta::hours(1),
        )
        .await
        .expect("store readable");
    assert!(failovers.is_empty(), "{failovers:#?}");
    agent.shutdown().await.expect("clean shutdown");
}
