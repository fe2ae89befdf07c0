//! A drill `--to` a point between two batches restores exactly the first batch (an assertion
//! proves it), measures RPO against the heartbeat, and leaves the repository listing identical.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};

use super::setup;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_to_a_point_in_time_restores_exactly_the_rows_before_it() {
    let s = setup(
        "60s",
        true,
        "  tables = [\"rows\"]\n  assertions = [\"SELECT array_agg(DISTINCT batch) = ARRAY[1] AND count(*) = 100 FROM rows\"]",
    )
    .await;
    s.st.backup("full").await;
    let agent = backstop::agent::start(&s.load())
        .await
        .expect("agent starts");
    let db = &s.st.cluster;
    db.exec("CREATE TABLE rows (batch int, n int)")
        .await
        .expect("table");
    db.exec("INSERT INTO rows SELECT 1, generate_series(1, 100)")
        .await
        .expect("batch 1");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let target = Utc::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    db.exec("INSERT INTO rows SELECT 2, generate_series(1, 50)")
        .await
        .expect("batch 2");
    agent.shutdown().await.expect("agent stops");
    s.st.archive_now().await;
    // A quiet repository: only the drill could change it now.
    let mut s = s;
    s.st.cluster.stop().await.expect("stop the source");
    let before = s.repo_listing();

    let to = target.to_rfc3339_opts(SecondsFormat::Micros, true);
    let (code, json, err) = s.drill(&["--to", &to]);
    assert_eq!(code, Some(0), "{json:#}\n{err}");
    assert_eq!(json["outcome"], "passed", "{json:#}");
    assert_eq!(json["target"], "time");
    assert_eq!(
        json["target_time"]
            .as_str()
            .map(|t| chrono::DateTime::parse_from_rfc3339(t)
                .expect("time")
                .timestamp_micros()),
        Some(target.timestamp_micros())
    );
    let validate = json["steps"][3]["detail"].as_str().expect("detail");
    assert!(validate.contains("rows=100"), "{validate}");
    assert!(validate.contains("1 assertions held"), "{validate}");
    let rpo = json["rpo_seconds"].as_f64().expect("rpo");
    eprintln!(
        "--to drill: RTO {:.2}s, RPO {rpo:.2}s",
        json["rto_seconds"].as_f64().unwrap_or_default()
    );
    // The heartbeat writes every second: the newest one before the target is at most ~1 s old.
    assert!(rpo > 0.0 && rpo <= 2.0, "RPO {rpo}");
    assert_eq!(
        s.repo_listing(),
        before,
        "the repository listing is unchanged"
    );
    assert!(s.leftover_dirs().is_empty(), "{:?}", s.leftover_dirs());

    // A target after the window is refused (exit 1), nothing recorded.
    let (code, json, _) = s.drill(&["--to", "2999-01-01T00:00:00Z"]);
    assert_eq!(code, Some(1), "{json:#}");
    assert_eq!(json["outcome"], "refused");
    assert!(json["reason"]
        .as_str()
        .expect("reason")
        .contains("after the recovery window"));
    let drills = s
        .store()
        .await
        .drills("acme", chrono::DateTime::UNIX_EPOCH, Utc::now())
        .await
        .expect("drills");
    assert_eq!(drills.len(), 1, "{drills:?}");
}
