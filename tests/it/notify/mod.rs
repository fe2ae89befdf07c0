//! Notifications over real HTTP to PagerDuty, Slack and webhook fakes on 127.0.0.1: the
//! documented payloads and severity routing here; retries, timeouts, drops and secrecy in
//! [`delivery`].

mod delivery;

use std::time::Duration;

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

/// The agent wires notifications to the store: every send is recorded, retried ones with their
/// attempts, and objective overrides in the store are applied to the snapshot at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_records_every_send_in_the_store() {
    use backstop::store::{ObjectiveOverride, Store};
    let hook = FakeHttp::start(200, "{}").await;
    let root = crate::harness::root();
    let state_url = format!("sqlite:{}", root.path().join("state.db").display());
    let store = Store::open(&backstop::secret::Secret::new(state_url.clone()))
        .await
        .expect("store");
    store
        .set_override(&ObjectiveOverride {
            venture: "shop".into(),
            rpo_seconds: Some(42),
            rto_seconds: None,
            pitr_window_seconds: None,
            backup_max_age_seconds: None,
            retention: None,
            set_by: "api:test".into(),
            set_at: chrono::Utc::now(),
        })
        .await
        .expect("override");
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"{state_url}\"\n\n[[notify]]\nkind = \"webhook\"\nmin_severity = \"info\"\n\n[[ventures]]\nname = \"shop\"\n"
    );
    let hook_url = format!("http://{}/hook/t0ken", hook.addr);
    let cfg = backstop::config::load_str(&toml, "notify-agent.toml", &|k: &str| {
        (k == "BACKSTOP_WEBHOOK_URL").then(|| hook_url.clone())
    })
    .expect("config");
    let agent = backstop::agent::start(&cfg).await.expect("agent");
    assert_eq!(
        agent
            .state
            .load()
            .venture("shop")
            .expect("venture")
            .objectives
            .rpo,
        std::time::Duration::from_secs(42),
        "the stored override wins over the configured RPO"
    );
    agent.notifier.notify(Notification {
        venture: "shop".into(),
        event: "drill_failed".into(),
        severity: Severity::Warning,
        action: Action::Trigger,
        summary: "drill failed".into(),
        details: serde_json::Value::Null,
        at: chrono::Utc::now(),
    });
    agent.shutdown().await.expect("shutdown");
    let sends = store.sends(10).await.expect("sends");
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0].receiver, "webhook#0");
    assert_eq!(sends[0].outcome, "delivered");
    assert_eq!(sends[0].event, "drill_failed");
    assert!(!format!("{sends:?}").contains("t0ken"));
    assert_eq!(hook.requests().len(), 1);
}
