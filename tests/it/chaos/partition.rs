//! Partitions between the agent and a database through the harness's TCP proxy: a blackhole
//! (`Drop`) makes every poll time out within its connect budget (the agent keeps its cadence,
//! counts `timeout`), refused connections count `connect`, resets of open connections are
//! survived, and after each fault the endpoint is up again and the errors stop. `/metrics`
//! answers within budget through all of it.

use std::time::{Duration, Instant};

use super::{errors, load, value, Scraper};
use crate::harness;
use crate::harness::tcp_proxy::{Fault, TcpProxy};

fn probe_up(body: &str) -> Option<f64> {
    value(body, "backstop_probe_up", "acme", &[("endpoint", "pg1")])
}

/// Scrapes for `span`, every scrape within budget; returns the last exposition.
async fn scrape_for(s: &Scraper, span: Duration) -> String {
    let start = Instant::now();
    let mut body = s.scrape().await;
    while start.elapsed() < span {
        tokio::time::sleep(Duration::from_millis(100)).await;
        body = s.scrape().await;
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_time_out_within_budget_and_heal() {
    harness::init_logs();
    let root = harness::root();
    let pg1 = harness::started(root.path(), "pg1", &[]).await;
    let proxy = TcpProxy::to_port(pg1.port()).await;
    // poll_interval 1s: connect and statement timeouts of 1 s each (agent::poll_timeouts).
    let toml = format!(
        r#"
[agent]
listen = "127.0.0.1:0"
state = "sqlite:{}"
poll_interval = "1s"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
"#,
        root.path().join("state.db").display()
    );
    let cfg = load(&toml, &[("ACME_PG1_DSN", proxy.dsn())]);
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let s = Scraper { addr: agent.addr };
    s.until(
        Duration::from_secs(15),
        "pg1 up through the proxy",
        "acme",
        |b| probe_up(b) == Some(1.0),
    )
    .await;
    let healthy = s.scrape().await;
    assert_eq!(errors(&healthy, "acme", "timeout"), 0.0);

    // Blackhole: polls time out within their budget, and keep coming at their cadence.
    proxy.set(Fault::Drop);
    let t = Instant::now();
    let down = s
        .until(Duration::from_secs(10), "a partition seen", "acme", |b| {
            probe_up(b) == Some(0.0) && errors(b, "acme", "timeout") >= 1.0
        })
        .await;
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "a 1 s connect budget took {:?} to show",
        t.elapsed()
    );
    let first = errors(&down, "acme", "timeout");
    let body = scrape_for(&s, Duration::from_secs(5)).await;
    let more = errors(&body, "acme", "timeout") - first;
    // Each attempt ends within 1 s and the next follows 1 s later: ≥ 2 in 5 s even when loaded.
    assert!(more >= 2.0, "only {more} more timeouts in 5 s of partition");
    assert_eq!(probe_up(&body), Some(0.0));
    s.alive().await;

    proxy.set(Fault::Pass);
    s.until(
        Duration::from_secs(15),
        "healed after the blackhole",
        "acme",
        |b| probe_up(b) == Some(1.0),
    )
    .await;

    // Refused connections (the proxy closes them at once): `connect`, not `timeout`.
    proxy.reset_all();
    proxy.set(Fault::Refuse);
    let timeouts = errors(&s.scrape().await, "acme", "timeout");
    let refused = s
        .until(Duration::from_secs(10), "refusals seen", "acme", |b| {
            probe_up(b) == Some(0.0) && errors(b, "acme", "connect") >= 1.0
        })
        .await;
    assert_eq!(
        errors(&refused, "acme", "timeout"),
        timeouts,
        "a refusal is not a timeout"
    );

    proxy.set(Fault::Pass);
    let back = s
        .until(
            Duration::from_secs(15),
            "healed after refusals",
            "acme",
            |b| probe_up(b) == Some(1.0),
        )
        .await;
    // Healthy again: nothing more is counted.
    let settled: Vec<f64> = ["timeout", "connect"]
        .iter()
        .map(|k| errors(&back, "acme", k))
        .collect();
    let body = scrape_for(&s, Duration::from_secs(3)).await;
    let now: Vec<f64> = ["timeout", "connect"]
        .iter()
        .map(|k| errors(&body, "acme", k))
        .collect();
    assert_eq!(now, settled, "errors grew after healing");
    assert_eq!(probe_up(&body), Some(1.0));
    agent.shutdown().await.expect("clean shutdown");
}
