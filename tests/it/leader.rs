//! Leadership between two agents on one PostgreSQL state store (a scratch cluster): exactly one
//! leads each venture; when the leader shuts down (releasing its leases) the other takes every
//! venture over within one lease period.

use std::time::{Duration, Instant};

use crate::harness;

fn config(root: &std::path::Path, port: u16, name: &str) -> backstop::config::Config {
    let path = root.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable\"\n\
             scratch_dir = \"{}\"\n\n[[ventures]]\nname = \"acme\"\n\n[[ventures]]\nname = \"zeta\"\n",
            root.join(format!("scratch-{name}")).display()
        ),
    )
    .expect("config");
    backstop::config::load(Some(&path)).expect("config loads")
}

fn leaders(agent: &backstop::agent::RunningAgent) -> Vec<Option<bool>> {
    let snap = agent.state.load();
    ["acme", "zeta"]
        .iter()
        .map(|v| snap.venture(v).and_then(|v| v.leader))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_agent_leads_each_venture_and_the_other_takes_over() {
    harness::init_logs();
    let root = harness::root();
    let pg = harness::started(root.path(), "state", &[]).await;
    let a = backstop::agent::start(&config(root.path(), pg.port(), "a"))
        .await
        .expect("agent a");
    let b = backstop::agent::start(&config(root.path(), pg.port(), "b"))
        .await
        .expect("agent b");

    // Both know within a renewal; then exactly one leads each venture, for several renewals.
    let deadline = Instant::now() + Duration::from_secs(15);
    while leaders(&a).contains(&None) || leaders(&b).contains(&None) {
        assert!(Instant::now() < deadline, "leadership never known");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..3 {
        let (la, lb) = (leaders(&a), leaders(&b));
        for i in 0..2 {
            assert_ne!(la[i], lb[i], "venture {i}: a {la:?}, b {lb:?}");
        }
        tokio::time::sleep(backstop::leader::DEFAULT_TTL / 3).await;
    }

    // The agent that leads acme shuts down; the other leads everything within a lease period.
    let (leader, other) = if leaders(&a)[0] == Some(true) {
        (a, b)
    } else {
        (b, a)
    };
    let stopped = Instant::now();
    leader.shutdown().await.expect("shutdown");
    let deadline = stopped + backstop::leader::DEFAULT_TTL;
    while leaders(&other) != [Some(true), Some(true)] {
        assert!(
            Instant::now() < deadline,
            "no takeover within a lease period: {:?}",
            leaders(&other)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("takeover after {:?}", stopped.elapsed());
    other.shutdown().await.expect("shutdown");
}
