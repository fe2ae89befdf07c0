//! The whole agent against real clusters: config → collectors → Snapshot → HTTP. A primary
//! with working archiving and a streaming standby in one venture; a dead and a hung endpoint in
//! another. Scrapes stay fast and correct while endpoints are down; promtool accepts the output.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backstop::config;
use backstop::postgres::ScratchCluster;

use crate::harness::http::{get, sample};
use crate::harness::{self, fast_settings, SEG};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0";

/// Runs `promtool check metrics` on `text`; returns what it printed.
pub fn promtool_check(text: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool missing: apt-get install -y prometheus");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_serves_real_clusters_and_survives_dead_endpoints() {
    let root = harness::root();
    let (pg1, _archive) = harness::archiving(root.path(), "pg1", "60").await;
    let pg2 = ScratchCluster::standby_of(&pg1, root.path(), "pg2", &fast_settings(&[]))
        .await
        .expect("standby pg2");
    // A socket that accepts connections and never answers, and a closed port.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind hung");
    let hung_port = hung.local_addr().expect("addr").port();
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };

    let toml = r#"
[agent]
listen = "127.0.0.1:0"
state = "sqlite:STATE"
poll_interval = "1s"

[[ventures]]
name = "alpha"
  [[ventures.endpoints]]
  name = "pg1"
  [[ventures.endpoints]]
  name = "pg2"

[[ventures]]
name = "beta"
  [[ventures.endpoints]]
  name = "hung"
  [[ventures.endpoints]]
  name = "dead"
"#;
    let password = "pw-never-shown-42";
    let env: HashMap<String, String> = [
        ("ALPHA_PG1_DSN", pg1.dsn().expose().to_string()),
        ("ALPHA_PG2_DSN", pg2.dsn().expose().to_string()),
        (
            "BETA_HUNG_DSN",
            format!(
                "host=127.0.0.1 port={hung_port} user=postgres password={password} sslmode=disable"
            ),
        ),
        (
            "BETA_DEAD_DSN",
            format!(
                "postgres://postgres:{password}@127.0.0.1:{dead_port}/postgres?sslmode=disable"
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let toml = toml.replace("STATE", &root.path().join("state.db").display().to_string());
    let cfg = config::load_str(&toml, "agent-test.toml", &|k: &str| env.get(k).cloned())
        .expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let addr = agent.addr;

    // The hung endpoint's first poll takes its whole connect timeout: not ready yet.
    let ready = get(addr, "/readyz", &[]).await;
    assert_eq!(
        ready.status, 503,
        "readyz before the first poll: {}",
        ready.body
    );
    assert_eq!(get(addr, "/healthz", &[]).await.status, 200);
    assert!(
        agent.wait_ready(Duration::from_secs(20)).await,
        "agent became ready"
    );
    assert_eq!(get(addr, "/readyz", &[]).await.status, 200);

    pg1.exec("CREATE TABLE t (id int, pad text); INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g; SELECT pg_switch_wal();")
        .await
        .expect("write and switch");

    // Wait until the archived segment shows in /metrics and the lag is below one segment.
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let body = get(addr, "/metrics", &[]).await.body;
        let archived = sample(
            &body,
            "backstop_wal_archived_total",
            &[("venture", "alpha"), ("endpoint", "pg1")],
        );
        let lag = sample(
            &body,
            "backstop_wal_archive_lag_bytes",
            &[("venture", "alpha"), ("endpoint", "pg1")],
        );
        if archived.unwrap_or(0.0) >= 1.0 && lag.is_some_and(|l| l < SEG as f64) {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "archiving never showed in /metrics:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let v = |name: &str, labels: &[(&str, &str)]| sample(&body, name, labels);
    let alpha = |e: &'static str| [("venture", "alpha"), ("endpoint", e)];
    let beta = |e: &'static str| [("venture", "beta"), ("endpoint", e)];
    assert_eq!(v("backstop_probe_up", &alpha("pg1")), Some(1.0));
    assert_eq!(v("backstop_probe_up", &alpha("pg2")), Some(1.0));
    assert_eq!(v("backstop_probe_up", &beta("hung")), Some(0.0));
    assert_eq!(v("backstop_probe_up", &beta("dead")), Some(0.0));
    let role = |e: &'static str, r: &'static str| {
        v(
            "backstop_endpoint_role",
            &[("venture", "alpha"), ("endpoint", e), ("role", r)],
        )
    };
    assert_eq!(role("pg1", "primary"), Some(1.0));
    assert_eq!(role("pg1", "standby"), Some(0.0));
    assert_eq!(role("pg2", "standby"), Some(1.0));
    assert!(
        v("backstop_replication_lag_bytes", &alpha("pg2")).is_some(),
        "standby lag"
    );
    assert_eq!(
        v("backstop_replication_lag_bytes", &alpha("pg1")),
        None,
        "a primary has no lag"
    );
    assert_eq!(
        v("backstop_archive_timeout_seconds", &alpha("pg1")),
        Some(60.0)
    );
    assert!(v(
        "backstop_wal_archive_last_archived_timestamp_seconds",
        &alpha("pg1")
    )
    .is_some());
    // Unknown is absent: the dead endpoints were never observed.
    assert_eq!(v("backstop_wal_archive_lag_bytes", &beta("dead")), None);
    assert_eq!(v("backstop_archive_timeout_seconds", &beta("hung")), None);
    let errors = |kind: &str| {
        v(
            "backstop_errors_total",
            &[("venture", "beta"), ("kind", kind)],
        )
    };
    assert!(
        errors("timeout").unwrap_or(0.0) >= 1.0,
        "hung endpoint counted as timeout"
    );
    assert!(
        errors("connect").unwrap_or(0.0) >= 1.0,
        "dead endpoint counted as connect"
    );
    assert_eq!(
        v(
            "backstop_errors_total",
            &[("venture", "alpha"), ("kind", "timeout")]
        ),
        Some(0.0),
        "counters with known labels start at 0"
    );
    assert!(!body.contains(password), "a password leaked into /metrics");
    assert!(
        !body.contains("127.0.0.1"),
        "a DSN host leaked into /metrics"
    );
    assert_eq!(
        promtool_check(&body),
        "",
        "promtool check metrics is silent"
    );

    // Scrapes answer fast while one endpoint hangs and another is dead.
    let mut worst = Duration::ZERO;
    for _ in 0..30 {
        let t = Instant::now();
        let r = get(addr, "/metrics", &[]).await;
        worst = worst.max(t.elapsed());
        assert_eq!(r.status, 200);
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
            "{:?}",
            r.header("content-type")
        );
    }
    assert!(
        worst < Duration::from_millis(100),
        "slowest scrape took {worst:?}"
    );

    let om = get(addr, "/metrics", &[("Accept", OPENMETRICS)]).await;
    assert!(om
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/openmetrics-text")));
    assert!(om.body.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");

    agent.shutdown().await.expect("clean shutdown");
    drop(hung);
}
