//! A damaged backup set (a data file truncated in the repository) fails the drill with a readable
//! cause, a notification and exit 2; the failure, its failed step and a log excerpt are in the store; no scratch
//! cluster is left.

use super::setup;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_backup_fails_the_drill_with_a_readable_cause() {
    let mut s = setup("60s", false, "").await;
    s.st.backup("full").await;
    let file: String =
        s.st.cluster
            .client()
            .await
            .expect("connect")
            .query_one("SELECT pg_relation_filepath('t_full')", &[])
            .await
            .expect("relation path")
            .get(0);
    s.st.cluster.stop().await.expect("stop the source");
    let label = s.st.info()[0]["backup"][0]["label"]
        .as_str()
        .expect("label")
        .to_owned();
    let damaged = s
        .root
        .path()
        .join("pgbr-acme/repo/backup/acme")
        .join(&label)
        .join("pg_data")
        .join(&file);
    let len = std::fs::metadata(&damaged)
        .unwrap_or_else(|e| panic!("{}: {e}", damaged.display()))
        .len();
    assert!(len > 0);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&damaged)
        .and_then(|f| f.set_len(len / 2))
        .expect("truncate");

    // No retries of the failing file (pgBackRest's default waits 15 s before its second try).
    let conf = std::fs::read_to_string(&s.st.conf).expect("conf");
    std::fs::write(
        &s.st.conf,
        conf.replace("[global]\n", "[global]\njob-retry=0\n"),
    )
    .expect("conf");

    // `backstop drill` notifies the failure (a webhook fake standing in for any receiver).
    let hook = crate::harness::fake_http::FakeHttp::start(204, "").await;
    let url_file = s.root.path().join("hook-url");
    std::fs::write(&url_file, format!("http://{}/hook", hook.addr)).expect("url file");
    let mut toml = std::fs::read_to_string(&s.config).expect("config");
    toml.push_str(&format!(
        "\n[[notify]]\nkind = \"webhook\"\nurl_file = \"{}\"\nmin_severity = \"info\"\n",
        url_file.display()
    ));
    std::fs::write(&s.config, toml).expect("config");

    let (code, json, err) = s.drill(&[]);
    assert_eq!(code, Some(2), "{json:#}\n{err}");
    let sent: Vec<serde_json::Value> = hook.requests().iter().map(|r| r.json()).collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        (&sent[0]["event"], &sent[0]["action"], &sent[0]["severity"]),
        (&"drill".into(), &"trigger".into(), &"critical".into())
    );
    assert_eq!(
        sent[0]["details"]["failed_step"], "restore",
        "{:#}",
        sent[0]
    );
    assert_eq!(json["outcome"], "failed", "{json:#}");
    let reason = json["reason"].as_str().expect("reason");
    eprintln!("corrupted backup: {reason}");
    assert!(
        reason.starts_with("restore failed: pgbackrest restore exited"),
        "{reason}"
    );
    assert!(
        reason.contains("does not match expected checksum"),
        "{reason}"
    );
    assert!(!reason.contains("remove it before retrying"), "{reason}");
    assert!(json["rto_seconds"].is_null() && json["rpo_seconds"].is_null());
    let failed: Vec<_> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["ok"] == false)
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(failed, ["restore"], "{json:#}");
    assert!(err.contains("drill failed"), "{err}");
    assert!(s.leftover_dirs().is_empty(), "{:?}", s.leftover_dirs());
    let last = s
        .store()
        .await
        .last_drill("acme")
        .await
        .expect("store")
        .expect("drill");
    assert_eq!(last.outcome, "failed");
    assert_eq!(last.reason.as_deref(), Some(reason));
    assert!(last.log_excerpt.is_some_and(|l| !l.is_empty()));
}
