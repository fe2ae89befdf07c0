//! pgBackRest hanging under a running agent, beyond the single hang of
//! `pgbackrest::fake`: a hang that lasts many polls (each poll times out within its budget, the
//! next follows at its cadence, never more than one hung process at a time), a command that
//! prints its answer and exits while a child it left behind holds standard output open, and a
//! hung `repo-ls` while `info` answers. After each, no process of the fake is left and the
//! last good values stayed visible.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{errors, load, value, Scraper};
use crate::harness;

const INFO: &str = include_str!("../../../src/sources/pgbackrest/testdata/info-2.45.json");
const LS: &str = include_str!("../../../src/sources/pgbackrest/testdata/repo-ls-2.45.json");

/// `mode-info` / `mode-ls` choose what each subcommand does; `restore` fails at once, or hangs
/// when `mode-restore` says `hang`. Every process it starts keeps the script's path in its
/// command line (subshells, not `sleep`), so they can be counted.
const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
case "$*" in
*restore*)
  if [ "$(cat "$dir/mode-restore" 2>/dev/null)" = hang ]; then while :; do sleep 1; done; fi
  echo "ERROR: [055]: chaos fake: restore refused" >&2; exit 55 ;;
*repo-ls*) what=ls ;;
*) what=info ;;
esac
case "$(cat "$dir/mode-$what")" in
good) cat "$dir/$what.json" ;;
hang) while :; do sleep 1; done ;;
orphan) ( while :; do sleep 1; done ) & cat "$dir/$what.json"; exit 0 ;;
esac
"#;

/// Writes the fake (both subcommands `good`) and its files into `dir`; returns its path.
pub(super) fn fake(dir: &Path) -> PathBuf {
    set(dir, "info", "good");
    set(dir, "ls", "good");
    harness::pgbackrest::write_fake(dir, SCRIPT, INFO, LS)
}

/// Sets what `what` does next: `info` or `ls`: `good`, `hang` or `orphan`; `restore`: `hang`
/// or anything else (fail).
pub(super) fn set(dir: &Path, what: &str, mode: &str) {
    std::fs::write(dir.join(format!("mode-{what}")), mode).expect("mode");
}

/// Live (not zombie) processes whose command line mentions `script`.
pub(super) fn live(script: &Path) -> Vec<u32> {
    let needle = script.display().to_string();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    s.rsplit_once(')')
                        .map(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie && String::from_utf8_lossy(&cmd).contains(&needle)
        })
        .collect()
}

async fn until_none_left(script: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = live(script);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: processes left: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn source(body: &str, name: &str) -> Option<f64> {
    value(body, name, "acme", &[("source", "pgbackrest")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_pgbackrest_is_bounded_poll_after_poll() {
    harness::init_logs();
    let root = harness::root();
    let dir = root.path();
    let script = fake(dir);
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n[[ventures]]\nname = \"acme\"\n  \
         [ventures.backups]\n  kind = \"pgbackrest\"\n  stanza = \"demo\"\n  config = \"{}\"\n  \
         command = \"{}\"\n  poll_interval = \"300ms\"\n  repo_ls_interval = \"300ms\"\n  timeout = \"1s\"\n",
        dir.join("state.db").display(),
        dir.join("pgbackrest.conf").display(),
        script.display()
    );
    let agent = backstop::agent::start(&load(&toml, &[]))
        .await
        .expect("agent starts");
    let s = Scraper { addr: agent.addr };
    let good = s
        .until(Duration::from_secs(10), "a good poll", "acme", |b| {
            source(b, "backstop_source_up") == Some(1.0)
                && source(b, "backstop_backup_repository_size_bytes").is_some()
        })
        .await;
    let kept = |b: &str| {
        (
            source(b, "backstop_backup_repository_size_bytes"),
            value(
                b,
                "backstop_backup_last_success_timestamp_seconds",
                "acme",
                &[("source", "pgbackrest"), ("type", "incr")],
            ),
        )
    };
    let good_values = kept(&good);
    assert!(good_values.1.is_some(), "{good}");

    // 1. A hang lasting many polls: each times out, one hung process at most at any moment.
    set(dir, "info", "hang");
    let first = s
        .until(Duration::from_secs(10), "the first timeout", "acme", |b| {
            errors(b, "acme", "timeout") >= 1.0 && source(b, "backstop_source_up") == Some(0.0)
        })
        .await;
    let start = Instant::now();
    let mut most = 0;
    let mut body = first.clone();
    while start.elapsed() < Duration::from_secs(5) {
        most = most.max(live(&script).len());
        body = s.scrape().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let more = errors(&body, "acme", "timeout") - errors(&first, "acme", "timeout");
    assert!(more >= 2.0, "only {more} more timeouts in 5 s of hanging");
    assert!(most <= 2, "{most} hung fakes at once: polls pile up");
    assert_eq!(source(&body, "backstop_source_up"), Some(0.0));
    assert_eq!(kept(&body), good_values, "last good values kept");
    set(dir, "info", "good");
    s.until(Duration::from_secs(10), "up after the hang", "acme", |b| {
        source(b, "backstop_source_up") == Some(1.0)
    })
    .await;
    until_none_left(&script, "after the long hang").await;

    // 2. Answers and exits, leaving a child on its standard output: bounded, nothing left.
    let before = s.scrape().await;
    set(dir, "info", "orphan");
    let t = Instant::now();
    let mut most = 0;
    while t.elapsed() < Duration::from_secs(4) {
        most = most.max(live(&script).len());
        s.scrape().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    set(dir, "info", "good");
    assert!(most <= 2, "{most} leftover children at once: they pile up");
    let after = s.scrape().await;
    assert_eq!(kept(&after), good_values);
    until_none_left(&script, "after the orphaning command").await;
    // Either way it ended, it was bounded and counted as a timeout, never a stall.
    assert!(
        errors(&after, "acme", "timeout") > errors(&before, "acme", "timeout"),
        "an answer with a child holding stdout must end as a timeout:\n{}",
        super::lines_of(&after, "acme")
    );

    // 3. `repo-ls` hangs while `info` answers: the listing's last values stay.
    let before = s.scrape().await;
    set(dir, "ls", "hang");
    let body = s
        .until(Duration::from_secs(10), "a repo-ls timeout", "acme", |b| {
            errors(b, "acme", "timeout") > errors(&before, "acme", "timeout")
        })
        .await;
    assert_eq!(kept(&body), good_values, "the last listing stays");
    set(dir, "ls", "good");
    until_none_left(&script, "after the repo-ls hang").await;
    s.until(Duration::from_secs(10), "up at the end", "acme", |b| {
        source(b, "backstop_source_up") == Some(1.0)
    })
    .await;
    agent.shutdown().await.expect("clean shutdown");
    assert!(live(&script).is_empty(), "{:?}", live(&script));
}
