//! The endpoint collector against real scratch clusters: archiving working and broken, an
//! endpoint going down while another keeps updating, and a streaming standby.

use std::time::Duration;

use backstop::error::ErrorKind;
use backstop::postgres::{poll_once, spawn_collectors, EndpointTarget, ScratchCluster};
use backstop::secret::Secret;
use backstop::state::Role;

use crate::harness::{self, endpoint, fast_settings, poll_until, started, wait_until, SEG};

const LIMIT: Duration = Duration::from_secs(20);

async fn write_and_switch(cluster: &ScratchCluster, table: &str) {
    cluster
        .exec(&format!(
            "CREATE TABLE IF NOT EXISTS {table} (id int, pad text);
             INSERT INTO {table} SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g;
             SELECT pg_switch_wal();"
        ))
        .await
        .expect("write and switch");
}

/// Archiving works: archived_count rises, last_archived_time moves, lag drops below a segment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_working() {
    let root = harness::root();
    let (pg, archive) = harness::archiving(root.path(), "pg1", "60").await;
    let state = harness::state("acme", &[("pg1", Role::Primary)]);
    let target = harness::target("acme", "pg1", &pg);

    poll_once(&target, &state).await.expect("first poll");
    let first = endpoint(&state, "acme", "pg1");
    let obs = first.observed.clone().expect("observed");
    assert_eq!(first.role, Role::Primary);
    assert_eq!(first.probe.up, Some(true));
    assert!(!obs.in_recovery);
    assert!(
        obs.server_version_num >= 150000,
        "{}",
        obs.server_version_num
    );
    assert_eq!((obs.wal_segment_size, obs.timeline), (SEG, 1));
    assert_eq!(
        (obs.archive_mode.as_str(), obs.archive_timeout_seconds),
        ("on", 60)
    );
    assert!(obs.current_lsn.is_some() && obs.replicas.is_empty() && obs.wal_receiver.is_none());
    assert!(first.database_size.is_some_and(|s| s.value > 1_000_000));
    assert!(obs.ready_files.is_some());
    let before = obs.archiver.clone().expect("archiver on a primary");

    write_and_switch(&pg, "t").await;
    let ep = poll_until(&target, &state, LIMIT, "archived_count rises", |ep| {
        let a = ep.observed.as_ref().and_then(|o| o.archiver.as_ref());
        a.is_some_and(|a| {
            a.archived_count > before.archived_count
                && a.last_archived_time > before.last_archived_time
        })
    })
    .await;
    let obs = ep.observed.expect("observed");
    let lag = obs
        .archive_lag_bytes
        .expect("lag known once a segment is archived");
    assert!(
        lag < SEG,
        "lag {lag} should be below one segment after pg_switch_wal()"
    );
    assert_eq!(obs.archiver.expect("archiver").failed_count, 0);
    assert!(std::fs::read_dir(&archive).expect("archive").count() > 0);
    assert_eq!(ep.last_error, None);
}

/// Archiving breaks: failed_count grows, the lag grows with writes + switches, .ready files pile up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_broken() {
    let root = harness::root();
    let (pg, _archive) = harness::archiving(root.path(), "pg1", "60").await;
    let state = harness::state("acme", &[("pg1", Role::Primary)]);
    let target = harness::target("acme", "pg1", &pg);

    // Archive one segment first, so that the lag is known, then break archiving.
    write_and_switch(&pg, "t").await;
    poll_until(&target, &state, LIMIT, "first segment archived", |ep| {
        ep.observed
            .as_ref()
            .and_then(|o| o.archive_lag_bytes)
            .is_some()
    })
    .await;
    pg.exec("ALTER SYSTEM SET archive_command = '/bin/false'")
        .await
        .expect("break archiving");
    pg.exec("SELECT pg_reload_conf()").await.expect("reload");
    tokio::time::sleep(Duration::from_millis(300)).await;

    write_and_switch(&pg, "t").await;
    let ep = poll_until(&target, &state, LIMIT, "failures counted", |ep| {
        let o = ep.observed.as_ref();
        o.and_then(|o| o.archiver.as_ref())
            .is_some_and(|a| a.failed_count > 0)
            && o.and_then(|o| o.ready_files).is_some_and(|n| n > 0)
    })
    .await;
    let obs = ep.observed.expect("observed");
    let lag1 = obs.archive_lag_bytes.expect("lag");
    assert!(
        lag1 >= SEG,
        "lag {lag1} should be at least one segment with archiving broken"
    );
    let failed1 = obs.archiver.as_ref().expect("archiver").failed_count;
    assert!(obs.archiver.expect("archiver").last_failed_wal.is_some());

    write_and_switch(&pg, "t").await;
    let ep = poll_until(&target, &state, LIMIT, "lag and failures grow", |ep| {
        let o = ep.observed.as_ref();
        o.and_then(|o| o.archive_lag_bytes)
            .is_some_and(|l| l > lag1)
            && o.and_then(|o| o.archiver.as_ref())
                .is_some_and(|a| a.failed_count > failed1)
    })
    .await;
    assert!(ep
        .observed
        .and_then(|o| o.ready_files)
        .is_some_and(|n| n >= 2));
    // The poll itself succeeds: broken archiving is an observation, not a poll error.
    assert_eq!(ep.last_error, None);
    assert_eq!(ep.probe.up, Some(true));
}

