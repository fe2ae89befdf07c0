//! `backstop report` over real drills: one passes, the next fails on a false assertion; the
//! JSON, HTML and Markdown reports hold both with their outcomes and RTO, name the phase that
//! dominates RTO, and say what followed the failure.

use super::setup;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_holds_a_passed_and_a_failed_drill() {
    let s = setup(
        "60s",
        false,
        "  assertions = [\"SELECT count(*) = 1000 FROM t_full\"]",
    )
    .await;
    s.st.backup("full").await;
    // A commit after the backup, archived: without the heartbeat, RPO is measured from it.
    s.st.cluster
        .exec("CREATE TABLE after_backup (id int); INSERT INTO after_backup VALUES (1)")
        .await
        .expect("write");
    s.st.archive_now().await;
    let (code, passed, err) = s.drill(&[]);
    assert_eq!(code, Some(0), "{passed:#}\n{err}");
    assert_eq!(passed["outcome"], "passed");
    let rto = passed["rto_seconds"].as_f64().expect("rto");

    // The same drill with an assertion that is false fails.
    let toml = std::fs::read_to_string(&s.config).expect("config");
    std::fs::write(
        &s.config,
        toml.replace("= 1000 FROM t_full", "= 999 FROM t_full"),
    )
    .expect("config");
    let (code, failed, err) = s.drill(&[]);
    assert_eq!(code, Some(2), "{failed:#}\n{err}");
    assert_eq!(failed["outcome"], "failed", "{failed:#}");

    let out = s.backstop(&[
        "report",
        "--venture",
        "acme",
        "--format",
        "json",
        "--since=-1d",
    ]);
    assert!(out.status.success(), "{}", super::stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report JSON");
    let drills = report["drills"].as_array().expect("drills");
    assert_eq!(drills.len(), 2, "{report:#}");
    assert_eq!(drills[0]["id"], passed["id"]);
    assert_eq!(drills[0]["outcome"], "passed");
    assert_eq!(drills[0]["rto_seconds"].as_f64(), Some(rto));
    assert_eq!(drills[0]["rto_met"], true);
    assert_eq!(drills[1]["outcome"], "failed");
    let reason = drills[1]["reason"].as_str().expect("reason");
    assert!(reason.contains("999"), "{reason}");
    assert_eq!(
        drills[1]["followed_by"]["next_drill_id"],
        serde_json::Value::Null
    );
    assert_eq!(report["summary"]["drills_passed"], 1);
    assert_eq!(report["summary"]["drills_failed"], 1);
    assert_eq!(report["summary"]["verdict"], "not met");
    // The dominant phase is the passed drill's longest phase before cleanup.
    let longest = passed["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["name"] != "cleanup")
        .max_by(|a, b| {
            a["seconds"]
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b["seconds"].as_f64().unwrap_or(0.0))
        })
        .and_then(|s| s["name"].as_str())
        .expect("a phase")
        .to_owned();
    assert_eq!(
        report["dominant_phase"]["phase"],
        longest.as_str(),
        "{report:#}"
    );
    assert!(
        report["coverage"]["newest_backup"]["label"].is_string(),
        "{report:#}"
    );
    let text = serde_json::to_string(&report).expect("text");
    assert!(
        !text.contains(s.st.cluster.dsn().expose()),
        "the DSN is in the report"
    );

    let page = s.root.path().join("report.html");
    let out = s.backstop(&[
        "report",
        "--venture",
        "acme",
        "--format",
        "html",
        "--since=-1d",
        "--output",
        page.to_str().expect("utf-8"),
    ]);
    assert!(out.status.success(), "{}", super::stderr(&out));
    let html = std::fs::read_to_string(&page).expect("html written");
    for needle in [
        format!("Drill {}", passed["id"]),
        format!("Drill {}", failed["id"]),
        "passed".to_owned(),
        "failed".to_owned(),
        backstop::report::words::secs(rto),
    ] {
        assert!(html.contains(&needle), "{needle} missing:\n{html}");
    }

    let out = s.backstop(&["report", "--venture", "acme", "--since=-1d"]);
    assert!(out.status.success(), "{}", super::stderr(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    eprintln!("{md}");
    assert!(
        md.contains(&format!("The {longest} phase dominates RTO")),
        "{md}"
    );
    assert!(md.contains("Trend of"), "{md}");

    let out = s.backstop(&["report", "--venture", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}
