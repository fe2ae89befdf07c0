//! The Supabase Management API misbehaving under a running agent, one venture per fault, all at
//! once: 5xx (retried with backoff, then `http`), 429 (`rate_limited`, the token waits for
//! `Reset`), garbage JSON (`parse`), a request that never answers and a body trickling in
//! slower than the request timeout (`timeout`, each bounded by it). The lasting faults show as
//! `source_up 0` with the last-poll timestamp standing still; every venture keeps its last good
//! backup time; the healthy venture on the same token keeps polling; all come back once the
//! faults end, and their error counters stop.

use std::time::{Duration, Instant};

use super::{errors, load, value, Scraper};
use crate::harness;
use crate::harness::supabase_api::{project_ref, FakeBackup, FakeProject, FakeSupabase, Fault};

const TOKEN: &str = "sbp_chaos0123456789abcdef0123456789abcdef01";
/// The 429, hung and slow ventures have tokens of their own: the agent's limiter is per token,
/// a 429 blocks the token until `Reset`, and a call in flight holds back the probe that opens
/// each new rate-limit window (so a hung call delays every project of its token until it times
/// out — see the report of issue 10).
const TOKEN_429: &str = "sbp_chaos4290123456789abcdef0123456789abcd";
const TOKEN_HANG: &str = "sbp_chaoshang123456789abcdef0123456789abcd";
const TOKEN_SLOW: &str = "sbp_chaosslow123456789abcdef0123456789abcd";

