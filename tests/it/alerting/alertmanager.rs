//! deploy/alertmanager.yml in a real Alertmanager, its timings scaled down (45m -> 8s) and its
//! receivers pointed at Slack and PagerDuty fakes on 127.0.0.1: warnings reach the channel,
//! criticals the on-call pager, a critical still firing after the escalation delay reaches the
//! second level and one resolved before it does not, and BackstopAgentAbsent inhibits the
//! other alerts of its instance.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{read, tool};
use crate::harness::fake_http::{FakeHttp, Recorded, Reply};

const ONCALL_KEY: &str = "oncall-routing-key-0123456789abcdef";
const ESCALATION_KEY: &str = "escalation-routing-key-0123456789ab";

/// Replaces `from` (which must occur) with `to`.
fn swap(text: String, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "deploy/alertmanager.yml no longer has {from:?}"
    );
    text.replace(from, to)
}

/// deploy/alertmanager.yml with test timings, secrets under `dir` and the fakes' URLs.
fn test_config(dir: &Path, slack: &FakeHttp, pagerduty: &FakeHttp) -> String {
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets).expect("secrets dir");
    std::fs::write(
        secrets.join("slack-webhook-url"),
        format!("http://{}/services/T000/B000/XXXX", slack.addr),
    )
    .expect("slack secret");
    std::fs::write(secrets.join("pagerduty-oncall-key"), ONCALL_KEY).expect("pd secret");
    std::fs::write(secrets.join("pagerduty-escalation-key"), ESCALATION_KEY).expect("pd secret");

    let text = read("deploy/alertmanager.yml");
    let text = swap(
        text,
        "https://events.pagerduty.com/v2/enqueue",
        &format!("http://{}/v2/enqueue", pagerduty.addr),
    );
    let text = swap(
        text,
        "/etc/alertmanager/secrets/",
        &format!("{}/", secrets.display()),
    );
    let text = swap(text, "group_wait: 30s", "group_wait: 1s");
    let text = swap(text, "group_interval: 5m", "group_interval: 2s");
    let text = swap(text, "group_wait: 45m", "group_wait: 8s");
    swap(text, "group_interval: 45m", "group_interval: 8s")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn alert(labels: Value, ends_in: Duration) -> Value {
    let ends = chrono::Utc::now() + chrono::Duration::from_std(ends_in).expect("duration");
    json!({
        "labels": labels,
        "annotations": {
            "summary": format!("{} summary", labels["alertname"].as_str().unwrap_or("?")),
            "description": "test alert",
            "runbook_url": "https://github.com/backstop-dr/backstop/blob/main/runbooks/X.md",
        },
        "endsAt": ends.to_rfc3339(),
    })
}

async fn post(client: &reqwest::Client, base: &str, alerts: &[Value]) {
    let resp = client
        .post(format!("{base}/api/v2/alerts"))
        .json(&alerts)
        .send()
        .await
        .expect("POST alerts");
    assert!(resp.status().is_success(), "POST alerts: {}", resp.status());
}

/// PagerDuty events: (routing_key, alertname from custom_details, event_action).
fn pd_events(requests: &[Recorded]) -> Vec<(String, String, String)> {
    requests
        .iter()
        .map(|r| {
            let v = r.json();
            let s = |x: &Value| x.as_str().unwrap_or_default().to_string();
            (
                s(&v["routing_key"]),
                s(&v["payload"]["custom_details"]["alertname"]),
                s(&v["event_action"]),
            )
        })
        .collect()
}

