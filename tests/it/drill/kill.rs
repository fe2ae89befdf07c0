//! SIGKILL of `backstop drill` during replay leaves a running scratch cluster and a `running`
//! record; the next agent start stops and removes the cluster and records the drill as aborted.

use std::time::{Duration, Instant};

use super::{processes_using, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_drill_is_cleaned_up_and_recorded_aborted_at_the_next_start() {
    let mut s = setup("60s", false, "").await;
    s.st.backup("full").await;
    // Enough WAL after the backup that replay (one archive-get per 1 MiB segment) takes a while.
    s.st.cluster
        .exec("CREATE TABLE big (n int, pad text); INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 150000) g")
        .await
        .expect("write");
    s.st.archive_now().await;
    s.st.cluster.stop().await.expect("stop the source");

    let mut child = s
        .command(&["drill", "--venture", "acme"])
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    let data = loop {
        let running = s
            .leftover_dirs()
            .into_iter()
            .map(|d| d.join("data"))
            .find(|d| d.join("postmaster.pid").exists());
        if let Some(d) = running {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "the drill never started its cluster"
        );
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the drill ended too early"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let store = s.store().await;
    let running = store.running_drills().await.expect("store");
    assert_eq!(running.len(), 1, "{running:?}");
    assert!(
        !processes_using(&data).is_empty(),
        "the orphaned postmaster still runs"
    );

    let agent = backstop::agent::start(&s.load())
        .await
        .expect("agent starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let aborted = store
            .last_drill("acme")
            .await
            .expect("store")
            .is_some_and(|d| d.outcome == "aborted");
        if aborted && s.leftover_dirs().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not cleaned up: {:?}",
            s.leftover_dirs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = store
        .last_drill("acme")
        .await
        .expect("store")
        .expect("drill");
    assert_eq!(last.id, running[0].id);
    assert!(last
        .reason
        .as_deref()
        .is_some_and(|r| r.contains("ended before the drill finished")));
    assert!(store.running_drills().await.expect("store").is_empty());
    assert!(
        processes_using(&data).is_empty(),
        "{:?}",
        processes_using(&data)
    );
    assert_eq!(
        agent.state.load().venture("acme").map(|v| v.drill.runs),
        Some([0, 0, 1])
    );
    agent.shutdown().await.expect("shutdown");
}
