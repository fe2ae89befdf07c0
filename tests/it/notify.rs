//! Notifications over real HTTP to PagerDuty, Slack and webhook fakes on 127.0.0.1: the
//! documented payloads, severity routing, retries (503, 429 + Retry-After), no retry on 4xx,
//! timeouts that delay no one else, dropped sends on a full queue, and no secret in any record.

use std::time::{Duration, Instant};

use backstop::config::{NotifyConfig, NotifyTarget, Severity};
use backstop::notify::{Action, Notification, Notifier, NotifierBuilder, Outcome, SendRecord};
use backstop::secret::Secret;
use serde_json::json;
use tokio::sync::mpsc;

use crate::harness::fake_http::{FakeHttp, Reply};

const PD_KEY: &str = "pdkey-SECRET-0123456789abcdef0123";
const SLACK_TOKEN: &str = "slacktoken-SECRET-xoxo";
const HOOK_TOKEN: &str = "hooktoken-SECRET-4242";

fn pagerduty(fake: &FakeHttp, min: Severity) -> NotifyConfig {
    NotifyConfig {
        min_severity: min,
        target: NotifyTarget::PagerDuty {
            routing_key: Secret::new(PD_KEY),
            url: format!("http://{}/v2/enqueue", fake.addr),
        },
    }
}

fn slack_at(addr: impl std::fmt::Display, min: Severity) -> NotifyConfig {
    NotifyConfig {
        min_severity: min,
        target: NotifyTarget::Slack {
            url: Secret::new(format!("http://{addr}/services/T000/B000/{SLACK_TOKEN}")),
        },
    }
}

fn webhook_at(addr: impl std::fmt::Display, min: Severity) -> NotifyConfig {
    NotifyConfig {
        min_severity: min,
        target: NotifyTarget::Webhook {
            url: Secret::new(format!("http://{addr}/hooks/{HOOK_TOKEN}?x=1")),
        },
    }
}

fn event(event: &str, severity: Severity, action: Action) -> Notification {
    Notification {
        venture: "acme".into(),
        event: event.into(),
        severity,
        action,
        summary: "pg1 lost, pg2 promoted".into(),
        details: json!({"from": "pg1", "to": "pg2"}),
        at: "2025-03-04T05:06:07Z".parse().expect("time"),
    }
}

/// Fast retries, for tests.
fn fast(receivers: &[NotifyConfig]) -> (NotifierBuilder, mpsc::UnboundedReceiver<SendRecord>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let builder = Notifier::builder(receivers)
        .records(tx)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .timeout(Duration::from_secs(3));
    (builder, rx)
}

/// Everything recorded so far (after a shutdown: everything).
fn drain(rx: &mut mpsc::UnboundedReceiver<SendRecord>) -> Vec<SendRecord> {
    let mut out = Vec::new();
    while let Ok(r) = rx.try_recv() {
        out.push(r);
    }
    out
}

