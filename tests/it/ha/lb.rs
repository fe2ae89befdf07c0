//! The agent's load-balancer endpoints behind a real HAProxy: writes go to the primary; a
//! fenced endpoint answers 503 and HAProxy stops routing to it (shutting its sessions); after a
//! promotion HAProxy routes to the new primary; after an agent restart the endpoints answer
//! from the persisted roles and fences before any probe has completed.

use std::collections::HashMap;
use std::time::Duration;

use backstop::config;
use backstop::state::Role;
use backstop::store::EndpointRoleRecord;

use crate::harness::haproxy::{HaProxy, Server};
use crate::harness::http::get;
use crate::harness::replica::Pair;
use crate::harness::tcp_proxy::{Fault, TcpProxy};
use crate::harness::{self};

fn agent_config(
    listen: u16,
    state: &std::path::Path,
    poll: &str,
    pg1: &TcpProxy,
    pg2: &TcpProxy,
) -> backstop::config::Config {
    let toml = format!(
        r#"
[agent]
listen = "127.0.0.1:{listen}"
state = "sqlite:{}"
poll_interval = "{poll}"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  role = "primary"
  [[ventures.endpoints]]
  name = "pg2"
  role = "standby"
"#,
        state.display()
    );
    let env: HashMap<String, String> = [
        ("ACME_PG1_DSN".to_string(), pg1.dsn()),
        ("ACME_PG2_DSN".to_string(), pg2.dsn()),
    ]
    .into();
    config::load_str(&toml, "lb-test.toml", &|k: &str| env.get(k).cloned()).expect("config loads")
}

fn record(endpoint: &str, role: Role, fenced: bool) -> EndpointRoleRecord {
    EndpointRoleRecord {
        venture: "acme".into(),
        endpoint: endpoint.into(),
        role,
        fenced,
        epoch: 1,
        updated_at: chrono::Utc::now(),
    }
}

async fn connect(dsn: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(dsn, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect {dsn}: {e}"));
    tokio::spawn(conn);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_follows_fences_promotion_and_restart() {
    harness::init_logs();
    let root = harness::root();
    let pair = Pair::start(root.path()).await;
    let pg1 = TcpProxy::to_port(pair.primary.port()).await;
    let pg2 = TcpProxy::to_port(pair.standby.port()).await;
    let listen = backstop::postgres::scratch::free_local_port().expect("port");
    let state_db = root.path().join("state.db");

    let agent = backstop::agent::start(&agent_config(listen, &state_db, "1s", &pg1, &pg2))
        .await
        .expect("agent starts");
    let addr = agent.addr;
    let servers = [
        Server::new("pg1", pair.primary.port()),
        Server::new("pg2", pair.standby.port()),
    ];
    let haproxy = HaProxy::start(root.path(), "acme", &servers, addr).await;
    haproxy.wait_routes_to("pg1", Duration::from_secs(15)).await;
    haproxy
        .execute("CREATE TABLE lb (id int); INSERT INTO lb VALUES (1)")
        .await
        .expect("write through haproxy");
    assert!(agent.wait_ready(Duration::from_secs(15)).await);
    assert_eq!(
        get(addr, "/health/acme/pg2/replica?max_lag=100000000", &[])
            .await
            .status,
        200
    );

    // Fence pg1 and record pg2 as the primary, as the failover controller does.
    let session = connect(&haproxy.primary_dsn()).await;
    session.simple_query("SELECT 1").await.expect("session");
    for r in [
        record("pg1", Role::Primary, true),
        record("pg2", Role::Primary, false),
    ] {
        agent
            .store
            .set_endpoint_role(&r)
            .await
            .expect("record role");
    }
    agent.state.update(|s| {
        if let Some(ep) = s.venture_mut("acme").and_then(|v| v.endpoint_mut("pg1")) {
            ep.fenced = true;
        }
    });
    let fenced = get(addr, "/health/acme/pg1/primary", &[]).await;
    assert_eq!((fenced.status, fenced.body.as_str()), (503, "fenced\n"));
    haproxy.wait_routes_nowhere(Duration::from_secs(10)).await;
    assert!(
        session.simple_query("SELECT 1").await.is_err(),
        "a session to the fenced endpoint survived"
    );

    // Promote pg2: the agent observes it and HAProxy routes writes there.
    pair.standby
        .exec("SELECT pg_promote(true, 30)")
        .await
        .expect("promote");
    haproxy.wait_routes_to("pg2", Duration::from_secs(15)).await;
    haproxy
        .execute("INSERT INTO lb VALUES (2)")
        .await
        .expect("write through haproxy after the promotion");

    // Restart the agent with every database unreachable: no probe can complete, yet the
    // endpoints answer from the store at once and HAProxy keeps routing to pg2.
    agent.shutdown().await.expect("agent stops");
    pg1.set(Fault::Drop);
    pg2.set(Fault::Drop);
    let agent = backstop::agent::start(&agent_config(listen, &state_db, "10s", &pg1, &pg2))
        .await
        .expect("agent restarts");
    let primary = get(addr, "/health/acme/pg2/primary", &[]).await;
    assert_eq!((primary.status, primary.body.as_str()), (200, "primary\n"));
    let old = get(addr, "/health/acme/pg1/primary", &[]).await;
    assert_eq!((old.status, old.body.as_str()), (503, "fenced\n"));
    let api = get(addr, "/api/v1/ventures/acme/primary", &[]).await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json: serde_json::Value = serde_json::from_str(&api.body).expect("json");
    assert_eq!(json["endpoint"], "pg2");
    assert_eq!(json["port"], pg2.port());
    assert_eq!(json["fenced_endpoints"], serde_json::json!(["pg1"]));
    assert!(json["since"].is_string(), "{json}");
    haproxy.wait_routes_to("pg2", Duration::from_secs(10)).await;
    assert_eq!(
        get(addr, "/readyz", &[]).await.status,
        503,
        "a probe completed although the databases are unreachable"
    );
    pg1.set(Fault::Pass);
    pg2.set(Fault::Pass);
    agent.shutdown().await.expect("agent stops");
}
