//! A real pgBackRest 2.45 stanza: what the agent publishes equals `pgbackrest info`, a failed
//! backup shows up from the backup log, and `repo-ls` gives the WAL and the repository size.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backstop::config;
use backstop::state::{BackupType, SharedState, SourceState};
use chrono::Utc;

use crate::harness::http::{get, sample};
use crate::harness::pgbackrest::{stanza, text};
use crate::harness::{self, wait_until};

fn source(state: &SharedState) -> SourceState {
    state.load().ventures[0]
        .source
        .clone()
        .expect("the venture has a source")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_and_metrics_match_pgbackrest_info() {
    harness::init_logs();
    let root = harness::root();
    let st = stanza(root.path(), "acme").await;
    for kind in ["full", "diff", "incr"] {
        st.backup(kind).await;
    }
    // A backup that fails at once: no primary on port 1.
    let before_failure = Utc::now();
    let out = st.run(&["backup", "--type=full", "--pg1-port=1"]);
    assert!(
        !out.status.success(),
        "the backup must fail: {}",
        text(&out)
    );
    let after_failure = Utc::now();

    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n{}",
        root.path().join("state.db").display(),
        st.venture_toml("acme", "500ms", "500ms")
    );
    let env: HashMap<String, String> = HashMap::new();
    let cfg =
        config::load_str(&toml, "pgbr.toml", &|k: &str| env.get(k).cloned()).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    wait_until(&agent.state, Duration::from_secs(20), "first polls", |s| {
        let src = source(s);
        src.last_poll.is_some() && src.archive.is_some() && src.failed_runs.is_some()
    })
    .await;
    let src = source(&agent.state);
    assert_eq!(src.up, Some(true));
    assert_eq!(src.stanza_status, Some((0, "ok".to_owned())));

    // Backups: equal to what pgbackrest info says, read independently here.
    let info = st.info();
    let listed = info[0]["backup"].as_array().expect("backup list");
    assert_eq!(listed.len(), 3);
    assert_eq!(src.backups.len(), 3);
    for (want, got) in listed.iter().zip(&src.backups) {
        assert_eq!(got.label, want["label"].as_str().expect("label"));
        assert_eq!(got.kind.as_str(), want["type"].as_str().expect("type"));
        assert_eq!(
            Some(got.start.timestamp()),
            want["timestamp"]["start"].as_i64()
        );
        assert_eq!(
            Some(got.stop.timestamp()),
            want["timestamp"]["stop"].as_i64()
        );
        assert_eq!(Some(got.database_size), want["info"]["size"].as_u64());
        assert_eq!(Some(got.delta), want["info"]["delta"].as_u64());
        assert_eq!(got.repo_size, want["info"]["repository"]["size"].as_u64());
        assert_eq!(got.repo_delta, want["info"]["repository"]["delta"].as_u64());
        assert_eq!(got.prior.as_deref(), want["prior"].as_str());
        assert_eq!(
            got.archive_start.as_deref(),
            want["archive"]["start"].as_str()
        );
        assert_eq!(
            got.archive_stop.as_deref(),
            want["archive"]["stop"].as_str()
        );
        assert_eq!(got.status.as_str(), "completed");
    }
    assert_eq!(
        src.backups[2].references.len(),
        2,
        "incr references full and diff"
    );

    // The failed run, from the backup log.
    assert_eq!(src.failed_runs, Some(1));
    let failure = &src.failures[0];
    assert_eq!(failure.code, Some(56), "{failure:?}");
    assert!(
        failure.at >= before_failure - chrono::TimeDelta::seconds(1)
            && failure.at <= after_failure + chrono::TimeDelta::seconds(1),
        "failure time {} outside [{before_failure}, {after_failure}]",
        failure.at
    );

    // The WAL archive: every segment the backups need is listed.
    let listing = src.archive.clone().expect("listing");
    assert!(listing.wal_bytes > 0);
    let names: Vec<&str> = listing.files.iter().map(|f| f.name.as_str()).collect();
    for b in &src.backups {
        for seg in [&b.archive_start, &b.archive_stop] {
            let seg = seg.as_deref().expect("archive start/stop");
            assert!(names.contains(&seg), "{seg} not in {names:?}");
        }
    }
    assert!(names.iter().any(|n| n.ends_with(".backup")), "{names:?}");
    assert_eq!(
        listing.wal_bytes,
        listing.files.iter().map(|f| f.size).sum::<u64>()
    );

    // /metrics says the same.
    let body = get(agent.addr, "/metrics", &[]).await.body;
    let l = [("venture", "acme"), ("source", "pgbackrest")];
    let v = |name: &str, extra: &[(&str, &str)]| {
        let labels: Vec<(&str, &str)> = l.iter().chain(extra).copied().collect();
        sample(&body, name, &labels)
    };
    assert_eq!(v("backstop_source_up", &[]), Some(1.0));
    for kind in [BackupType::Full, BackupType::Diff, BackupType::Incr] {
        let b = src.backups.iter().find(|b| b.kind == kind).expect("backup");
        assert_eq!(
            v(
                "backstop_backup_last_success_timestamp_seconds",
                &[("type", kind.as_str())]
            ),
            Some(b.stop.timestamp() as f64),
            "{kind:?}"
        );
    }
    let newest = src.newest_usable(None).expect("newest");
    assert_eq!(newest.kind, BackupType::Incr);
    assert_eq!(
        v("backstop_backup_last_size_bytes", &[]),
        Some(newest.database_size as f64)
    );
    let repo: u64 =
        src.backups.iter().filter_map(|b| b.repo_delta).sum::<u64>() + listing.wal_bytes;
    let got_repo = v("backstop_backup_repository_size_bytes", &[]).expect("repository size");
    // The listing may have grown between the snapshot above and the scrape.
    assert!(got_repo >= repo as f64, "{got_repo} < {repo}");
    assert_eq!(v("backstop_backups", &[("status", "completed")]), Some(3.0));
    assert_eq!(
        v("backstop_backups", &[("status", "checksum_error")]),
        Some(0.0)
    );
    assert_eq!(v("backstop_backups", &[("status", "failed")]), Some(1.0));
    let failed_at = v("backstop_backup_last_failure_timestamp_seconds", &[]).expect("failure");
    assert!((failed_at - failure.at.timestamp_millis() as f64 / 1000.0).abs() < 0.001);

    // A fourth backup appears on the next poll.
    let started = Instant::now();
    st.backup("incr").await;
    wait_until(
        &agent.state,
        Duration::from_secs(10),
        "fourth backup",
        |s| source(s).backups.len() == 4,
    )
    .await;
    eprintln!("incr backup + poll: {:?}", started.elapsed());
    agent.shutdown().await.expect("shutdown");
}