async fn next(rx: &mut mpsc::UnboundedReceiver<SendRecord>) -> SendRecord {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a record within 5 s")
        .expect("channel open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_get_the_documented_payloads() {
    let pd = FakeHttp::start(
        202,
        r#"{"status":"success","message":"Event processed","dedup_key":"acme:failover"}"#,
    )
    .await;
    let slack = FakeHttp::scripted(vec![Reply::text(200, "ok")]).await;
    let hook = FakeHttp::start(204, "").await;
    let receivers = [
        pagerduty(&pd, Severity::Critical),
        slack_at(slack.addr, Severity::Warning),
        webhook_at(hook.addr, Severity::Info),
    ];
    let (builder, mut rx) = fast(&receivers);
    let notifier = builder.build().expect("notifier");
    assert_eq!(
        notifier.receivers(),
        ["pagerduty#0", "slack#1", "webhook#2"]
    );
    notifier.notify(event("failover", Severity::Critical, Action::Trigger));
    // A resolve goes where its trigger went, whatever its own severity.
    notifier.notify(event("failover", Severity::Info, Action::Resolve));
    notifier.shutdown(Duration::from_secs(5)).await;

    let records = drain(&mut rx);
    assert_eq!(records.len(), 6, "{records:?}");
    for r in &records {
        assert_eq!(r.outcome, Outcome::Delivered, "{r:?}");
        assert_eq!(r.attempts, 1);
        assert_eq!(r.venture.as_deref(), Some("acme"));
        assert_eq!(r.event, "failover");
        assert_eq!(r.error, None);
    }
    let pd_statuses: Vec<_> = records
        .iter()
        .filter(|r| r.receiver == "pagerduty#0")
        .map(|r| (r.action, r.status))
        .collect();
    assert_eq!(
        pd_statuses,
        [(Action::Trigger, Some(202)), (Action::Resolve, Some(202))]
    );

    let got = pd.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].path, "/v2/enqueue");
    let ct = got[0].headers.iter().find(|(k, _)| k == "content-type");
    assert_eq!(ct.map(|(_, v)| v.as_str()), Some("application/json"));
    let trigger = got[0].json();
    assert_eq!(trigger["routing_key"], PD_KEY);
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["dedup_key"], "acme:failover");
    assert_eq!(trigger["client"], "backstop");
    assert!(trigger.get("client_url").is_none());
    let payload = &trigger["payload"];
    assert_eq!(payload["summary"], "pg1 lost, pg2 promoted");
    assert_eq!(payload["source"], "backstop");
    assert_eq!(payload["severity"], "critical");
    assert_eq!(payload["timestamp"], "2025-03-04T05:06:07.000Z");
    assert_eq!(payload["component"], "acme");
    assert_eq!(payload["group"], "backstop");
    assert_eq!(payload["class"], "failover");
    assert_eq!(
        payload["custom_details"],
        json!({"from": "pg1", "to": "pg2"})
    );
    assert_eq!(
        got[1].json(),
        json!({"routing_key": PD_KEY, "event_action": "resolve", "dedup_key": "acme:failover"}),
        "a resolve carries only routing_key, event_action and dedup_key"
    );

    let got = slack.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].path, format!("/services/T000/B000/{SLACK_TOKEN}"));
    let msg = got[0].json();
    assert_eq!(
        msg["text"],
        "[critical] acme failover: pg1 lost, pg2 promoted"
    );
    assert_eq!(msg["blocks"][0]["type"], "header");
    assert_eq!(msg["blocks"][0]["text"]["text"], "[critical] acme failover");
    assert_eq!(msg["blocks"][1]["text"]["text"], "pg1 lost, pg2 promoted");
    assert!(got[1].json()["text"]
        .as_str()
        .expect("text")
        .starts_with("[info, resolved] acme failover"));

    let got = hook.requests();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].path, format!("/hooks/{HOOK_TOKEN}?x=1"));
    assert_eq!(
        got[0].json(),
        json!({
            "venture": "acme",
            "event": "failover",
            "severity": "critical",
            "action": "trigger",
            "summary": "pg1 lost, pg2 promoted",
            "details": {"from": "pg1", "to": "pg2"},
            "at": "2025-03-04T05:06:07.000Z",
        })
    );
    assert_eq!(got[1].json()["action"], "resolve");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warning_does_not_reach_a_critical_only_receiver() {
    let pd = FakeHttp::start(202, "{}").await;
    let slack = FakeHttp::scripted(vec![Reply::text(200, "ok")]).await;
    let receivers = [
        pagerduty(&pd, Severity::Critical),
        slack_at(slack.addr, Severity::Warning),
    ];
    let (builder, mut rx) = fast(&receivers);
    let notifier = builder.build().expect("notifier");
    notifier.notify(event(
        "archiving_failing",
        Severity::Warning,
        Action::Trigger,
    ));
    notifier.notify(event(
        "archiving_failing",
        Severity::Critical,
        Action::Resolve,
    ));
    notifier.shutdown(Duration::from_secs(5)).await;
    let records = drain(&mut rx);
    assert!(
        pd.requests().is_empty(),
        "PagerDuty got {:?}",
        pd.requests()
    );
    assert_eq!(slack.requests().len(), 2);
    assert!(
        records.iter().all(|r| r.receiver == "slack#1"),
        "{records:?}"
    );
    assert_eq!(records.len(), 2);
}

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
        .timeout(Duration::from_millis(400))
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
        start.elapsed() < Duration::from_millis(400),
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
    assert_eq!(hung_record.error.as_deref(), Some("no answer within 400ms"));
    assert!(start.elapsed() >= Duration::from_millis(800));
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
