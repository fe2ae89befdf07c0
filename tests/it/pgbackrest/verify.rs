//! `pgbackrest verify` on a real 2.45 stanza: a fresh stanza with a full backup passes (store
//! record, metrics outcome 1); a corrupted backup file and WAL file fail it (outcome 0, the last
//! success kept, the detail naming the file kinds and the backup); a restarted agent shows the
//! last verification from the store.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;

use backstop::config::{self, BackupsConfig, Config};
use backstop::sources::pgbackrest::Verifier;
use backstop::state::{SharedState, VerificationState};

use crate::harness::http::{get, sample};
use crate::harness::pgbackrest::stanza;
use crate::harness::{self, wait_until};

fn verification(state: &SharedState) -> Option<VerificationState> {
    state.load().ventures[0]
        .source
        .as_ref()
        .and_then(|s| s.verification.clone())
}

fn verifier(cfg: &Config, store: backstop::store::Store) -> Verifier {
    let Some(BackupsConfig::PgBackRest(b)) = cfg.ventures[0].backups.as_ref() else {
        panic!("a pgbackrest venture")
    };
    Verifier::new("acme", b, store).expect("verify_schedule parses")
}

async fn metric(addr: std::net::SocketAddr, name: &str) -> Option<f64> {
    let body = get(addr, "/metrics", &[]).await.body;
    sample(&body, name, &[("venture", "acme")])
}

/// Inverts the first byte at or after `offset` of `path` (same size: a checksum mismatch).
fn corrupt(path: &Path, offset: u64) {
    let len = std::fs::metadata(path).expect("stat").len();
    let at = offset.min(len.saturating_sub(1));
    let mut byte = [0u8; 1];
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    f.seek(SeekFrom::Start(at)).expect("seek");
    f.read_exact(&mut byte).expect("read");
    f.seek(SeekFrom::Start(at)).expect("seek");
    f.write_all(&[!byte[0]]).expect("write");
}

fn first_file(dir: &Path, matches: &dyn Fn(&str) -> bool) -> std::path::PathBuf {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .expect("read dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().and_then(|n| n.to_str()).is_some_and(matches) {
                return p;
            }
        }
    }
    panic!("no matching file under {}", dir.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_then_fails_on_corruption_and_survives_a_restart() {
    harness::init_logs();
    let root = harness::root();
    let st = stanza(root.path(), "acme").await;
    st.backup("full").await;
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n{}",
        root.path().join("state.db").display(),
        st.venture_toml("acme", "1h", "1h")
    );
    let env: HashMap<String, String> = HashMap::new();
    let cfg =
        config::load_str(&toml, "pgbr.toml", &|k: &str| env.get(k).cloned()).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    assert_eq!(verification(&agent.state), None, "nothing verified yet");
    assert_eq!(
        metric(agent.addr, "backstop_verification_last_outcome").await,
        None
    );

    // A fresh stanza with a full backup passes.
    let v = verifier(&cfg, agent.store.clone());
    let passed = v.verify_now(&agent.state).await;
    assert_eq!(passed.outcome, "passed", "{}", passed.detail);
    let stored = agent
        .store
        .last_verification("acme")
        .await
        .expect("store")
        .expect("recorded");
    assert_eq!(stored.outcome, "passed");
    let state = verification(&agent.state).expect("published");
    assert!(state.last_outcome_ok);
    assert_eq!(state.last_success, Some(passed.finished_at));
    assert_eq!(
        metric(agent.addr, "backstop_verification_last_outcome").await,
        Some(1.0)
    );
    let last_success = metric(
        agent.addr,
        "backstop_verification_last_success_timestamp_seconds",
    )
    .await
    .expect("last success");

    // Corrupt a backup file and an archived WAL file (as root; the repository belongs to postgres).
    let repo = st.conf.parent().expect("stanza dir").join("repo");
    corrupt(&first_file(&repo.join("backup"), &|n| n == "PG_VERSION"), 0);
    corrupt(
        &first_file(&repo.join("archive"), &|n| {
            n.len() > 24 && n[..24].bytes().all(|b| b.is_ascii_hexdigit()) && !n.contains(".backup")
        }),
        4096,
    );
    let failed = v.verify_now(&agent.state).await;
    assert_eq!(failed.outcome, "failed");
    let state = verification(&agent.state).expect("published");
    assert!(!state.last_outcome_ok);
    assert_eq!(
        state.last_success,
        Some(passed.finished_at),
        "last success kept"
    );
    assert_eq!(state.checksum_invalid, 2, "{}", state.detail);
    assert_eq!(state.invalid_backups.len(), 1, "{}", state.detail);
    let label = &state.invalid_backups[0];
    assert!(
        state.detail.contains("WAL archive") && state.detail.contains("1 checksum invalid"),
        "{}",
        state.detail
    );
    assert!(
        state.detail.contains(&format!("backup {label} invalid")),
        "{}",
        state.detail
    );
    assert!(failed.detail.contains(label.as_str()), "{}", failed.detail);
    assert_eq!(
        metric(agent.addr, "backstop_verification_last_outcome").await,
        Some(0.0)
    );
    assert_eq!(
        metric(
            agent.addr,
            "backstop_verification_last_success_timestamp_seconds"
        )
        .await,
        Some(last_success)
    );
    agent.shutdown().await.expect("clean shutdown");

    // A restarted agent shows the same from the store before any new verification.
    let agent = backstop::agent::start(&cfg).await.expect("agent restarts");
    let loaded = verification(&agent.state).expect("loaded from the store");
    assert!(!loaded.last_outcome_ok);
    assert_eq!(loaded.checksum_invalid, state.checksum_invalid);
    assert_eq!(loaded.invalid_backups, state.invalid_backups);
    assert_eq!(loaded.detail, state.detail);

    // The scheduled task runs on its cron schedule (here every second) and stops when told.
    let every_second = croner::Cron::new("* * * * * *")
        .with_seconds_optional()
        .parse()
        .expect("cron");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(
        verifier(&cfg, agent.store.clone())
            .with_schedule(every_second)
            .run(agent.state.clone(), stopped),
    );
    let before = loaded.last_run;
    wait_until(
        &agent.state,
        Duration::from_secs(30),
        "a scheduled verification",
        |s| verification(s).is_some_and(|v| v.last_run > before),
    )
    .await;
    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the verifier stops")
        .expect("join");
    let scheduled = verification(&agent.state).expect("published");
    assert!(!scheduled.last_outcome_ok, "{}", scheduled.detail);
    assert_eq!(scheduled.last_success, loaded.last_success);
    assert_eq!(
        metric(agent.addr, "backstop_verification_last_outcome").await,
        Some(0.0)
    );
    assert_eq!(
        metric(
            agent.addr,
            "backstop_verification_last_success_timestamp_seconds"
        )
        .await,
        Some(last_success)
    );
    agent.shutdown().await.expect("clean shutdown");
}
