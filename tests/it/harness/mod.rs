//! Shared helpers: a 0755 temp root, fast scratch clusters, a Snapshot with endpoints, polling.

pub mod fake_http;
pub mod haproxy;
pub mod http;
pub mod pgbackrest;
pub mod replica;
pub mod supabase_api;
pub mod tcp_proxy;

use std::path::Path;
use std::time::{Duration, Instant};

use backstop::postgres::{poll_once, EndpointTarget, ScratchCluster, ScratchOptions};
use backstop::state::{EndpointState, Role, SharedState, Snapshot, VentureState};

/// WAL segment size of test clusters (small, so archiving is quick).
pub const SEG: u64 = 1 << 20;

/// A temporary root directory the `postgres` user can traverse (0755).
pub fn root() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("backstop-it-")
        .tempdir()
        .expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// Settings that keep test clusters small and fast.
pub fn fast_settings(extra: &[(&str, &str)]) -> ScratchOptions {
    let settings: Vec<(String, String)> = [
        ("shared_buffers", "16MB"),
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("max_wal_size", "32MB"),
        ("min_wal_size", "4MB"),
        ("checkpoint_timeout", "30min"),
        ("max_connections", "20"),
        ("wal_sender_timeout", "5s"),
        ("wal_receiver_status_interval", "1s"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    ScratchOptions {
        settings,
        wal_segment_size_mb: Some((SEG >> 20) as u32),
    }
}

/// Creates and starts a cluster; panics with the error (which names the install command when
/// PostgreSQL is missing).
pub async fn started(root: &Path, name: &str, extra: &[(&str, &str)]) -> ScratchCluster {
    let mut cluster = ScratchCluster::create(root, name, &fast_settings(extra))
        .await
        .unwrap_or_else(|e| panic!("creating cluster {name}: {e}"));
    cluster
        .start()
        .await
        .unwrap_or_else(|e| panic!("starting cluster {name}: {e}"));
    cluster
}

/// Starts a cluster archiving WAL into `<root>/archive` (created, owned by the server user)
/// with `archive_command` copying each segment there once and the given `archive_timeout`
/// (seconds); returns the cluster and the archive directory.
pub async fn archiving(
    root: &Path,
    name: &str,
    archive_timeout: &str,
) -> (ScratchCluster, std::path::PathBuf) {
    let archive = root.join("archive");
    backstop::postgres::scratch::make_server_dir(&archive).expect("archive dir");
    let dir = archive.display();
    let command = format!("test ! -f {dir}/%f && cp %p {dir}/%f");
    let cluster = started(
        root,
        name,
        &[
            ("archive_mode", "on"),
            ("archive_timeout", archive_timeout),
            ("archive_command", &command),
        ],
    )
    .await;
    (cluster, archive)
}

/// A shared state holding one venture with these endpoints.
pub fn state(venture: &str, endpoints: &[(&str, Role)]) -> SharedState {
    SharedState::new(Snapshot {
        ventures: backstop::state::shared(vec![VentureState {
            name: venture.to_owned(),
            endpoints: endpoints
                .iter()
                .map(|(name, role)| EndpointState {
                    name: name.to_string(),
                    configured_role: *role,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }]),
        ..Default::default()
    })
}

/// A target with short intervals and timeouts.
pub fn target(venture: &str, endpoint: &str, cluster: &ScratchCluster) -> EndpointTarget {
    EndpointTarget {
        venture: venture.to_owned(),
        endpoint: endpoint.to_owned(),
        dsn: cluster.dsn(),
        poll_interval: Duration::from_millis(200),
        size_interval: Duration::from_secs(60),
        connect_timeout: Duration::from_secs(2),
        statement_timeout: Duration::from_secs(5),
    }
}

/// The endpoint as the snapshot holds it now.
pub fn endpoint(state: &SharedState, venture: &str, endpoint: &str) -> EndpointState {
    state
        .load()
        .venture(venture)
        .and_then(|v| v.endpoint(endpoint))
        .cloned()
        .expect("endpoint in snapshot")
}

/// Polls `target` once every 100 ms until `done` holds for its endpoint, or panics after `limit`.
pub async fn poll_until(
    target: &EndpointTarget,
    state: &SharedState,
    limit: Duration,
    what: &str,
    done: impl Fn(&EndpointState) -> bool,
) -> EndpointState {
    let start = Instant::now();
    loop {
        let result = poll_once(target, state).await;
        let ep = endpoint(state, &target.venture, &target.endpoint);
        if done(&ep) {
            return ep;
        }
        assert!(
            start.elapsed() < limit,
            "{what}: not reached within {limit:?}; last poll {result:?}; endpoint {ep:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (without polling) until `done` holds on the snapshot, or panics after `limit`.
pub async fn wait_until(
    state: &SharedState,
    limit: Duration,
    what: &str,
    done: impl Fn(&SharedState) -> bool,
) {
    let start = Instant::now();
    while !done(state) {
        assert!(
            start.elapsed() < limit,
            "{what}: not reached within {limit:?}: {:#?}",
            state.load()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Routes `tracing` output to the test's captured output (shown for failing tests).
pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("backstop=info")
        .with_test_writer()
        .try_init();
}
