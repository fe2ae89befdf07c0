//! The failover controller against a real primary and streaming standby: a killed primary is
//! replaced (fenced, one promotion, recorded, counted) and stays fenced after it comes back; a
//! blip shorter than `min_down` and a partition between the agent and the primary (the standby
//! still streams) cause no failover, the latter with its refusal recorded once.

use std::time::{Duration, Instant};

use backstop::state::Role;
use backstop::store::{EventFilter, Store};

use super::{config_text, config_text_with, failovers, wait_armed, wait_finished, Ha};
use crate::harness::http::get;
use crate::harness::tcp_proxy::{Fault, TcpProxy};
use crate::harness::{self};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_primary_is_replaced_once_and_stays_fenced() {
    let mut ha = Ha::start().await;
    let fence_log = ha.path("fence.log");
    let fence = format!(
        "sh -c 'echo {{endpoint}} {{port}} >> {}'",
        fence_log.display()
    );
    let agent = ha.armed_agent(&fence).await;

    let killed = Instant::now();
    ha.pair.kill_primary().await;
    let record = wait_finished(&agent.store, killed, Duration::from_secs(20), String::new).await;
    let took = killed.elapsed();
    assert_eq!(record.outcome.as_deref(), Some("completed"), "{record:?}");
    assert_eq!(
        (record.from_endpoint.as_str(), record.to_endpoint.as_str()),
        ("pg1", "pg2")
    );
    let states: Vec<_> = record.steps.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(
        states,
        [
            "started",
            "fenced",
            "promoting",
            "promoted",
            "roles_switched"
        ]
    );
    assert!(took < Duration::from_secs(10), "failover took {took:?}");
    let fenced_with = std::fs::read_to_string(&fence_log).expect("fence ran");
    assert_eq!(
        fenced_with.trim(),
        format!("pg1 {}", ha.pair.primary.port())
    );
    let client = ha.pair.standby.client().await.expect("standby");
    let row = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .expect("query");
    assert!(!row.get::<_, bool>(0), "pg2 was not promoted");

    let snap = agent.state.load();
    let v = snap.venture("acme").expect("venture");
    assert_eq!(v.failover.outcomes, [1, 0, 0]);
    assert!(!v.failover.in_progress);
    let secs = v.failover.last_duration_seconds.expect("duration");
    assert!(secs > 0.0 && secs < 10.0, "{secs}");
    let pg1 = v.endpoint("pg1").expect("pg1");
    assert!(pg1.fenced && pg1.role == Role::Fenced);
    let metrics = get(agent.addr, "/metrics", &[]).await.body;
    for line in [
        "backstop_failovers_total{venture=\"acme\",outcome=\"completed\"} 1",
        "backstop_failover_in_progress{venture=\"acme\"} 0",
        "backstop_endpoint_fenced{venture=\"acme\",endpoint=\"pg1\"} 1",
        "backstop_endpoint_role{venture=\"acme\",endpoint=\"pg1\",role=\"fenced\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line}");
    }
    assert!(metrics.contains("backstop_failover_last_duration_seconds{venture=\"acme\"}"));

    // The old primary comes back (as a primary: nothing rejoined it): it stays fenced, nothing
    // fails back, no second failover.
    ha.pair.start_primary().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let old = get(agent.addr, "/health/acme/pg1/primary", &[]).await;
    assert_eq!(old.status, 503, "{}", old.body);
    let new = get(agent.addr, "/health/acme/pg2/primary", &[]).await;
    assert_eq!(new.status, 200, "{}", new.body);
    assert_eq!(failovers(&agent.store).await.len(), 1);
    let snap = agent.state.load();
    assert!(snap
        .venture("acme")
        .and_then(|v| v.endpoint("pg1"))
        .is_some_and(|e| e.fenced));
    agent.shutdown().await.expect("agent stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blips_and_partitions_cause_no_failover() {
    let ha = Ha::start().await;
    // The agent reaches the primary through the fault proxy; the standby streams directly.
    let pg1 = TcpProxy::to_port(ha.pair.primary.port()).await;
    let agent = backstop::agent::start(&ha.config(&pg1.dsn(), "true"))
        .await
        .expect("agent starts");
    wait_armed(&agent).await;

    // A blip shorter than min_down: nothing, not even a refusal.
    pg1.set(Fault::Drop);
    tokio::time::sleep(Duration::from_millis(700)).await;
    pg1.set(Fault::Pass);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(failovers(&agent.store).await.is_empty());
    let refused = EventFilter {
        venture: Some("acme".into()),
        kind: Some("failover_refused".into()),
        ..Default::default()
    };
    assert!(agent
        .store
        .events(&refused)
        .await
        .expect("events")
        .is_empty());

    // A partition between agent and primary, longer than min_down, while the standby still
    // streams (the heartbeat-free primary is idle, so keep WAL flowing): refused, recorded once.
    pg1.set(Fault::Drop);
    let writer = ha.pair.primary.client().await.expect("primary");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(4) {
        writer
            .simple_query("SELECT txid_current()")
            .await
            .expect("write on the primary");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pg1.set(Fault::Pass);
    assert!(
        failovers(&agent.store).await.is_empty(),
        "failed over on a partition"
    );
    let events = agent.store.events(&refused).await.expect("events");
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].event.message.contains("still hears")
            || events[0].event.message.contains("streaming"),
        "{}",
        events[0].event.message
    );
    let snap = agent.state.load();
    assert_eq!(
        snap.venture("acme").expect("acme").failover.outcomes,
        [0, 1, 0]
    );
    let client = ha.pair.standby.client().await.expect("standby");
    let row = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .expect("query");
    assert!(row.get::<_, bool>(0), "the standby was promoted");
    agent.shutdown().await.expect("agent stops");
}

