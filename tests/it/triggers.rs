//! Recovery triggers end to end through `agent::start` on a real pgBackRest stanza whose only
//! backup is older than `backup_max_age = "1s"`: a `backup_stale` trigger running
//! `pgbackrest … backup --type=incr` (as the harness runs pgbackrest: the stanza's wrapper) runs
//! exactly once within its 1 h cooldown, and the incremental backup shows in the metrics after
//! the next poll; a webhook trigger on the same condition hits a fake once with the event; a
//! failing command counts `failed`, is recorded with its output and notifies (warning).

use std::time::{Duration, Instant};

use backstop::config::{
    NotifyConfig, NotifyTarget, Severity, TriggerAction, TriggerConfig, TriggerWhen,
};
use backstop::metrics::{Format, Metrics};
use backstop::secret::Secret;
use backstop::store::EventFilter;

use crate::harness::fake_http::FakeHttp;
use crate::harness::http::sample;
use crate::harness::pgbackrest::stanza;

fn metrics(agent: &backstop::agent::RunningAgent) -> String {
    Metrics::new(agent.state.clone())
        .encode(Format::PrometheusText)
        .expect("encode")
}

fn runs(text: &str, trigger: &str, outcome: &str) -> Option<f64> {
    sample(
        text,
        "backstop_trigger_runs_total",
        &[
            ("venture", "acme"),
            ("trigger", trigger),
            ("outcome", outcome),
        ],
    )
}