/// (venture, fault, the kind it must show).
fn faults() -> Vec<(&'static str, Fault, &'static str)> {
    vec![
        (
            "s5xx",
            Fault::Status(503, r#"{"message":"upstream unavailable"}"#.into()),
            "http",
        ),
        (
            "s429",
            Fault::Status(429, r#"{"message":"Too many requests"}"#.into()),
            "rate_limited",
        ),
        ("sjunk", Fault::Malformed, "parse"),
        ("shang", Fault::Hang, "timeout"),
        ("sslow", Fault::Slow(Duration::from_secs(50)), "timeout"),
    ]
}

const ALL: [&str; 6] = ["s5xx", "s429", "sjunk", "shang", "sslow", "sfine"];

fn source(body: &str, venture: &str, name: &str) -> Option<f64> {
    value(body, name, venture, &[("source", "supabase")])
}

fn last_good(body: &str, venture: &str) -> Option<f64> {
    value(
        body,
        "backstop_backup_last_success_timestamp_seconds",
        venture,
        &[("source", "supabase"), ("type", "physical")],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_management_api_never_hurts_the_agent() {
    harness::init_logs();
    // Short windows and a high limit: the fake itself never limits; 429s come from the faults.
    let fake = FakeSupabase::start(
        &[TOKEN, TOKEN_429, TOKEN_HANG, TOKEN_SLOW],
        10_000,
        Duration::from_secs(2),
    )
    .await;
    let mut toml = String::from(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:STATE\"\n\
         supabase_max_requests_per_min = 100000\n",
    );
    for (i, v) in ALL.iter().enumerate() {
        fake.put(
            &project_ref(i),
            FakeProject {
                backups: vec![FakeBackup::completed("2026-08-10T04:30:15Z")],
                ..FakeProject::default()
            },
        );
        let token = match *v {
            "s429" => "TOKEN_429",
            "shang" => "TOKEN_HANG",
            "sslow" => "TOKEN_SLOW",
            _ => "TOKEN",
        };
        toml.push_str(&format!(
            "\n[[ventures]]\nname = \"{v}\"\n  [ventures.backups]\n  kind = \"supabase\"\n  \
             project_ref = \"{}\"\n  token_env = \"{token}\"\n  api_url = \"{}\"\n  \
             poll_interval = \"1s\"\n",
            project_ref(i),
            fake.url()
        ));
    }
    let root = harness::root();
    let toml = toml.replace("STATE", &root.path().join("state.db").display().to_string());
    let cfg = load(
        &toml,
        &[
            ("TOKEN", TOKEN.to_string()),
            ("TOKEN_429", TOKEN_429.to_string()),
            ("TOKEN_HANG", TOKEN_HANG.to_string()),
            ("TOKEN_SLOW", TOKEN_SLOW.to_string()),
        ],
    );
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let s = Scraper { addr: agent.addr };
    let good = s
        .until(Duration::from_secs(20), "every venture up", "s5xx", |b| {
            ALL.iter()
                .all(|v| source(b, v, "backstop_source_up") == Some(1.0))
        })
        .await;
    let good_times: Vec<Option<f64>> = ALL.iter().map(|v| last_good(&good, v)).collect();
    assert!(good_times.iter().all(Option::is_some), "{good_times:?}");

    let faulted = Instant::now();
    for (i, (v, fault, _)) in faults().into_iter().enumerate() {
        assert_eq!(ALL[i], v);
        fake.with(&project_ref(i), |p| p.fault = Some(fault));
    }
    // The request timeout (30 s) bounds the hang and the slow body; 45 s covers a loaded box.
    // Each venture is checked when its fault first shows. The hang and the slow body are lifted
    // as soon as one such call is in flight (it still hangs or trickles to its timeout; the
    // poll right after it succeeds — so their `source_up 0` lasts too short to scrape, and
    // `supabase::malformed_json_a_hang_and_a_slow_body` checks it at the source).
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut seen: Vec<Option<String>> = vec![None; faults().len()];
    let mut lifted = [false; 2];
    let mut body = s.scrape().await;
    while seen.iter().any(Option::is_none) {
        assert!(
            Instant::now() < deadline,
            "not every fault seen within 45 s:\n{}",
            super::lines_of(&body, "s")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        for (k, i) in [3usize, 4].into_iter().enumerate() {
            let path = format!("/v1/projects/{}/database/backups", project_ref(i));
            let in_flight = fake
                .calls()
                .iter()
                .any(|c| c.path == path && c.at >= faulted);
            if !lifted[k] && in_flight {
                fake.with(&project_ref(i), |p| p.fault = None);
                lifted[k] = true;
            }
        }
        body = s.scrape().await;
        for (i, (v, _, kind)) in faults().iter().enumerate() {
            let down = source(&body, v, "backstop_source_up") == Some(0.0);
            let shows = errors(&body, v, kind) >= 1.0 && (down || matches!(*v, "shang" | "sslow"));
            if seen[i].is_none() && shows {
                seen[i] = Some(body.clone());
            }
        }
    }
    let seen_after = faulted.elapsed();
    for (i, (v, _, _)) in faults().iter().enumerate() {
        let at = seen[i].as_deref().unwrap_or_default();
        assert_eq!(last_good(at, v), good_times[i], "{v}: last good value kept");
        assert!(
            source(at, v, "backstop_source_last_poll_timestamp_seconds").is_some(),
            "{v}: the last good poll's time stays"
        );
    }
    assert_eq!(source(&body, "sfine", "backstop_source_up"), Some(1.0));
    for kind in ["http", "rate_limited", "parse", "timeout"] {
        assert_eq!(errors(&body, "sfine", kind), 0.0, "sfine counted {kind}");
    }
    // A failing poll does not move the last-poll timestamp (the faults still on).
    let on = ["s5xx", "s429", "sjunk"];
    let polled: Vec<Option<f64>> = on
        .iter()
        .map(|v| source(&body, v, "backstop_source_last_poll_timestamp_seconds"))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let later = s.scrape().await;
    for (j, v) in on.iter().enumerate() {
        assert_eq!(
            source(&later, v, "backstop_source_last_poll_timestamp_seconds"),
            polled[j],
            "{v}: last poll moved during its fault"
        );
        assert_eq!(
            last_good(&later, v),
            good_times[j],
            "{v}: last good value kept"
        );
    }
    assert!(
        source(
            &later,
            "sfine",
            "backstop_source_last_poll_timestamp_seconds"
        ) > source(
            &body,
            "sfine",
            "backstop_source_last_poll_timestamp_seconds"
        ),
        "the healthy venture keeps polling"
    );

    // Backoff, not a hot loop: the 5xx and 429 projects' backups calls are spaced out.
    let backups_calls = |i: usize| -> Vec<Instant> {
        let path = format!("/v1/projects/{}/database/backups", project_ref(i));
        fake.calls()
            .iter()
            .filter(|c| c.path == path && c.at >= faulted)
            .map(|c| c.at)
            .collect()
    };
    let timeline = |i: usize| -> Vec<String> {
        let p = format!("/v1/projects/{}/", project_ref(i));
        fake.calls()
            .iter()
            .filter(|c| c.path.starts_with(&p) && c.at >= faulted)
            .map(|c| format!("{:?} {} {}", c.at.duration_since(faulted), c.path, c.status))
            .collect()
    };
    // 5xx: retried after 2 s and 4 s (with jitter) within a poll, so never 3 calls within 2 s.
    // 429: the token is blocked until `Reset` (≥ 1 s), so calls never follow each other closer.
    for (i, calls_in_span, least) in [
        (0usize, 3usize, Duration::from_secs(2)),
        (1, 2, Duration::from_millis(900)),
    ] {
        let calls = backups_calls(i);
        assert!(calls.len() >= 2, "{}: {:#?}", ALL[i], timeline(i));
        let closest = calls
            .windows(calls_in_span)
            .map(|w| w[calls_in_span - 1].duration_since(w[0]))
            .min()
            .unwrap_or(Duration::MAX);
        assert!(
            closest >= least,
            "{}: {calls_in_span} calls within {closest:?} during its fault: {:#?}",
            ALL[i],
            timeline(i)
        );
    }

    for i in 0..faults().len() {
        fake.with(&project_ref(i), |p| p.fault = None);
    }
    let back = s
        .until(
            Duration::from_secs(45),
            "every venture up again",
            "shang",
            |b| {
                ALL.iter()
                    .all(|v| source(b, v, "backstop_source_up") == Some(1.0))
            },
        )
        .await;
    let settled: Vec<f64> = faults()
        .iter()
        .map(|(v, _, kind)| errors(&back, v, kind))
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let end = s.scrape().await;
    for (j, (v, _, kind)) in faults().iter().enumerate() {
        assert_eq!(
            errors(&end, v, kind),
            settled[j],
            "{v}: {kind} grew after the fault"
        );
        assert_eq!(source(&end, v, "backstop_source_up"), Some(1.0));
    }
    println!("supabase chaos: every fault visible after {seen_after:?}");
    agent.shutdown().await.expect("clean shutdown");
}
