//! The durable store against real SQLite files and a real PostgreSQL cluster: one contract
//! suite for both backends, leadership, migrations, a full disk, SIGKILL of a writer.

mod contract;
mod crash;

use backstop::error::ErrorKind;
use backstop::secret::Secret;
use backstop::store::{NewEvent, ObjectiveOverride, Store, StoreError, StoreOptions};

use crate::harness;

fn sqlite_url(dir: &std::path::Path) -> Secret {
    Secret::new(format!("sqlite:{}", dir.join("state.db").display()))
}

/// A `postgres://` URL for a scratch cluster's database.
pub fn pg_url(cluster: &backstop::postgres::ScratchCluster, db: &str) -> Secret {
    Secret::new(format!(
        "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
        cluster.port()
    ))
}

/// The contract on SQLite, with a second connection racing `begin_failover`; SQLite always leads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_contract() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(dir.path());
    let a = Store::open(&url).await.expect("open");
    let b = Store::open(&url).await.expect("second connection");
    assert_eq!(a.backend_name(), "sqlite");
    contract::all(&a, &b).await;
    contract::failover_holders(&a, &b, false).await;
    assert!(a
        .try_lead("x", "agent-a", std::time::Duration::from_secs(1))
        .await
        .expect("lead"));
    assert!(b
        .try_lead("x", "agent-b", std::time::Duration::from_secs(1))
        .await
        .expect("lead"));
}

/// The contract on PostgreSQL, with a second agent racing `begin_failover` and the lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_contract() {
    let root = harness::root();
    let pg = harness::started(root.path(), "store", &[]).await;
    let url = pg_url(&pg, "postgres");
    let a = Store::open(&url).await.expect("open");
    let b = Store::open(&url).await.expect("second agent");
    assert_eq!(a.backend_name(), "postgres");
    contract::all(&a, &b).await;
    contract::leadership(&a, &b).await;
    contract::failover_holders(&a, &b, true).await;

    // A broken connection is replaced at the next call.
    pg.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'backstop' AND pid <> pg_backend_pid()")
        .await
        .expect("terminate");
    let e = NewEvent {
        venture: Some("reconnect".into()),
        ..contract_event()
    };
    let first = a.append_event(&e).await;
    if let Err(err) = &first {
        assert!(err.to_string().contains("PostgreSQL state store"), "{err}");
    }
    a.append_event(&e).await.expect("reconnected");

    // A version-3 database (before the retention override) is upgraded on open; its
    // overrides read back without a policy and can take one.
    pg.exec("CREATE DATABASE v3").await.expect("create db");
    let v3 = pg_url(&pg, "v3");
    drop(Store::open(&v3).await.expect("fresh db"));
    let client = backstop::postgres::connect(&v3, &Default::default())
        .await
        .expect("connect");
    client
        .batch_execute(
            "ALTER TABLE backstop.objective_overrides DROP COLUMN retention;
             DELETE FROM backstop.schema_migrations WHERE version = 4;
             INSERT INTO backstop.objective_overrides (venture, rto_seconds, set_by, set_at)
             VALUES ('old', 600, 'api:admin', now());",
        )
        .await
        .expect("back to version 3");
    let upgraded = Store::open(&v3).await.expect("upgrade");
    assert_eq!(upgraded.schema_version().await.expect("v"), 4);
    let mut old = upgraded.overrides().await.expect("overrides");
    assert_eq!(
        (old.len(), old[0].rto_seconds, old[0].retention),
        (1, Some(600), None)
    );
    old[0].retention = Some(backstop::config::RetentionPolicy {
        weekly: 5,
        ..Default::default()
    });
    upgraded.set_override(&old[0]).await.expect("set");
    assert_eq!(upgraded.overrides().await.expect("overrides"), old);

    // Migrations are idempotent; a newer schema is refused with what to do.
    assert_eq!(
        Store::open(&url)
            .await
            .expect("reopen")
            .schema_version()
            .await
            .expect("v"),
        4
    );
    pg.exec("CREATE DATABASE newer").await.expect("create db");
    let newer = pg_url(&pg, "newer");
    drop(Store::open(&newer).await.expect("fresh db"));
    let client = backstop::postgres::connect(&newer, &Default::default())
        .await
        .expect("connect");
    client
        .execute(
            "INSERT INTO backstop.schema_migrations (version) VALUES (42)",
            &[],
        )
        .await
        .expect("bump");
    let err = Store::open(&newer).await.expect_err("newer schema");
    assert_eq!(
        err.to_string(),
        "the state store was written by a newer backstop (schema 42 > 4): upgrade backstop or \
         point agent.state elsewhere"
    );
}