async fn eventually(
    agent: &backstop::agent::RunningAgent,
    what: &str,
    timeout: Duration,
    f: impl Fn(&str) -> bool,
) {
    let deadline = Instant::now() + timeout;
    loop {
        let text = metrics(agent);
        if f(&text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn trigger(when: TriggerWhen, action: TriggerAction) -> TriggerConfig {
    TriggerConfig {
        when,
        action,
        cooldown: Duration::from_secs(3600),
        timeout: Duration::from_secs(120),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_backup_triggers_one_incremental_backup_a_webhook_and_a_counted_failure() {
    crate::harness::init_logs();
    let root = crate::harness::root();
    let st = stanza(root.path(), "acme").await;
    st.backup("full").await;
    let hook = FakeHttp::start(204, "").await;
    let notified = FakeHttp::start(200, "{}").await;
    let config_path = root.path().join("backstop.toml");
    std::fs::write(
        &config_path,
        format!(
            "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n{}",
            root.path().join("state.db").display(),
            st.venture_toml("acme", "2s", "1m"),
        ),
    )
    .expect("config");
    let mut config = backstop::config::load(Some(&config_path)).expect("config loads");
    let v = &mut config.ventures[0];
    v.backup_max_age = Duration::from_secs(1);
    let backup = format!(
        "{} --stanza={} --config={} backup --type=incr",
        st.wrapper.display(),
        st.name,
        st.conf.display()
    );
    v.triggers = vec![
        trigger(TriggerWhen::BackupStale, TriggerAction::Run(backup)),
        trigger(
            TriggerWhen::BackupStale,
            TriggerAction::Webhook(Secret::new(format!("http://{}/hooks/s3cr3t", hook.addr))),
        ),
        trigger(
            TriggerWhen::BackupStale,
            TriggerAction::Run(
                "echo 'connecting to postgres://app:hunter22@db/x'; echo boom >&2; exit 3".into(),
            ),
        ),
    ];
    config.notify.push(NotifyConfig {
        min_severity: Severity::Warning,
        target: NotifyTarget::Webhook {
            url: Secret::new(format!("http://{}/notify", notified.addr)),
        },
    });
    let began = Instant::now();
    let agent = backstop::agent::start(&config).await.expect("agent starts");

    // Counters exist from the start, at 0.
    let text = metrics(&agent);
    for t in ["backup_stale", "backup_stale_2", "backup_stale_3"] {
        for outcome in ["ok", "failed"] {
            assert_eq!(runs(&text, t, outcome), Some(0.0), "{t} {outcome}:\n{text}");
        }
    }

    // The incremental backup runs and the next poll lists it.
    eventually(
        &agent,
        "the incr backup in the metrics",
        Duration::from_secs(120),
        |text| {
            runs(text, "backup_stale", "ok") == Some(1.0)
                && sample(
                    text,
                    "backstop_backup_last_success_timestamp_seconds",
                    &[("venture", "acme"), ("type", "incr")],
                )
                .is_some()
                && sample(
                    text,
                    "backstop_backups",
                    &[("venture", "acme"), ("status", "completed")],
                ) == Some(2.0)
        },
    )
    .await;
    eventually(
        &agent,
        "the failing trigger",
        Duration::from_secs(30),
        |text| {
            runs(text, "backup_stale_3", "failed") == Some(1.0)
                && runs(text, "backup_stale_2", "ok") == Some(1.0)
        },
    )
    .await;

    // The condition still holds (max age 1 s), but the cooldown is 1 h: nothing runs again.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let text = metrics(&agent);
    for (t, ok, failed) in [
        ("backup_stale", 1.0, 0.0),
        ("backup_stale_2", 1.0, 0.0),
        ("backup_stale_3", 0.0, 1.0),
    ] {
        assert_eq!(
            (runs(&text, t, "ok"), runs(&text, t, "failed")),
            (Some(ok), Some(failed)),
            "{t}:\n{text}"
        );
    }
    let info = st.info();
    let incr = info[0]["backup"]
        .as_array()
        .expect("backups")
        .iter()
        .filter(|b| b["type"] == "incr")
        .count();
    assert_eq!(incr, 1, "{info:#}");

    // The webhook got the event once; its URL went nowhere.
    let hits = hook.requests();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let body = hits[0].json();
    assert_eq!(
        (&body["venture"], &body["trigger"], &body["condition"]),
        (
            &"acme".into(),
            &"backup_stale_2".into(),
            &"backup_stale".into()
        ),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("backup_max_age")),
        "{body}"
    );

    // Recorded: a started and a finished event per run, output without the password.
    let store = backstop::store::Store::open(&config.agent.state)
        .await
        .expect("store");
    let events = store
        .events(&EventFilter {
            venture: Some("acme".into()),
            kind: Some("trigger".into()),
            ..Default::default()
        })
        .await
        .expect("events");
    let finished = |t: &str| -> Vec<serde_json::Value> {
        events
            .iter()
            .filter(|e| e.event.details["trigger"] == t && e.event.details["phase"] == "finished")
            .map(|e| e.event.details.clone())
            .collect()
    };
    assert_eq!(events.len(), 6, "{events:#?}");
    let backup_run = finished("backup_stale");
    assert_eq!(backup_run.len(), 1);
    assert_eq!(backup_run[0]["outcome"], "ok", "{backup_run:?}");
    let failed = finished("backup_stale_3");
    assert_eq!(failed[0]["outcome"], "failed");
    assert_eq!(failed[0]["result"], "exited with exit status: 3");
    let output = failed[0]["output"].as_str().expect("output");
    assert!(
        output.ends_with("boom") && !output.contains("hunter22"),
        "{output}"
    );
    let all = serde_json::to_string(&events).expect("json");
    assert!(
        !all.contains("s3cr3t") && !all.contains("hunter22"),
        "{all}"
    );

    // Notified: the failure as a warning; the successes (info) stay below min_severity.
    let deadline = Instant::now() + Duration::from_secs(20);
    let sent = loop {
        let sent: Vec<serde_json::Value> = notified.requests().iter().map(|r| r.json()).collect();
        if !sent.is_empty() || Instant::now() > deadline {
            break sent;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        (&sent[0]["event"], &sent[0]["severity"], &sent[0]["action"]),
        (
            &"trigger_backup_stale_3".into(),
            &"warning".into(),
            &"trigger".into()
        ),
        "{sent:#?}"
    );
    assert!(
        sent[0]["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("acme: trigger backup_stale_3 ran `echo")
                && s.ends_with("failed: exited with exit status: 3")),
        "{sent:#?}"
    );

    agent.shutdown().await.expect("shutdown");
    eprintln!("triggers test took {:?}", began.elapsed());
}