fn has(events: &[(String, String, String)], key: &str, alertname: &str, action: &str) -> bool {
    events
        .iter()
        .any(|(k, a, e)| k == key && a == alertname && e == action)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escalates_still_firing_pages_delivers_by_severity_and_inhibits_by_instance() {
    let slack = FakeHttp::scripted(vec![Reply::text(200, "ok")]).await;
    let pagerduty =
        FakeHttp::start(202, r#"{"status":"success","message":"Event processed"}"#).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(&config, test_config(dir.path(), &slack, &pagerduty)).expect("config");
    let checked = tool(
        "amtool",
        &["check-config", config.to_str().expect("utf-8 path")],
    );
    assert!(checked.status.success(), "test config: {checked:?}");

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut am = tokio::process::Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", dir.path().join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("prometheus-alertmanager could not start ({e}): apt-get install prometheus-alertmanager")
        });

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = client.get(format!("{base}/-/ready")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "Alertmanager not ready in 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let hour = Duration::from_secs(3600);
    let a1 = "agent-1:9847";
    let a2 = "agent-2:9847";
    let firing = vec![
        alert(
            json!({"alertname": "BackstopWalArchivingStale", "severity": "critical",
                   "venture": "acme", "endpoint": "pg1", "instance": a1, "job": "backstop"}),
            hour,
        ),
        alert(
            json!({"alertname": "BackstopDrillFailed", "severity": "critical",
                   "venture": "beta", "instance": a1, "job": "backstop"}),
            hour,
        ),
        alert(
            json!({"alertname": "BackstopBackupFailed", "severity": "warning",
                   "venture": "acme", "instance": a1, "job": "backstop"}),
            hour,
        ),
        alert(
            json!({"alertname": "BackstopAgentAbsent", "severity": "critical",
                   "instance": a2, "job": "backstop"}),
            hour,
        ),
        alert(
            json!({"alertname": "BackstopBackupStale", "severity": "critical",
                   "venture": "gamma", "instance": a2, "job": "backstop"}),
            hour,
        ),
    ];
    let started = Instant::now();
    post(&client, &base, &firing).await;

    // The drill is fixed 3 s in: resolved long before the 8 s escalation delay.
    tokio::time::sleep(Duration::from_secs(3)).await;
    post(
        &client,
        &base,
        &[alert(
            json!({"alertname": "BackstopDrillFailed", "severity": "critical",
                   "venture": "beta", "instance": a1, "job": "backstop"}),
            Duration::ZERO,
        )],
    )
    .await;

    // Escalation of the archiving page arrives after the delay.
    let deadline = started + Duration::from_secs(25);
    loop {
        let events = pd_events(&pagerduty.requests());
        if has(
            &events,
            ESCALATION_KEY,
            "BackstopWalArchivingStale",
            "trigger",
        ) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no escalation within 25 s; PagerDuty saw {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let escalated_after = started.elapsed();
    assert!(
        escalated_after >= Duration::from_secs(7),
        "escalation waits for its delay (8 s), came after {escalated_after:?}"
    );
    // One more escalation period: nothing else may escalate.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let events = pd_events(&pagerduty.requests());
    for name in [
        "BackstopWalArchivingStale",
        "BackstopDrillFailed",
        "BackstopAgentAbsent",
    ] {
        assert!(
            has(&events, ONCALL_KEY, name, "trigger"),
            "{name} paged on-call: {events:?}"
        );
    }
    assert!(
        has(&events, ONCALL_KEY, "BackstopDrillFailed", "resolve"),
        "the fixed drill resolves its page: {events:?}"
    );
    assert!(
        has(&events, ESCALATION_KEY, "BackstopAgentAbsent", "trigger"),
        "the still-absent agent escalates too: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|(k, a, _)| k == ESCALATION_KEY && a == "BackstopDrillFailed"),
        "a page resolved before the delay never escalates: {events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|(_, a, _)| a == "BackstopBackupStale" || a == "BackstopBackupFailed"),
        "no page for the inhibited alert nor for a warning: {events:?}"
    );

    let chat: Vec<String> = slack.requests().iter().map(Recorded::text).collect();
    let chat = chat.join("\n");
    assert!(
        chat.contains("BackstopBackupFailed"),
        "warning in the channel: {chat}"
    );
    assert!(
        chat.contains("BackstopWalArchivingStale"),
        "critical copied to the channel"
    );
    assert!(
        !chat.contains("BackstopBackupStale"),
        "inhibited alert not in the channel"
    );

    // Alertmanager's own view: the agent-2 alert is suppressed by BackstopAgentAbsent.
    let alerts: Value = client
        .get(format!(
            "{base}/api/v2/alerts?filter=alertname%3D%22BackstopBackupStale%22"
        ))
        .send()
        .await
        .expect("GET alerts")
        .json()
        .await
        .expect("alerts JSON");
    let status = &alerts[0]["status"];
    assert_eq!(status["state"], "suppressed", "{alerts}");
    assert_eq!(
        status["inhibitedBy"].as_array().map(Vec::len),
        Some(1),
        "{alerts}"
    );

    am.start_kill().expect("stop alertmanager");
    let out = am.wait_with_output().await.expect("alertmanager exit");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        !log.contains(ONCALL_KEY) && !log.contains(ESCALATION_KEY),
        "routing keys never logged"
    );
}
