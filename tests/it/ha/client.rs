//! A client writing through HAProxy survives a killed primary (issue 7): `pg_ctl stop -m
//! immediate` on the primary, the agent promotes the standby, HAProxy routes new connections
//! to it, the client's writes succeed again within a bound and no acknowledged write is lost
//! (the client commits synchronously to the standby);
//! the old primary restarted stays fenced (503) and HAProxy keeps routing to the new one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{wait_armed, Ha};
use crate::harness::haproxy::{HaProxy, Server};
use crate::harness::http::get;

/// One client write: when it finished and what it got (`id`, server port, in recovery).
#[derive(Debug, Clone)]
struct Write {
    at: Instant,
    result: Result<(i64, u16, bool), String>,
}

/// One write on a new connection through `dsn`, everything bounded by short timeouts.
async fn write_once(dsn: &str) -> Result<(i64, u16, bool), String> {
    let connect = tokio_postgres::connect(dsn, tokio_postgres::NoTls);
    let (client, conn) = tokio::time::timeout(Duration::from_secs(1), connect)
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    let task = tokio::spawn(conn);
    let row = tokio::time::timeout(
        Duration::from_secs(2),
        client.query_one(
            "INSERT INTO client_writes DEFAULT VALUES \
             RETURNING id, inet_server_port(), pg_is_in_recovery()",
            &[],
        ),
    )
    .await
    .map_err(|_| "insert timed out".to_string())?
    .map_err(|e| format!("insert: {e}"))?;
    drop(client);
    let _ = task.await;
    let port = u16::try_from(row.get::<_, i32>(1)).map_err(|e| e.to_string())?;
    Ok((row.get(0), port, row.get(2)))
}

/// Writes through `dsn` every 100 ms until `stop`, recording every outcome.
fn spawn_client(
    dsn: String,
    log: Arc<Mutex<Vec<Write>>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !stop.load(Ordering::SeqCst) {
            let result = write_once(&dsn).await;
            log.lock().expect("log").push(Write {
                at: Instant::now(),
                result,
            });
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_through_haproxy_survives_a_killed_primary() {
    let mut ha = Ha::start().await;
    let root = ha.root.path().to_owned();
    let (pg1_port, pg2_port) = (ha.pair.primary.port(), ha.pair.standby.port());
    // An acknowledged commit must be on the standby: synchronous replication to pg2 (the
    // harness's asynchronous default, with `synchronous_commit = off`, loses the last few
    // hundred milliseconds of acknowledged writes on a kill, by PostgreSQL's design). Only
    // pg1 gets the setting: the promoted pg2 has no standby to wait for.
    for sql in [
        "ALTER SYSTEM SET synchronous_standby_names = 'pg2'",
        "SELECT pg_reload_conf()",
    ] {
        ha.pair
            .primary
            .exec(sql)
            .await
            .expect("synchronous replication");
    }
    let agent = backstop::agent::start(&ha.config(&ha.pg1(), "true"))
        .await
        .expect("agent starts");
    let servers = [Server::new("pg1", pg1_port), Server::new("pg2", pg2_port)];
    let haproxy = HaProxy::start(&root, "acme", &servers, agent.addr).await;
    ha.pair
        .primary
        .exec("CREATE TABLE client_writes (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())")
        .await
        .expect("create the table");
    wait_armed(&agent).await;
    // HAProxy starts with every server up until its checks say otherwise: wait until several
    // new connections in a row reach pg1, i.e. pg2 is out of the round robin.
    let start = Instant::now();
    let mut in_a_row = 0;
    while in_a_row < 4 {
        in_a_row = if haproxy.routed_port().await == Some(pg1_port) {
            in_a_row + 1
        } else {
            0
        };
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "haproxy does not route only to pg1:\n{}",
            haproxy.servers_state().await
        );
    }

    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let dsn = format!(
        "{} options='-c synchronous_commit=on'",
        haproxy.primary_dsn()
    );
    let client = spawn_client(dsn, log.clone(), stop.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;

    let killed = Instant::now();
    ha.pair.kill_primary().await;
    let resumed = loop {
        let first = log
            .lock()
            .expect("log")
            .iter()
            .find_map(|w| match w.result {
                Ok((_, port, recovery)) if w.at > killed && port == pg2_port => {
                    Some((w.at, recovery))
                }
                _ => None,
            });
        if let Some((at, recovery)) = first {
            assert!(!recovery, "a write landed on a server in recovery");
            break at;
        }
        if killed.elapsed() >= Duration::from_secs(30) {
            let last: Vec<Write> = log
                .lock()
                .expect("log")
                .iter()
                .rev()
                .take(5)
                .cloned()
                .collect();
            panic!(
                "writes did not resume on pg2 within 30 s; last outcomes: {last:?}\nservers:\n{}",
                haproxy.servers_state().await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let secs = resumed.duration_since(killed).as_secs_f64();
    println!("kill -> first successful write through haproxy on pg2: {secs:.2} s");
    assert!(secs < 30.0, "{secs} s");

    // The old primary comes back: it stays fenced, HAProxy keeps routing to pg2 and the
    // client's writes keep landing there.
    ha.pair.start_primary().await;
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let old = get(agent.addr, "/health/acme/pg1/primary", &[]).await;
    assert_eq!(old.status, 503, "{}", old.body);
    assert_eq!(haproxy.routed_port().await, Some(pg2_port));
    stop.store(true, Ordering::SeqCst);
    client.await.expect("client task");

    let writes = log.lock().expect("log").clone();
    let acked: Vec<(Instant, i64, u16)> = writes
        .iter()
        .filter_map(|w| {
            w.result
                .as_ref()
                .ok()
                .map(|&(id, port, _)| (w.at, id, port))
        })
        .collect();
    let before_kill = acked.iter().filter(|(at, _, _)| *at < killed).count();
    assert!(
        before_kill >= 3,
        "only {before_kill} writes before the kill"
    );
    let after_restart: Vec<_> = acked.iter().filter(|(at, _, _)| *at > restarted).collect();
    assert!(!after_restart.is_empty(), "no write after the restart");
    assert!(
        after_restart.iter().all(|&&(_, _, port)| port == pg2_port),
        "a write after the restart reached the fenced pg1: {after_restart:?}"
    );
    let failed = writes.iter().filter(|w| w.result.is_err()).count();

    // Every acknowledged write (before the kill on pg1, after it on pg2) is on the new primary.
    let new_primary = ha.pair.standby.client().await.expect("pg2");
    let present: std::collections::HashSet<i64> = new_primary
        .query("SELECT id FROM client_writes", &[])
        .await
        .expect("read back")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let lost: Vec<i64> = acked
        .iter()
        .map(|&(_, id, _)| id)
        .filter(|id| !present.contains(id))
        .collect();
    println!(
        "acknowledged {} writes ({before_kill} before the kill), {failed} failed, {} lost",
        acked.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    agent.shutdown().await.expect("agent stops");
}