fn contract_event() -> NewEvent {
    NewEvent {
        at: contract::t(0),
        venture: None,
        kind: "test".into(),
        severity: "info".into(),
        actor: "agent".into(),
        message: "m".into(),
        details: serde_json::json!({}),
    }
}

/// Opening twice applies nothing twice; a newer schema is refused; a missing directory and a
/// bad URL are clear errors that never echo a password.
#[tokio::test]
async fn sqlite_migrations_and_open_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(dir.path());
    for _ in 0..2 {
        let store = Store::open(&url).await.expect("open");
        assert_eq!(store.schema_version().await.expect("version"), 4);
    }
    let conn = rusqlite::Connection::open(dir.path().join("state.db")).expect("raw open");
    conn.execute("INSERT INTO schema_migrations VALUES (7, 0)", [])
        .expect("bump");
    drop(conn);
    let err = Store::open(&url).await.expect_err("newer");
    assert!(
        matches!(err, StoreError::NewerSchema { found: 7, known: 4 }),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("upgrade backstop or point agent.state elsewhere"));
    assert_eq!(err.kind(), ErrorKind::Store);

    let missing = dir.path().join("no/such/dir/state.db");
    let err = Store::open(&Secret::new(format!("sqlite:{}", missing.display())))
        .await
        .expect_err("missing dir");
    assert!(
        err.to_string().contains("does not exist: create it"),
        "{err}"
    );

    for url in ["mysql://u:s3cr3t-pw@h/db", "sqlite:"] {
        let err = Store::open(&Secret::new(url)).await.expect_err("bad url");
        assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err}");
        assert!(!err.to_string().contains("s3cr3t-pw"), "{err}");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("postgres://backstop:s3cr3t-pw@127.0.0.1:{port}/db?sslmode=disable");
    let err = Store::open(&Secret::new(url.clone()))
        .await
        .expect_err("closed port");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("s3cr3t-pw") && !text.contains(&url),
        "{text}"
    );
    assert!(text.contains("the PostgreSQL state store"), "{text}");
}

