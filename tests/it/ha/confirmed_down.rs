//! `/health/{v}/{e}/primary` for a primary the agent holds down (DESIGN.md §5, §9): a partition
//! between the agent and the primary, while the standby still streams from it, keeps 200 (the
//! writers still reach it); a real death — the agent's hysteresis *and* the standby's WAL
//! receiver agree — answers 503 without any fence or failover (mode `manual`), and 200 again
//! once the primary is back.

use std::time::{Duration, Instant};

use backstop::store::EventFilter;

use super::{config_text, wait_armed, Ha};
use crate::harness::http::get;
use crate::harness::tcp_proxy::{Fault, TcpProxy};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_answers_503_only_when_a_standby_confirms_it_is_down() {
    let mut ha = Ha::start().await;
    // The agent reaches the primary through the fault proxy; the standby streams directly.
    let pg1 = TcpProxy::to_port(ha.pair.primary.port()).await;
    let text = config_text(ha.listen, &ha.state_db(), "true")
        .replace("mode = \"auto\"", "mode = \"manual\"");
    assert!(text.contains("mode = \"manual\""));
    let config = ha.config_text_as(&text, &pg1.dsn());
    let agent = backstop::agent::start(&config).await.expect("agent starts");
    wait_armed(&agent).await;
    let primary = || get(agent.addr, "/health/acme/pg1/primary", &[]);
    assert_eq!(primary().await.status, 200);

    // Partition agent ↔ primary for well over min_down (1.5 s) while WAL keeps flowing to the
    // standby: the agent's hysteresis says down (the manual-mode policy gets as far as the
    // standby's veto and records it), yet the primary endpoint keeps answering 200.
    pg1.set(Fault::Drop);
    let writer = ha.pair.primary.client().await.expect("primary");
    let start = Instant::now();
    let mut answers = Vec::new();
    while start.elapsed() < Duration::from_secs(5) {
        writer
            .simple_query("SELECT txid_current()")
            .await
            .expect("write on the primary");
        let r = primary().await;
        answers.push((r.status, r.body));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "the primary left rotation during an agent-side partition: {answers:?}"
    );
    let refused = EventFilter {
        venture: Some("acme".into()),
        kind: Some("failover_refused".into()),
        ..Default::default()
    };
    let events = agent.store.events(&refused).await.expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.event.message.contains("still hears")
                || e.event.message.contains("streaming")),
        "the hysteresis never declared the partitioned primary down: {events:?}"
    );
    pg1.set(Fault::Pass);
    drop(writer);
    let start = Instant::now();
    while agent
        .state
        .load()
        .venture("acme")
        .and_then(|v| v.endpoint("pg1"))
        .is_none_or(|e| e.probe.up != Some(true))
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "pg1 never up again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A real death: the standby's receiver stops too. 503 once the hysteresis has held for
    // min_down, with nothing fenced and no failover (mode manual only recommends).
    ha.pair.kill_primary().await;
    let killed = Instant::now();
    let down = loop {
        let r = primary().await;
        if r.status == 503 {
            break r;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "still 200 after a real death: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let after = killed.elapsed();
    eprintln!("primary killed → /primary 503 after {after:?}");
    assert_eq!(down.body, "down (confirmed by a standby)\n");
    assert!(
        after >= Duration::from_millis(1500),
        "503 before min_down: {after:?}"
    );
    let now = chrono::Utc::now();
    let failovers = agent
        .store
        .failovers(
            "acme",
            now - chrono::TimeDelta::hours(1),
            now + chrono::TimeDelta::hours(1),
        )
        .await
        .expect("failovers");
    assert!(failovers.is_empty(), "{failovers:?}");
    let snap = agent.state.load();
    let ep = snap
        .venture("acme")
        .and_then(|v| v.endpoint("pg1"))
        .expect("pg1");
    assert!(!ep.fenced && ep.confirmed_down, "{ep:?}");

    // Back: the first successful probe ends "down by the rule", so 200 again.
    ha.pair.start_primary().await;
    let start = Instant::now();
    loop {
        let r = primary().await;
        if r.status == 200 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "still {} after the primary came back: {}",
            r.status,
            r.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    agent.shutdown().await.expect("agent stops");
}
