//! Delivery over real HTTP: retries on 503 and on 429 with `Retry-After`, none on 400, a hung
//! receiver that times out without delaying the others, a full queue that drops, a shutdown
//! that gives up after its grace, and no secret in any record.

use std::time::{Duration, Instant};

use backstop::config::Severity;
use backstop::notify::{Action, Outcome};

use super::{
    drain, event, fast, next, pagerduty, slack_at, webhook_at, HOOK_TOKEN, PD_KEY, SLACK_TOKEN,
};
use crate::harness::fake_http::{FakeHttp, Reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_503_then_202_is_delivered_on_the_second_attempt() {
    let pd = FakeHttp::scripted(vec![Reply::new(503, "{}"), Reply::new(202, "{}")]).await;
    let (builder, mut rx) = fast(&[pagerduty(&pd, Severity::Info)]);
    let notifier = builder.build().expect("notifier");
    notifier.notify(event("drill_failed", Severity::Warning, Action::Trigger));
    let r = next(&mut rx).await;
    assert_eq!(
        (r.outcome, r.attempts, r.status),
        (Outcome::Delivered, 2, Some(202))
    );
    assert_eq!(pd.requests().len(), 2);
    notifier.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_waits_that_long() {
    let hook = FakeHttp::scripted(vec![
        Reply::new(429, "{}").header("Retry-After", "1"),
        Reply::new(200, "{}"),
    ])
    .await;
    let (builder, mut rx) = fast(&[webhook_at(hook.addr, Severity::Info)]);
    let notifier = builder.build().expect("notifier");
    notifier.notify(event("drill_failed", Severity::Info, Action::Trigger));
    let r = next(&mut rx).await;
    assert_eq!(
        (r.outcome, r.attempts, r.status),
        (Outcome::Delivered, 2, Some(200))
    );
    let got = hook.requests();
    assert_eq!(got.len(), 2);
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(900) && gap < Duration::from_secs(3),
        "retried after {gap:?}, the backoff alone is 10 ms"
    );
    notifier.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_fails_after_exactly_one_attempt() {
    let slack = FakeHttp::scripted(vec![Reply::text(400, "invalid_payload")]).await;
    let (builder, mut rx) = fast(&[slack_at(slack.addr, Severity::Info)]);
    let notifier = builder.build().expect("notifier");
    notifier.notify(event("failover", Severity::Critical, Action::Trigger));
    let r = next(&mut rx).await;
    assert_eq!(
        (r.outcome, r.attempts, r.status),
        (Outcome::Failed, 1, Some(400))
    );
    assert_eq!(r.error.as_deref(), Some("HTTP 400: invalid_payload"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(slack.requests().len(), 1, "a 4xx is never retried");
    notifier.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_receiver_times_out_without_delaying_the_others() {
    let hung = FakeHttp::scripted(vec![Reply::hang()]).await;
    let slack = FakeHttp::scripted(vec![Reply::text(200, "ok")]).await;
    let (builder, mut rx) = fast(&[
        webhook_at(hung.addr, Severity::Info),
        slack_at(slack.addr, Severity::Info),
    ]);
    let notifier = builder
        .timeout(Duration::from_secs(1))
        .attempts(2)
        .build()
        .expect("notifier");
    let start = Instant::now();
    notifier.notify(event("failover", Severity::Critical, Action::Trigger));
    let first = next(&mut rx).await;
    assert_eq!(
        (first.receiver.as_str(), first.outcome),
        ("slack#1", Outcome::Delivered)
    );
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "Slack waited for the hung webhook: {:?}",
        start.elapsed()
    );
    let hung_record = next(&mut rx).await;
    assert_eq!(hung_record.receiver, "webhook#0");
    assert_eq!(
        (
            hung_record.outcome,
            hung_record.attempts,
            hung_record.status
        ),
        (Outcome::Failed, 2, None)
    );
    assert_eq!(hung_record.error.as_deref(), Some("no answer within 1s"));
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert_eq!(hung.requests().len(), 2, "a timeout is retried");
    notifier.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_full_queue_drops_and_shutdown_gives_up_after_its_grace() {
    // Current-thread runtime: the worker cannot take anything off the queue while `notify`
    // runs, so with a queue of 1 exactly four of five sends are dropped.
    let hung = FakeHttp::scripted(vec![Reply::hang()]).await;
    let (builder, mut rx) = fast(&[webhook_at(hung.addr, Severity::Info)]);
    let notifier = builder.queue_capacity(1).build().expect("notifier");
    for _ in 0..5 {
        notifier.notify(event("failover", Severity::Critical, Action::Trigger));
    }
    assert_eq!(notifier.dropped(), 4);
    let dropped = drain(&mut rx);
    assert_eq!(dropped.len(), 4);
    for r in &dropped {
        assert_eq!(
            (r.outcome, r.attempts, r.status),
            (Outcome::Dropped, 0, None)
        );
        assert_eq!(r.error.as_deref(), Some("queue full, notification dropped"));
    }
    let start = Instant::now();
    notifier.shutdown(Duration::from_millis(300)).await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let rest = drain(&mut rx);
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!((rest[0].outcome, rest[0].attempts), (Outcome::Failed, 1));
    assert_eq!(rest[0].error.as_deref(), Some("shut down before delivery"));
    assert_eq!(hung.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_record_or_error() {
    // Receivers that echo their secrets back in error bodies, and one that refuses connections.
    let pd = FakeHttp::scripted(vec![Reply::new(
        400,
        &format!(r#"{{"status":"invalid event","errors":["routing_key {PD_KEY} is invalid"]}}"#),
    )])
    .await;
    let hook = FakeHttp::scripted(vec![Reply::text(
        500,
        &format!("no hook at /hooks/{HOOK_TOKEN}?x=1"),
    )])
    .await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let (builder, mut rx) = fast(&[
        pagerduty(&pd, Severity::Info),
        webhook_at(hook.addr, Severity::Info),
        slack_at(closed, Severity::Info),
    ]);
    let notifier = builder.attempts(2).build().expect("notifier");
    notifier.notify(event("failover", Severity::Critical, Action::Trigger));
    notifier.notify(event("failover", Severity::Critical, Action::Resolve));
    notifier.shutdown(Duration::from_secs(5)).await;
    let records = drain(&mut rx);
    assert_eq!(records.len(), 6, "{records:?}");
    for r in &records {
        assert_eq!(r.outcome, Outcome::Failed, "{r:?}");
        let text = format!("{r:?} {}", r.error.as_deref().unwrap_or_default());
        for secret in [PD_KEY, SLACK_TOKEN, HOOK_TOKEN, "/services/T000", "/hooks/"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }
    let slack = records
        .iter()
        .find(|r| r.receiver == "slack#2")
        .expect("slack");
    assert_eq!(slack.attempts, 2, "connection errors are retried");
    assert!(
        slack
            .error
            .as_deref()
            .is_some_and(|e| e.starts_with("connection failed")),
        "{slack:?}"
    );
    let hook_error = records
        .iter()
        .find(|r| r.receiver == "webhook#1")
        .and_then(|r| r.error.clone());
    assert_eq!(
        hook_error.as_deref(),
        Some("HTTP 500: no hook at [redacted]")
    );
}