/// A version-1 store (before `recoveries.rto_seconds`, failover holders and the retention
/// override) is upgraded in place on open; its recoveries read back without an RTO, its
/// failovers and steps without a holder, its objective overrides without a retention policy.
#[tokio::test]
async fn sqlite_upgrade_adds_the_recovery_rto() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = sqlite_url(dir.path());
    drop(Store::open(&url).await.expect("open"));
    let conn = rusqlite::Connection::open(dir.path().join("state.db")).expect("raw open");
    conn.execute_batch(
        "ALTER TABLE recoveries DROP COLUMN rto_seconds;
         ALTER TABLE failovers DROP COLUMN holder;
         ALTER TABLE failover_steps DROP COLUMN holder;
         ALTER TABLE objective_overrides DROP COLUMN retention;
         DELETE FROM schema_migrations WHERE version IN (2, 3, 4);
         INSERT INTO objective_overrides (venture, rpo_seconds, set_by, set_at)
         VALUES ('old', 60, 'api:admin', 1767225600000000);
         INSERT INTO failovers (venture, epoch, from_endpoint, to_endpoint, planned, state,
                                started_at, updated_at)
         VALUES ('old', 1, 'pg1', 'pg2', 0, 'fenced', 1767225600000000, 1767225600000000);
         INSERT INTO failover_steps (failover_id, at, state, detail)
         VALUES (last_insert_rowid(), 1767225600000000, 'started', 'v1');
         INSERT INTO recoveries (venture, requested_at, target_time, method, executed, outcome,
                                 detail)
         VALUES ('old', 1767225600000000, 1767222000000000, 'pgbackrest', 0, 'planned', 'v1');",
    )
    .expect("back to version 1");
    drop(conn);
    let store = Store::open(&url).await.expect("upgrade");
    assert_eq!(store.schema_version().await.expect("version"), 4);
    let kept = store.overrides().await.expect("overrides");
    assert_eq!(
        (kept.len(), kept[0].rpo_seconds, kept[0].retention),
        (1, Some(60), None)
    );
    let policy = backstop::config::RetentionPolicy {
        last: 2,
        ..Default::default()
    };
    store
        .set_override(&ObjectiveOverride {
            retention: Some(policy),
            ..kept[0].clone()
        })
        .await
        .expect("retention on the upgraded store");
    assert_eq!(
        store.overrides().await.expect("overrides")[0].retention,
        Some(policy)
    );
    let old = store
        .in_flight_failover("old")
        .await
        .expect("read")
        .expect("in flight");
    assert_eq!((old.holder.as_deref(), old.steps.len()), (None, 1));
    assert_eq!(old.steps[0].holder, None);
    // A holder-less failover is acted on only after an agent took it over.
    let err = store
        .advance_failover(old.id, old.epoch, "host:1:a:0", "promoting", "x")
        .await
        .expect_err("no holder");
    assert!(err.to_string().contains("no holder recorded"), "{err}");
    store
        .take_over_failover(
            old.id,
            old.epoch,
            "host:1:a:0",
            std::time::Duration::ZERO,
            "t",
        )
        .await
        .expect("take over");
    let rows = store
        .recoveries("old", contract::t(-10), contract::t(10))
        .await
        .expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].detail.as_str(), rows[0].rto_seconds), ("v1", None));
}

/// A full SQLite store (max_page_count) refuses the write with `Full`; earlier records stay
/// readable and intact.
#[tokio::test]
async fn sqlite_full_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = StoreOptions {
        sqlite_max_page_count: Some(64),
        ..Default::default()
    };
    let store = Store::open_with(&sqlite_url(dir.path()), &opts)
        .await
        .expect("open");
    let mut written = Vec::new();
    let err = loop {
        let e = NewEvent {
            message: "x".repeat(3000),
            ..contract_event()
        };
        match store.append_event(&e).await {
            Ok(id) => written.push(id),
            Err(err) => break err,
        }
        assert!(written.len() < 1000, "the page limit never hit");
    };
    assert!(matches!(err, StoreError::Full { .. }), "{err}");
    let path = dir.path().join("state.db");
    assert_eq!(
        err.to_string(),
        format!(
            "the state store at {} is full: free disk space (or raise its quota) — no record was written",
            path.display()
        )
    );
    assert!(!written.is_empty());
    let events = store
        .events(&Default::default())
        .await
        .expect("still reads");
    let mut ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    ids.reverse();
    assert_eq!(ids, written);
    assert!(events.iter().all(|e| e.event.message.len() == 3000));
}

/// A write lock held by another process past the busy timeout is a clear `Busy` error, and
/// the store works again once the lock is gone.
#[tokio::test]
async fn sqlite_busy_is_clear() {
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = StoreOptions {
        busy_timeout: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let store = Store::open_with(&sqlite_url(dir.path()), &opts)
        .await
        .expect("open");
    let other = rusqlite::Connection::open(dir.path().join("state.db")).expect("raw open");
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let err = store
        .append_event(&contract_event())
        .await
        .expect_err("busy");
    assert!(matches!(err, StoreError::Busy { .. }), "{err}");
    assert!(
        err.to_string().contains("locked by another process"),
        "{err}"
    );
    other.execute_batch("ROLLBACK").expect("release");
    store
        .append_event(&contract_event())
        .await
        .expect("works again");
}