/// One endpoint dies and another hangs; the healthy one keeps updating on its own schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_down_and_hung_do_not_stall_others() {
    harness::init_logs();
    let root = harness::root();
    let (pg1, mut pg2) = tokio::join!(
        started(root.path(), "pg1", &[]),
        started(root.path(), "pg2", &[])
    );
    // Accepts TCP connections but never answers the startup message.
    let hung = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hung_port = hung.local_addr().expect("addr").port();
    let state = harness::state(
        "acme",
        &[
            ("pg1", Role::Primary),
            ("pg2", Role::Primary),
            ("hung", Role::Standby),
        ],
    );
    let mut hung_target: EndpointTarget = harness::target("acme", "hung", &pg1);
    hung_target.dsn = Secret::new(format!(
        "host=127.0.0.1 port={hung_port} user=postgres sslmode=disable"
    ));
    let targets = vec![
        harness::target("acme", "pg1", &pg1),
        harness::target("acme", "pg2", &pg2),
        hung_target,
    ];
    let (tx, rx) = tokio::sync::watch::channel(false);
    let handles = spawn_collectors(targets, state.clone(), rx);

    wait_until(&state, LIMIT, "both endpoints observed", |s| {
        ["pg1", "pg2"]
            .iter()
            .all(|n| endpoint(s, "acme", n).observed.is_some())
    })
    .await;
    pg2.kill().await.expect("kill pg2");
    let killed_at = chrono::Utc::now();
    wait_until(&state, LIMIT, "pg2 down", |s| {
        endpoint(s, "acme", "pg2").probe.up == Some(false)
    })
    .await;

    // pg1 keeps updating several times while pg2 is down and "hung" times out (2 s connect timeout).
    let pg1_before = endpoint(&state, "acme", "pg1").probe.duration.count;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pg1_ep = endpoint(&state, "acme", "pg1");
    assert!(
        pg1_ep.probe.duration.count >= pg1_before + 3,
        "pg1 stalled: {pg1_ep:#?}"
    );
    assert!(pg1_ep.observed.as_ref().is_some_and(|o| o.at > killed_at));
    assert_eq!(pg1_ep.probe.up, Some(true));

    let pg2_ep = endpoint(&state, "acme", "pg2");
    let kept = pg2_ep.observed.expect("last good observation kept");
    assert!(
        kept.at < killed_at,
        "observation must keep its old timestamp"
    );
    assert_eq!(pg2_ep.role, Role::Primary, "role stays the last known one");
    assert_eq!(pg2_ep.last_error, Some(ErrorKind::Connect));
    assert!(pg2_ep.probe.last_success.is_some_and(|t| t < killed_at));
    assert!(pg2_ep.probe.last_attempt.is_some_and(|t| t > killed_at));

    wait_until(&state, LIMIT, "hung endpoint times out", |s| {
        endpoint(s, "acme", "hung").last_error == Some(ErrorKind::Timeout)
    })
    .await;
    let hung_ep = endpoint(&state, "acme", "hung");
    assert_eq!(
        (hung_ep.probe.up, hung_ep.role, hung_ep.observed),
        (Some(false), Role::Unknown, None)
    );
    let errors = state
        .load()
        .venture("acme")
        .expect("venture")
        .errors
        .clone();
    assert!(
        errors.get(&ErrorKind::Connect).is_some_and(|n| *n > 0),
        "{errors:?}"
    );
    assert!(
        errors.get(&ErrorKind::Timeout).is_some_and(|n| *n > 0),
        "{errors:?}"
    );

    tx.send(true).expect("shutdown");
    for handle in handles {
        tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .expect("collector stops on shutdown")
            .expect("collector task");
    }
    drop(hung);
}

/// A standby cloned with pg_basebackup -R streams from the primary; roles and lag are combined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_standby() {
    let root = harness::root();
    let primary = started(root.path(), "pg1", &[]).await;
    let standby = ScratchCluster::standby_of(&primary, root.path(), "pg2", &fast_settings(&[]))
        .await
        .expect("standby");
    let state = harness::state("acme", &[("pg1", Role::Primary), ("pg2", Role::Standby)]);
    let (t1, t2) = (
        harness::target("acme", "pg1", &primary),
        harness::target("acme", "pg2", &standby),
    );

    primary
        .exec("CREATE TABLE t AS SELECT g FROM generate_series(1, 10000) g")
        .await
        .expect("write");
    poll_until(&t2, &state, LIMIT, "standby streaming", |ep| {
        let rx = ep.observed.as_ref().and_then(|o| o.wal_receiver.as_ref());
        rx.is_some_and(|r| r.status == "streaming" && r.last_msg_receipt_time.is_some())
    })
    .await;
    let p = poll_until(&t1, &state, LIMIT, "primary sees pg2", |ep| {
        let o = ep.observed.as_ref();
        o.is_some_and(|o| {
            o.replicas
                .iter()
                .any(|r| r.application_name == "pg2" && r.state == "streaming")
        })
    })
    .await;
    assert_eq!(p.role, Role::Primary);
    poll_once(&t2, &state).await.expect("standby poll");

    let s = endpoint(&state, "acme", "pg2");
    assert_eq!(s.role, Role::Standby);
    let obs = s.observed.expect("standby observed");
    assert!(obs.in_recovery);
    assert_eq!(obs.timeline, 1);
    assert!(
        obs.archiver.is_none(),
        "archiver is not meaningful on a standby without archive_mode=always"
    );
    assert!(obs.current_lsn.is_some());
    let rx = obs.wal_receiver.expect("wal receiver");
    assert_eq!(
        (rx.status.as_str(), rx.received_tli),
        ("streaming", Some(1))
    );
    assert!(rx.flushed_lsn.is_some());
    let lag = obs.replication_lag_bytes.expect("lag bytes present");
    assert!(lag < 64 * SEG, "lag {lag}");
    assert!(obs.replication_lag_seconds.is_none_or(|s| s >= 0.0));
    let p = endpoint(&state, "acme", "pg1")
        .observed
        .expect("primary observed");
    assert_eq!(
        (p.replication_lag_bytes, p.replication_lag_seconds),
        (None, None)
    );
}
