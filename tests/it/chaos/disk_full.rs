//! The state store's disk filling up under a running agent process (`backstop run`), simulated
//! as DESIGN.md §12 asks without a mount: `prlimit --pid … --fsize=0` makes every write of the
//! agent to a regular file fail with EFBIG, as a full disk would, and lifting it is the space
//! coming back. While full, a drill asked through the API is refused with nothing recorded,
//! the log names the store and what to do, `backstop_errors_total{kind="store"}` counts it,
//! and the agent stays up with `/metrics` within budget. Afterwards drills are recorded again:
//! exactly one record per accepted drill, none lost, none duplicated, none left running.

use std::time::{Duration, Instant};

use super::agent_process::{drills, post_drill, until_finished, World};
use super::{errors, value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_is_reported_and_nothing_is_lost_or_doubled() {
    let w = World::new();
    let mut agent = w.spawn().await;
    let s = w.scraper();
    let store = w.store().await;

    // Space: a drill is recorded (it fails: the fake refuses to restore).
    let (status, body) = post_drill(s.addr).await;
    assert_eq!(status, 202, "{body}");
    let before = until_finished(&store, 1, || agent.log()).await;
    assert_eq!(errors(&s.scrape().await, "acme", "store"), 0.0);

    // The disk fills up.
    agent.file_size_limit("0");
    for n in 1..=2 {
        let (status, body) = post_drill(s.addr).await;
        assert_eq!(status, 500, "drill {n} on a full store: {body}");
        assert!(
            !body.contains("state.db"),
            "no detail in the answer: {body}"
        );
        let b = s.scrape().await;
        assert_eq!(errors(&b, "acme", "store"), f64::from(n), "{}", agent.log());
        agent.assert_running();
        s.alive().await;
    }
    let log = agent.log();
    let says = format!(
        "the state store at {}: recording a drill start could not be written to disk",
        w.state().display()
    );
    assert!(
        log.contains(&says) && log.contains("free space or lift the limit"),
        "the log names the store and what to do:\n{log}"
    );
    // Polls and scrapes go on while full.
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        s.scrape().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    agent.assert_running();
    assert_eq!(drills(&store).await, before, "nothing recorded while full");

    // Space returns: recorded again, once.
    agent.file_size_limit("unlimited");
    let (status, body) = post_drill(s.addr).await;
    assert_eq!(status, 202, "after space returned: {body}\n{}", agent.log());
    let after = until_finished(&store, 2, || agent.log()).await;
    assert_eq!(after[..1], before[..], "the earlier record is intact");
    assert_ne!(after[1].id, before[0].id);
    assert!(after.iter().all(|d| d.outcome == "failed"), "{after:#?}");
    let end = s.scrape().await;
    assert_eq!(
        errors(&end, "acme", "store"),
        2.0,
        "no store error after recovery"
    );
    assert_eq!(
        value(
            &end,
            "backstop_drill_runs_total",
            "acme",
            &[("outcome", "failed")]
        ),
        Some(2.0),
        "{}",
        super::lines_of(&end, "acme")
    );
    agent.assert_running();
    drop(agent);
    assert_eq!(
        drills(&store).await.len(),
        2,
        "durable after the process is gone"
    );
    assert!(w.drill_dirs().is_empty(), "{:?}", w.drill_dirs());
}
