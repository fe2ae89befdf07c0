//! A `latest` drill with the heartbeat running: it passes, RTO is plausible, RPO is within
//! archive_timeout + heartbeat interval + a margin, the counts match the source, nothing was
//! written to the repository, no scratch cluster is left; the next agent start loads the result
//! into the drill metrics.

use std::time::Duration;

use backstop::metrics::{Format, Metrics};

use super::{setup, step_names};

/// The repository's entries outside WAL of timeline 1 (which the running source keeps adding).
fn not_source_wal(listing: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    listing
        .as_object()
        .expect("repo-ls object")
        .iter()
        .filter(|(name, _)| {
            let file = name.rsplit('/').next().unwrap_or_default();
            !(name.starts_with("archive/acme/15-1/00000001") && file.starts_with("00000001"))
        })
        .map(|(name, v)| (name.clone(), v.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_latest_drill_with_the_heartbeat_passes_and_measures_rto_and_rpo() {
    let s = setup(
        "2s",
        true,
        "  tables = [\"public.orders\"]\n  assertions = [\"SELECT count(*) = 100 FROM orders\"]",
    )
    .await;
    s.st.backup("full").await;
    s.st.cluster
        .exec("CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, 'n' || g FROM generate_series(1, 100) g")
        .await
        .expect("orders");
    let agent = backstop::agent::start(&s.load())
        .await
        .expect("agent starts");
    // The heartbeat creates its table and writes every second.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let fresh = s
            .st
            .cluster
            .client()
            .await
            .expect("connect")
            .query_one(
                "SELECT coalesce((SELECT now() - at < interval '3 s' FROM backstop.heartbeat), false)",
                &[],
            )
            .await
            .map(|r| r.get::<_, bool>(0))
            .unwrap_or(false);
        if fresh {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no heartbeat written");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = s.repo_listing();

    let (code, json, err) = s.drill(&[]);
    assert_eq!(code, Some(0), "{json:#}\n{err}");
    assert_eq!(json["outcome"], "passed", "{json:#}");
    assert_eq!(json["target"], "latest");
    assert_eq!(
        step_names(&json),
        ["prepare", "restore", "replay", "validate", "cleanup"]
    );
    assert!(
        json["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["ok"] == true),
        "{json:#}"
    );
    let rto = json["rto_seconds"].as_f64().expect("rto");
    let rpo = json["rpo_seconds"].as_f64().expect("rpo");
    eprintln!(
        "measured: RTO {rto:.2}s, RPO {rpo:.2}s; steps {:#}",
        json["steps"]
    );
    assert!(rto > 0.0 && rto < 60.0, "RTO {rto}");
    // archive_timeout 2 s + heartbeat interval 1 s + margin (archive-push, polling) 3 s.
    assert!(rpo > 0.0 && rpo <= 6.0, "RPO {rpo}");
    assert_eq!(json["rpo_basis"], "heartbeat");
    let validate = json["steps"][3]["detail"].as_str().expect("detail");
    assert!(validate.contains("public.orders=100"), "{validate}");
    assert!(validate.contains("1 assertions held"), "{validate}");
    let prepare = json["steps"][0]["detail"].as_str().expect("detail");
    assert!(
        prepare.contains("source row counts at drill start: public.orders=100"),
        "{prepare}"
    );

    // Nothing but the source's own WAL was added: no new timeline, no history file, same backups.
    let after = s.repo_listing();
    assert_eq!(
        not_source_wal(&after),
        not_source_wal(&before),
        "the drill wrote to the repository"
    );
    for (name, v) in before.as_object().expect("object") {
        assert_eq!(after.get(name), Some(v), "{name} changed");
    }
    assert!(s.leftover_dirs().is_empty(), "{:?}", s.leftover_dirs());
    assert!(super::processes_using(&s.scratch).is_empty());

    let store = s.store().await;
    let last = store
        .last_drill("acme")
        .await
        .expect("store")
        .expect("a drill");
    assert_eq!(last.outcome, "passed");
    assert_eq!(last.steps.len(), 5);
    assert_eq!(last.rpo_seconds, Some(rpo));

    // The next agent start publishes the stored result.
    agent.shutdown().await.expect("shutdown");
    let agent = backstop::agent::start(&s.load())
        .await
        .expect("agent restarts");
    crate::harness::wait_until(
        &agent.state,
        Duration::from_secs(10),
        "drill loaded",
        |st| {
            st.load()
                .venture("acme")
                .is_some_and(|v| v.drill.last_outcome_ok == Some(true))
        },
    )
    .await;
    let text = Metrics::new(agent.state.clone())
        .encode(Format::PrometheusText)
        .expect("encode");
    assert!(
        text.contains("backstop_drill_last_outcome{venture=\"acme\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "backstop_drill_rpo_seconds{{venture=\"acme\"}} {rpo}"
        )),
        "{text}"
    );
    assert!(text.contains("backstop_drill_runs_total{venture=\"acme\",outcome=\"passed\"} 0"));
    agent.shutdown().await.expect("shutdown");
}
