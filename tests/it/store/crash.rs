//! SIGKILL of a writer: every record whose commit had returned (the child printed its id) is
//! in the store afterwards, whole (a drill with all its steps, a failover finished).
//!
//! The child is this test binary re-executed on the ignored test `store::crash::sigkill_child`
//! with the store URL in `BACKSTOP_STORE_CHILD_URL`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backstop::secret::Secret;
use backstop::store::{EventFilter, NewEvent, Store};

use super::contract::{finish, t, HOLDER};
use crate::harness;

const URL_VAR: &str = "BACKSTOP_STORE_CHILD_URL";
const VENTURE: &str = "crash";

/// Writes records until killed (bounded: 60 s), printing `committed <kind> <id>` after each
/// commit returned.
#[tokio::test]
#[ignore = "child process of the SIGKILL tests"]
async fn sigkill_child() {
    let Ok(url) = std::env::var(URL_VAR) else {
        return;
    };
    let store = Store::open(&Secret::new(url)).await.expect("child open");
    let start = Instant::now();
    let mut i: i64 = 0;
    while start.elapsed() < Duration::from_secs(60) {
        i += 1;
        let e = NewEvent {
            at: t(i),
            venture: Some(VENTURE.into()),
            kind: "crash_test".into(),
            severity: "info".into(),
            actor: "agent".into(),
            message: format!("record {i}"),
            details: serde_json::json!({ "i": i }),
        };
        let id = store.append_event(&e).await.expect("event");
        println!("committed event {id}");
        let drill = store.start_drill(VENTURE, t(i), None).await.expect("start");
        store
            .finish_drill(drill, &finish(t(i + 1), "passed"))
            .await
            .expect("finish");
        println!("committed drill {drill}");
        if i % 5 == 0 {
            let f = store
                .begin_failover(VENTURE, "pg1", "pg2", false, HOLDER)
                .await
                .expect("begin");
            store
                .advance_failover(f.id, f.epoch, HOLDER, "promoted", "ok")
                .await
                .expect("advance");
            store
                .finish_failover(f.id, HOLDER, "completed")
                .await
                .expect("finish");
            println!("committed failover {}", f.id);
        }
    }
}

/// Spawns the child on `url`, SIGKILLs it after `lines` commits, returns what it printed.
fn run_and_kill(url: &Secret, lines: usize) -> Vec<(String, i64)> {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "store::crash::sigkill_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(URL_VAR, url.expose())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut committed = Vec::new();
    let mut line = String::new();
    let mut killed = false;
    while reader.read_line(&mut line).expect("read child") > 0 {
        if let Some(rest) = line.trim().strip_prefix("committed ") {
            let (kind, id) = rest.split_once(' ').expect("kind id");
            committed.push((kind.to_owned(), id.parse().expect("id")));
        }
        line.clear();
        if !killed && committed.len() >= lines {
            child.kill().expect("SIGKILL child");
            killed = true;
        }
    }
    let status = child.wait().expect("wait");
    assert!(
        killed,
        "the child stopped before {lines} commits: {status:?}"
    );
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL");
    committed
}

/// Checks every printed id against the store.
async fn verify(store: &Store, committed: &[(String, i64)]) {
    let events = store
        .events(&EventFilter {
            venture: Some(VENTURE.into()),
            ..Default::default()
        })
        .await
        .expect("events");
    let far = t(1_000_000);
    let drills = store.drills(VENTURE, t(-1), far).await.expect("drills");
    let failovers = store
        .failovers(
            VENTURE,
            chrono::Utc::now() - chrono::Duration::hours(1),
            chrono::Utc::now(),
        )
        .await
        .expect("failovers");
    for (kind, id) in committed {
        let found = match kind.as_str() {
            "event" => events.iter().any(|e| e.id == *id),
            "drill" => drills
                .iter()
                .any(|d| d.id == *id && d.outcome == "passed" && d.steps.len() == 4),
            "failover" => failovers.iter().any(|f| {
                f.id == *id && f.outcome.as_deref() == Some("completed") && f.steps.len() == 2
            }),
            other => panic!("unknown kind {other}"),
        };
        assert!(
            found,
            "committed {kind} {id} missing or incomplete after SIGKILL"
        );
    }
    // At most the one drill being written when the kill came is left running (crash cleanup).
    assert!(store.running_drills().await.expect("running").len() <= 1);
    assert!(drills
        .iter()
        .filter(|d| d.finished_at.is_some())
        .all(|d| d.steps.len() == 4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_survives_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = Secret::new(format!("sqlite:{}", dir.path().join("state.db").display()));
    drop(Store::open(&url).await.expect("create"));
    let committed = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_and_kill(&url, 150)
    })
    .await
    .expect("child");
    assert!(committed.len() >= 150);
    verify(
        &Store::open(&url).await.expect("reopen after kill"),
        &committed,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_sigkill() {
    let root = harness::root();
    let pg = harness::started(root.path(), "store-kill", &[]).await;
    let url = super::pg_url(&pg, "postgres");
    drop(Store::open(&url).await.expect("create"));
    let committed = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run_and_kill(&url, 150)
    })
    .await
    .expect("child");
    let store = Store::open(&url).await.expect("reopen after kill");
    verify(&store, &committed).await;
    // A failover the child had begun but not finished is resumable: still in flight, one only.
    if let Some(f) = store.in_flight_failover(VENTURE).await.expect("in flight") {
        store
            .finish_failover(f.id, HOLDER, "aborted")
            .await
            .expect("abort leftover");
    }
}
