//! 1,000 Supabase ventures through the real agent against the fake Management API: one token,
//! each venture its own project, the fake allowing L = 1,500 calls per 3-second window for the
//! token (told only through the X-RateLimit headers). Every venture reaches `source_up 1` within
//! ⌈N·r/L⌉+1 windows (r = 3 calls per poll), the fake answers no 429, and the agent stretches
//! the poll interval to what fits (3,000 calls at 500/s: 6 s) and shows it as a metric. The
//! window is a few seconds long so that a loaded CI machine is limited by the headers, not by
//! its CPU (⌈3,000/1,500⌉+1 = 3 windows = 9 s).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backstop::config;

use crate::harness::http::{get, sample};
use crate::harness::supabase_api::{project_ref, FakeBackup, FakeProject, FakeSupabase};
use crate::harness::{self};

const N: usize = 1_000;
const LIMIT: u32 = 1_500;
const WINDOW: Duration = Duration::from_secs(3);
const CALLS_PER_POLL: usize = 3;
const TOKEN: &str = "sbp_scale0123456789abcdef0123456789abcdef01";

fn config_text(api_url: &str, state: &str) -> String {
    let mut toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{state}\"\n\
         supabase_max_requests_per_min = 1000000\n"
    );
    for i in 0..N {
        toml.push_str(&format!(
            "\n[[ventures]]\nname = \"v{i:04}\"\n  [ventures.backups]\n  kind = \"supabase\"\n  \
             project_ref = \"{}\"\n  token_env = \"SCALE_TOKEN\"\n  api_url = \"{api_url}\"\n  \
             poll_interval = \"1s\"\n",
            project_ref(i)
        ));
    }
    toml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_ventures_share_one_token_without_a_429() {
    let fake = FakeSupabase::start(&[TOKEN], LIMIT, WINDOW).await;
    for i in 0..N {
        fake.put(
            &project_ref(i),
            FakeProject {
                backups: vec![FakeBackup::completed("2026-08-10T04:30:15Z")],
                ..FakeProject::default()
            },
        );
    }
    let root = harness::root();
    let state_db = root.path().join("state.db");
    let toml = config_text(&fake.url(), &state_db.display().to_string());
    let env: HashMap<String, String> = [("SCALE_TOKEN".to_string(), TOKEN.to_string())].into();
    let cfg = config::load_str(&toml, "scale.toml", &|k: &str| env.get(k).cloned())
        .expect("config loads");

    let windows = (N * CALLS_PER_POLL).div_ceil(LIMIT as usize) + 1;
    let bound = WINDOW * windows as u32;
    let started = Instant::now();
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let spawned = started.elapsed();
    let all_up = loop {
        let snap = agent.state.load();
        let up = snap
            .ventures
            .iter()
            .filter(|v| v.source.as_ref().and_then(|s| s.up) == Some(true))
            .count();
        if up == N {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < bound * 3,
            "only {up} of {N} ventures up after {:?} (agent started in {spawned:?}, {} calls)",
            started.elapsed(),
            fake.calls().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let calls_when_up = fake.calls().len();

    // Keep polling to the bound, then measure the token's sustained rate.
    tokio::time::sleep(bound.saturating_sub(started.elapsed())).await;
    let elapsed = started.elapsed();
    let calls = fake.calls();
    let per_min = calls.len() as f64 / elapsed.as_secs_f64() * 60.0;
    let body = get(agent.addr, "/metrics", &[]).await.body;
    let ups = body
        .lines()
        .filter(|l| l.starts_with("backstop_source_up{") && l.ends_with(" 1"))
        .count();
    let interval = sample(
        &body,
        "backstop_source_poll_interval_seconds",
        &[("venture", "v0999"), ("source", "supabase")],
    );
    println!(
        "supabase scale: {N} ventures, limit {LIMIT}/{WINDOW:?} per token: agent started in \
         {spawned:?}, all source_up=1 after {all_up:?} ({calls_when_up} calls; bound \
         {windows} windows = {bound:?}); {} calls in {elapsed:?} = {per_min:.0} requests/min \
         (limit {} /min); 429s: {}; effective poll interval {interval:?} s",
        calls.len(),
        f64::from(LIMIT) * 60.0 / WINDOW.as_secs_f64(),
        fake.count_429()
    );
    agent.shutdown().await.expect("shutdown");
    // On failure, show the answers around the first 429s (time since the first call: status).
    let t0 = calls[0].at;
    let first: Vec<usize> = (0..calls.len())
        .filter(|i| calls[*i].status == 429)
        .take(3)
        .collect();
    for i in first {
        let around: Vec<String> = calls[i.saturating_sub(3)..(i + 2).min(calls.len())]
            .iter()
            .map(|c| format!("{:?}:{}", c.at.duration_since(t0), c.status))
            .collect();
        println!("429 at call {i}: {around:?}");
    }
    assert_eq!(fake.count_429(), 0, "no call beyond the header limit");
    assert!(
        all_up <= bound,
        "all ventures up after {all_up:?}, beyond {windows} windows ({bound:?})"
    );
    assert_eq!(ups, N, "every venture shows backstop_source_up 1");
    assert_eq!(interval, Some(6.0), "3,000 calls at 500/s need 6 s");
    assert!(calls.iter().all(|c| c.token == TOKEN));
}
