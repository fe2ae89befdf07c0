//! The HA harness itself: the pair streams and survives a primary kill; the fault proxy passes,
//! blackholes, refuses and resets; HAProxy routes by the health answers it gets.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use crate::harness::haproxy::{HaProxy, Server};
use crate::harness::replica::Pair;
use crate::harness::tcp_proxy::{Fault, TcpProxy};
use crate::harness::{self};

async fn connect(dsn: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(dsn, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {dsn}: {e}"));
    tokio::spawn(conn);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_streams_and_fault_proxy_switches() {
    let root = harness::root();
    let mut pair = Pair::start(root.path()).await;
    pair.write_wal(10_000).await;
    pair.inject_lag(200_000).await;
    assert!(pair.replay_lag_bytes().await.expect("lag") >= 200_000);
    pair.resume_replay().await;

    // Through the proxy: pass, a blackhole that holds the query, then pass again.
    let proxy = TcpProxy::to_port(pair.primary.port()).await;
    let client = connect(&proxy.dsn()).await;
    client.simple_query("SELECT 1").await.expect("pass");
    proxy.set(Fault::Drop);
    let held =
        tokio::time::timeout(Duration::from_millis(500), client.simple_query("SELECT 2")).await;
    assert!(held.is_err(), "a query went through a blackhole");
    let connecting = tokio::time::timeout(
        Duration::from_millis(500),
        tokio_postgres::connect(&proxy.dsn(), tokio_postgres::NoTls),
    )
    .await;
    assert!(
        connecting.is_err(),
        "a connection was made through a blackhole"
    );
    proxy.set(Fault::Pass);
    client
        .simple_query("SELECT 3")
        .await
        .expect("pass after the blackhole");

    // Refuse: new connections fail fast, the open one still works.
    proxy.set(Fault::Refuse);
    let started = Instant::now();
    assert!(tokio_postgres::connect(&proxy.dsn(), tokio_postgres::NoTls)
        .await
        .is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
    client
        .simple_query("SELECT 4")
        .await
        .expect("open connection passes while refusing");

    // Reset: the open connection breaks.
    proxy.set(Fault::Pass);
    // The connection that waited in the blackhole closes shortly after it was let through.
    let start = Instant::now();
    while proxy.open_connections() != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "open: {}",
            proxy.open_connections()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proxy.reset_all();
    let err = client.simple_query("SELECT 5").await;
    assert!(err.is_err(), "query on a reset connection succeeded");
    connect(&proxy.dsn())
        .await
        .simple_query("SELECT 6")
        .await
        .expect("new connection after reset");

    // Kill and restart the primary: the standby streams again.
    pair.kill_primary().await;
    assert!(pair.replication_state().await.is_err());
    pair.start_primary().await;
    pair.wait_streaming(Duration::from_secs(30)).await;
}

/// A stand-in for the agent's health endpoints: the status per endpoint name.
type Answers = Arc<Mutex<HashMap<String, u16>>>;

async fn fake_health(answers: Answers) -> SocketAddr {
    async fn health(
        State(answers): State<Answers>,
        Path((_venture, endpoint, _role)): Path<(String, String, String)>,
    ) -> StatusCode {
        let code = answers
            .lock()
            .expect("lock")
            .get(&endpoint)
            .copied()
            .unwrap_or(404);
        StatusCode::from_u16(code).expect("status")
    }
    let app = Router::new()
        .route("/health/{venture}/{endpoint}/{role}", get(health))
        .with_state(answers);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_routes_by_health_answers() {
    let root = harness::root();
    let pair = Pair::start(root.path()).await;
    let answers: Answers = Arc::new(Mutex::new(
        [("pg1".to_string(), 200), ("pg2".to_string(), 503)].into(),
    ));
    let health = fake_health(answers.clone()).await;
    let servers = [
        Server::new("pg1", pair.primary.port()),
        Server::new("pg2", pair.standby.port()),
    ];
    let haproxy = HaProxy::start(root.path(), "acme", &servers, health).await;
    haproxy.wait_routes_to("pg1", Duration::from_secs(10)).await;
    haproxy
        .execute("CREATE TABLE through_haproxy (id int); INSERT INTO through_haproxy VALUES (1)")
        .await
        .expect("write through haproxy");

    // A session open through HAProxy is shut when its server is marked down.
    let session = connect(&haproxy.primary_dsn()).await;
    session.simple_query("SELECT 1").await.expect("session");
    answers.lock().expect("lock").insert("pg1".into(), 503);
    haproxy.wait_routes_nowhere(Duration::from_secs(10)).await;
    assert!(
        session.simple_query("SELECT 1").await.is_err(),
        "session survived mark-down"
    );

    answers.lock().expect("lock").insert("pg2".into(), 200);
    haproxy.wait_routes_to("pg2", Duration::from_secs(10)).await;
}

#[test]
fn deploy_example_is_valid_and_uses_the_health_endpoints() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
    let text = std::fs::read_to_string(&path).expect("deploy/haproxy.cfg");
    for needle in [
        "option httpchk",
        "uri-lf /health/acme/%[srv_name]/primary",
        "uri-lf /health/acme/%[srv_name]/replica?max_lag=",
        "http-check expect status 200",
        "on-marked-down shutdown-sessions",
        "bind *:5000",
        "bind *:5001",
    ] {
        assert!(text.contains(needle), "deploy/haproxy.cfg lacks {needle:?}");
    }
    let out = std::process::Command::new("haproxy")
        .arg("-c")
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("haproxy missing ({e}): apt-get install -y haproxy"));
    assert!(
        out.status.success(),
        "haproxy -c: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