/// Counts "received promote request" in a server log: one per `pg_promote` that reached it.
pub(super) fn promote_requests(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("received promote request")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_failover_resumes_with_exactly_one_promotion() {
    let mut ha = Ha::start().await;
    let (listen, state_db) = (ha.listen, ha.state_db());
    let fence_log = ha.path("fence.log");
    let fence = format!(
        "sh -c 'echo {{endpoint}} >> {}; sleep 2'",
        fence_log.display()
    );
    let path = ha.path("agent.toml");
    std::fs::write(&path, config_text(listen, &state_db, &fence)).expect("config");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["run", "--config", path.to_str().expect("utf-8")])
        .env("ACME_PG1_DSN", ha.pair.primary_dsn().expose())
        .env("ACME_PG2_DSN", ha.pair.standby_dsn().expose())
        .env_remove("SENTRY_DSN")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the agent");
    let store = Store::open(&backstop::secret::Secret::new(format!(
        "sqlite:{}",
        state_db.display()
    )))
    .await
    .expect("store");
    // Armed once both endpoints were probed up for a while.
    tokio::time::sleep(Duration::from_secs(3)).await;
    ha.pair.kill_primary().await;
    let start = Instant::now();
    // SIGKILL while the fence command runs (the failover is in flight, nothing promoted).
    loop {
        let fencing = std::fs::read_to_string(&fence_log).is_ok_and(|t| t.contains("pg1"));
        if fencing {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the failover never began"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("SIGKILL");
    let _ = child.wait();
    let in_flight = store.in_flight_failover("acme").await.expect("store");
    let in_flight = in_flight.expect("a failover is in flight after the kill");
    assert_eq!(in_flight.state, "started");
    assert_eq!(promote_requests(&ha.pair.standby.log_file()), 0);

    // Restart: the unfinished failover is resumed by the new leader.
    let agent = backstop::agent::start(&ha.config(&ha.pg1(), &fence))
        .await
        .expect("agent restarts");
    let record = wait_finished(&agent.store, start, Duration::from_secs(25), String::new).await;
    assert_eq!(failovers(&agent.store).await.len(), 1);
    assert_eq!(record.id, in_flight.id);
    assert_eq!(record.outcome.as_deref(), Some("completed"), "{record:?}");
    let states: Vec<_> = record.steps.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(
        states,
        [
            "started",
            "started",
            "fenced",
            "promoting",
            "promoted",
            "roles_switched"
        ],
        "{record:?}"
    );
    assert!(
        record.steps[1].detail.contains("took over from"),
        "{:?}",
        record.steps[1]
    );
    assert_ne!(record.steps[1].holder, record.steps[0].holder);
    assert_eq!(promote_requests(&ha.pair.standby.log_file()), 1);
    agent.shutdown().await.expect("agent stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_on_a_postgres_store_only_the_leader_fails_over() {
    let mut ha = Ha::start().await;
    let store_pg = harness::started(ha.root.path(), "state", &[]).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        store_pg.port()
    );
    let config = ha.config_text_as(&config_text_with(0, &url, "true"), &ha.pg1());
    let a = backstop::agent::start(&config).await.expect("agent a");
    let b = backstop::agent::start(&config).await.expect("agent b");
    let leading = |agent: &backstop::agent::RunningAgent| {
        agent.state.load().venture("acme").and_then(|v| v.leader)
    };
    let start = Instant::now();
    while leading(&a).is_none() || leading(&b).is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "leadership unknown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(leading(&a), leading(&b));
    wait_armed(if leading(&a) == Some(true) { &a } else { &b }).await;

    ha.pair.kill_primary().await;
    let record = wait_finished(&a.store, start, Duration::from_secs(25), String::new).await;
    assert_eq!(record.outcome.as_deref(), Some("completed"), "{record:?}");
    // Let the follower run a few more rounds: it must not act.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(failovers(&a.store).await.len(), 1);
    assert_eq!(promote_requests(&ha.pair.standby.log_file()), 1);
    let completed = |agent: &backstop::agent::RunningAgent| {
        agent
            .state
            .load()
            .venture("acme")
            .map(|v| v.failover.outcomes[0])
    };
    let mut counts = [completed(&a), completed(&b)];
    counts.sort();
    assert_eq!(counts, [Some(0), Some(1)]);
    for agent in [&a, &b] {
        // Both export the fence (read from the shared store), whoever acted.
        let snap = agent.state.load();
        assert!(snap
            .venture("acme")
            .and_then(|v| v.endpoint("pg1"))
            .is_some_and(|e| e.fenced));
    }
    a.shutdown().await.expect("a stops");
    b.shutdown().await.expect("b stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_lagging_beyond_max_lag_bytes_is_refused_with_the_reason() {
    let mut ha = Ha::start().await;
    let agent = ha.armed_agent("true").await;

    // Cut the standby off (no WAL receiver), write 4 MB on the primary, let the agent sample
    // the primary's LSN, then kill the primary: the standby is 4 MB behind.
    for sql in [
        "ALTER SYSTEM SET primary_conninfo = ''",
        "SELECT pg_reload_conf()",
    ] {
        ha.pair
            .standby
            .exec(sql)
            .await
            .expect("cut the standby off");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    ha.pair.write_wal(4 * 1024 * 1024).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    ha.pair.kill_primary().await;
    let refused = EventFilter {
        venture: Some("acme".into()),
        kind: Some("failover_refused".into()),
        ..Default::default()
    };
    let start = Instant::now();
    let events = loop {
        let events = agent.store.events(&refused).await.expect("events");
        if !events.is_empty() {
            break events;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no refusal recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        events[0]
            .event
            .message
            .contains("exceeds max_lag_bytes 1048576"),
        "{}",
        events[0].event.message
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(failovers(&agent.store).await.is_empty());
    assert_eq!(agent.store.events(&refused).await.expect("events").len(), 1);
    let client = ha.pair.standby.client().await.expect("standby");
    let row = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .expect("query");
    assert!(row.get::<_, bool>(0), "a lagging standby was promoted");
    agent.shutdown().await.expect("agent stops");
}
