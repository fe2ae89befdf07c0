//! SIGKILL of the agent process (`backstop run`) in the middle of a drill it started through
//! the API, while `pgbackrest restore` runs — what `drill::kill` (the `backstop drill` command
//! killed) and `ha::failover` / `ha::takeover` (killed mid-failover) do not cover. The restore
//! outlives the agent (its own process group); the next start kills it, finishes the record as
//! `aborted` and removes the scratch directory, and the next drill adds exactly one record:
//! two in all, none running.

use std::time::{Duration, Instant};

use super::agent_process::{drills, post_drill, until_finished, World};
use super::pgbackrest_hang::{live, set};
use super::value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_drill_leaves_one_aborted_record_and_nothing_running() {
    let w = World::new();
    let mut first = w.spawn().await;
    let store = w.store().await;
    set(&w.fake_dir(), "restore", "hang");
    let (status, body) = post_drill(w.scraper().addr).await;
    assert_eq!(status, 202, "{body}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let restoring = loop {
        let procs = live(&w.script);
        if !procs.is_empty() && !w.drill_dirs().is_empty() {
            break procs;
        }
        assert!(
            Instant::now() < deadline,
            "the restore never started:\n{}",
            first.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let running = store.running_drills().await.expect("store");
    assert_eq!(running.len(), 1, "{running:?}");

    first.sigkill();
    // The restore runs in its own process group (so that a timeout kills all of it): it
    // outlives the agent, still writing into the drill's directory.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !live(&w.script).is_empty(),
        "the restore {restoring:?} did not outlive the killed agent"
    );
    assert_eq!(drills(&store).await.len(), 1);
    assert_eq!(
        w.drill_dirs().len(),
        1,
        "the directory stays until the next start"
    );

    // The next start cleans up: the same record, aborted; no directory.
    set(&w.fake_dir(), "restore", "fail");
    let second = w.spawn().await;
    let aborted = until_finished(&store, 1, || second.log()).await;
    assert_eq!(aborted[0].id, running[0].id);
    assert_eq!(aborted[0].outcome, "aborted", "{aborted:#?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !w.drill_dirs().is_empty() || !live(&w.script).is_empty() {
        assert!(
            Instant::now() < deadline,
            "left: {:?}, still running: {:?}",
            w.drill_dirs(),
            live(&w.script)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // One more drill: exactly one more record.
    let (status, body) = post_drill(w.scraper().addr).await;
    assert_eq!(status, 202, "{body}");
    let all = until_finished(&store, 2, || second.log()).await;
    assert_eq!(all[0], aborted[0], "the aborted record is untouched");
    assert_eq!(all[1].outcome, "failed");
    assert!(store.running_drills().await.expect("store").is_empty());
    let body = w.scraper().scrape().await;
    for (outcome, n) in [("aborted", 1.0), ("failed", 1.0), ("passed", 0.0)] {
        assert_eq!(
            value(
                &body,
                "backstop_drill_runs_total",
                "acme",
                &[("outcome", outcome)]
            ),
            Some(n),
            "{outcome}: {}",
            super::lines_of(&body, "acme")
        );
    }
    drop(second);
    assert!(w.drill_dirs().is_empty());
}
