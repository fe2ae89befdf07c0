//! Run-time objectives through the API on a running agent with a real pgBackRest stanza:
//! writes without or with a wrong token get a bare 401; a bad body 400 naming the field; a PUT
//! is on `/metrics` at the very next scrape, audited as `api:admin` with old → new, and kept
//! across an agent restart; DELETE returns to the configured values (audited too); past the
//! write limit every write, even with the right token, gets 429 with `Retry-After`. The
//! retention policy likewise: a PUT changes `backstop_retention_required_backups`, the backups'
//! verdicts and `backstop check` at once, and DELETE restores the configured policy.

use std::collections::HashMap;
use std::time::Instant;

use backstop::config;
use reqwest::Method;

use super::client::Client;
use crate::harness::http::sample;
use crate::harness::pgbackrest::stanza;
use crate::harness::{self};

const ADMIN: &str = "admin-T0ken-objectives-9157";
const PATH: &str = "/api/v1/ventures/acme/objectives";

async fn metric(c: &Client, name: &str) -> Option<f64> {
    let body = c.send(Method::GET, "/metrics", None, None).await.body;
    sample(&body, name, &[("venture", "acme")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objectives_change_at_once_are_audited_survive_a_restart_and_are_guarded() {
    harness::init_logs();
    let started = Instant::now();
    let root = harness::root();
    let st = stanza(root.path(), "apio").await;
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\nadmin_token_env = \"O_ADMIN\"\n\n{}",
        root.path().join("state.db").display(),
        st.venture_toml("acme", "1s", "1s").replacen(
            "name = \"acme\"\n",
            "name = \"acme\"\nrpo = \"15m\"\nbackup_max_age = \"26h\"\n",
            1
        ),
    );
    let env: HashMap<String, String> = [("O_ADMIN".to_owned(), ADMIN.to_owned())].into();
    let cfg = config::load_str(&toml, "objectives.toml", &|k: &str| env.get(k).cloned())
        .expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let c = Client::new(agent.addr);
    assert_eq!(
        metric(&c, "backstop_rpo_objective_seconds").await,
        Some(900.0)
    );

    // No token, a wrong token: 401 with nothing but "unauthorized"; nothing changed.
    let body = r#"{"rpo":"30s"}"#;
    for token in [None, Some("wrong-token"), Some("")] {
        let a = c.send(Method::PUT, PATH, token, Some(body)).await;
        assert_eq!(a.status, 401, "{token:?}: {}", a.body);
        assert_eq!(a.json(), serde_json::json!({"error": "unauthorized"}));
    }
    let a = c
        .send(Method::DELETE, PATH, Some("wrong-token"), None)
        .await;
    assert_eq!(a.status, 401);
    assert_eq!(
        metric(&c, "backstop_rpo_objective_seconds").await,
        Some(900.0)
    );

    // Validation names the field.
    let a = c
        .send(Method::PUT, PATH, Some(ADMIN), Some(r#"{"rpo":"soon"}"#))
        .await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.json()["error"]
            .as_str()
            .expect("error")
            .starts_with("rpo:"),
        "{}",
        a.body
    );
    let a = c
        .send(
            Method::PUT,
            "/api/v1/ventures/nope/objectives",
            Some(ADMIN),
            Some(body),
        )
        .await;
    assert_eq!(a.status, 404, "{}", a.body);

    // A change is in force at the next scrape.
    let a = c
        .send(
            Method::PUT,
            PATH,
            Some(ADMIN),
            Some(r#"{"rpo":"30s","backup_max_age":"2h"}"#),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.json();
    assert_eq!(view["in_force"]["rpo"], "30s");
    assert_eq!(view["in_force"]["backup_max_age_seconds"], 7200);
    assert_eq!(view["configured"]["rpo"], "15m");
    assert_eq!(
        view["overridden"],
        serde_json::json!(["rpo", "backup_max_age"])
    );
    assert_eq!(view["override"]["set_by"], "api:admin");
    assert_eq!(
        metric(&c, "backstop_rpo_objective_seconds").await,
        Some(30.0)
    );
    assert_eq!(
        metric(&c, "backstop_backup_max_age_objective_seconds").await,
        Some(7200.0)
    );
    assert_eq!(
        metric(&c, "backstop_rto_objective_seconds").await,
        Some(14400.0)
    );
    let detail = c.get("/api/v1/ventures/acme", 200).await;
    assert_eq!(
        detail["objectives"]["rpo_seconds"], 30,
        "views use the objectives in force"
    );
    // The PITR view's exposure is judged against the RPO in force.
    assert_eq!(
        c.get("/api/v1/ventures/acme/pitr", 200).await["rpo_seconds"],
        30
    );

    // Audited: who, when, old → new.
    let events = c.get("/api/v1/ventures/acme/events", 200).await;
    let set = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "objective_override_set")
        .unwrap_or_else(|| panic!("no audit event: {events:#}"))
        .clone();
    assert_eq!(set["actor"], "api:admin");
    let msg = set["message"].as_str().expect("message");
    assert!(
        msg.contains("rpo config → 30s") && msg.contains("backup_max_age config → 7200s"),
        "{msg}"
    );
    assert!(set["at"].is_string());

    // A second change merges; null returns one field to the configuration.
    let a = c
        .send(
            Method::PUT,
            PATH,
            Some(ADMIN),
            Some(r#"{"backup_max_age":null,"rto":"1h"}"#),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["overridden"], serde_json::json!(["rpo", "rto"]));
    assert_eq!(
        metric(&c, "backstop_backup_max_age_objective_seconds").await,
        Some(26.0 * 3600.0)
    );
    let events = c.get("/api/v1/ventures/acme/events", 200).await;
    let newest = &events["events"][0];
    assert!(
        newest["message"].as_str().is_some_and(
            |m| m.contains("rto config → 3600s") && m.contains("backup_max_age 7200s → config")
        ),
        "{newest:#}"
    );

    // Kept across a restart: in force before the first scrape of the new agent.
    agent.shutdown().await.expect("shutdown");
    let agent = backstop::agent::start(&cfg).await.expect("agent restarts");
    let c2 = Client::new(agent.addr);
    assert_eq!(
        metric(&c2, "backstop_rpo_objective_seconds").await,
        Some(30.0)
    );
    assert_eq!(
        metric(&c2, "backstop_rto_objective_seconds").await,
        Some(3600.0)
    );
    assert_eq!(c2.get(PATH, 200).await["in_force"]["rpo"], "30s");

    // DELETE: back to the configuration, audited.
    let a = c2.send(Method::DELETE, PATH, Some(ADMIN), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.json();
    assert_eq!(view["override"], serde_json::Value::Null);
    assert_eq!(view["in_force"], view["configured"]);
    assert_eq!(
        metric(&c2, "backstop_rpo_objective_seconds").await,
        Some(900.0)
    );
    assert_eq!(
        metric(&c2, "backstop_rto_objective_seconds").await,
        Some(14400.0)
    );
    let events = c2.get("/api/v1/ventures/acme/events", 200).await;
    let cleared = &events["events"][0];
    assert_eq!(cleared["kind"], "objective_override_cleared");
    assert_eq!(cleared["actor"], "api:admin");
    assert!(
        cleared["message"]
            .as_str()
            .is_some_and(|m| m.contains("rpo 30s → config")),
        "{cleared:#}"
    );

    // The write limit (10 a minute, shared by all writes; one used by the DELETE above):
    // then 429 with Retry-After, even with the right token and a good body.
    let mut limited = None;
    for i in 0..12 {
        let a = c2
            .send(Method::PUT, PATH, Some("wrong-token"), Some(body))
            .await;
        if a.status == 429 {
            limited = Some((i, a));
            break;
        }
        assert_eq!(a.status, 401, "{}", a.body);
    }
    let (i, a) = limited.expect("429 within the limit");
    assert_eq!(i, 9, "nine more writes pass the limiter after the DELETE");
    assert!(a
        .retry_after
        .as_deref()
        .and_then(|r| r.parse::<u64>().ok())
        .is_some_and(|r| r >= 1));
    let a = c2.send(Method::PUT, PATH, Some(ADMIN), Some(body)).await;
    assert_eq!(a.status, 429, "{}", a.body);
    assert_eq!(
        metric(&c2, "backstop_rpo_objective_seconds").await,
        Some(900.0)
    );

    c.assert_no_secret(&[ADMIN]);
    c2.assert_no_secret(&[ADMIN]);
    agent.shutdown().await.expect("shutdown");
    eprintln!("api objectives test: {:?}", started.elapsed());
}

/// `backstop check --json` for the config at `path`: its findings' rules for the venture.
fn check_rules(path: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["check", "--json", "--config"])
        .arg(path)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .env("O_ADMIN", ADMIN)
        .output()
        .expect("backstop check runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --json printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["ventures"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_owned))
        .collect()
}

async fn rule_metric(c: &Client, name: &str, rule: &str) -> Option<f64> {
    let body = c.send(Method::GET, "/metrics", None, None).await.body;
    sample(&body, name, &[("venture", "acme"), ("rule", rule)])
}

/// The first backup's retention reasons and the unmet rules (`daily: 1 of 7`) from the API.
async fn verdicts(c: &Client) -> (Vec<String>, Vec<String>) {
    let view = c.get("/api/v1/ventures/acme/backups", 200).await;
    let reasons = view["backups"][0]["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("no backup: {view:#}"))
        .iter()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    let unmet = view["unmet_rules"]
        .as_array()
        .expect("unmet_rules")
        .iter()
        .map(|r| {
            format!(
                "{}: {} of {}",
                r["rule"].as_str().unwrap_or("?"),
                r["kept"],
                r["required"]
            )
        })
        .collect();
    (reasons, unmet)
}

/// Waits until the agent has polled the stanza and seen its backup (`rule` keeps one).
async fn polled(c: &Client, rule: &str) {
    let start = Instant::now();
    while rule_metric(c, "backstop_retention_kept_backups", rule)
        .await
        .is_none_or(|kept| kept < 1.0)
    {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "backstop_retention_kept_backups{{rule=\"{rule}\"}} not 1 within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_changes_at_once_is_validated_audited_and_survives_a_restart() {
    harness::init_logs();
    let started = Instant::now();
    let root = harness::root();
    let st = stanza(root.path(), "apiret").await;
    st.backup("full").await;
    // No `retention` in the file: the default policy (daily 7, weekly 4, monthly 12).
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\nadmin_token_env = \"O_ADMIN\"\n\n{}",
        root.path().join("state.db").display(),
        st.venture_toml("acme", "1s", "1s"),
    );
    let file = root.path().join("retention.toml");
    std::fs::write(&file, &toml).expect("write config");
    let env: HashMap<String, String> = [("O_ADMIN".to_owned(), ADMIN.to_owned())].into();
    let cfg = config::load_str(&toml, "retention.toml", &|k: &str| env.get(k).cloned())
        .expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let c = Client::new(agent.addr);
    polled(&c, "daily").await;
    let required = "backstop_retention_required_backups";
    let kept = "backstop_retention_kept_backups";
    assert_eq!(rule_metric(&c, required, "daily").await, Some(7.0));
    assert_eq!(rule_metric(&c, kept, "daily").await, Some(1.0));
    assert_eq!(rule_metric(&c, required, "last").await, None);
    let (reasons, unmet) = verdicts(&c).await;
    assert!(reasons.iter().any(|r| r == "daily snapshot"), "{reasons:?}");
    assert!(unmet.contains(&"daily: 1 of 7".to_owned()), "{unmet:?}");
    assert!(check_rules(&file).contains(&"retention_unmet".to_owned()));

    // A bad policy: 400 naming the rule, nothing stored.
    for (body, field) in [
        (r#"{"retention":{"daily":-2}}"#, "retention.daily:"),
        (r#"{"retention":{"keep_last":7}}"#, "retention.keep_last:"),
        (r#"{"retention":{"weekly":"4"}}"#, "retention.weekly:"),
        (r#"{"retention":[7]}"#, "retention:"),
    ] {
        let a = c.send(Method::PUT, PATH, Some(ADMIN), Some(body)).await;
        assert_eq!(a.status, 400, "{body}: {}", a.body);
        let error = a.json()["error"].as_str().expect("error").to_owned();
        assert!(error.starts_with(field), "{body}: {error}");
    }
    assert_eq!(c.get(PATH, 200).await["override"], serde_json::Value::Null);

    // A policy replaces the configured one as a whole, in force at the next scrape.
    let a = c
        .send(
            Method::PUT,
            PATH,
            Some(ADMIN),
            Some(r#"{"retention":{"last":1,"weekly":-1}}"#),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let view = a.json();
    assert_eq!(view["overridden"], serde_json::json!(["retention"]));
    assert_eq!(view["in_force"]["retention"]["last"], 1);
    assert_eq!(view["in_force"]["retention"]["daily"], 0);
    assert_eq!(view["configured"]["retention"]["daily"], 7);
    assert_eq!(view["override"]["retention"]["weekly"], -1);
    assert_eq!(view["override"]["rpo_seconds"], serde_json::Value::Null);
    assert_eq!(rule_metric(&c, required, "last").await, Some(1.0));
    assert_eq!(rule_metric(&c, kept, "last").await, Some(1.0));
    assert_eq!(rule_metric(&c, required, "daily").await, None);
    // Unlimited: as many as there are ISO weeks with a backup.
    assert_eq!(rule_metric(&c, required, "weekly").await, Some(1.0));
    let (reasons, unmet) = verdicts(&c).await;
    assert_eq!(reasons, ["last snapshot", "weekly snapshot"]);
    assert!(unmet.is_empty(), "{unmet:?}");
    assert!(
        !check_rules(&file).contains(&"retention_unmet".to_owned()),
        "check judges with the stored policy"
    );

    // Audited old → new.
    let events = c.get("/api/v1/ventures/acme/events", 200).await;
    let set = &events["events"][0];
    assert_eq!(
        (set["kind"].as_str(), set["actor"].as_str()),
        (Some("objective_override_set"), Some("api:admin"))
    );
    assert!(
        set["message"]
            .as_str()
            .is_some_and(|m| m.contains("retention config → { last = 1, weekly = -1 }")),
        "{set:#}"
    );

    // Kept across a restart.
    agent.shutdown().await.expect("shutdown");
    c.assert_no_secret(&[ADMIN]);
    let agent = backstop::agent::start(&cfg).await.expect("agent restarts");
    let c = Client::new(agent.addr);
    assert_eq!(c.get(PATH, 200).await["in_force"]["retention"]["last"], 1);
    polled(&c, "last").await;
    assert_eq!(rule_metric(&c, required, "last").await, Some(1.0));
    assert_eq!(rule_metric(&c, required, "daily").await, None);

    // DELETE: the configured policy again, at once, audited.
    let a = c.send(Method::DELETE, PATH, Some(ADMIN), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["in_force"], a.json()["configured"]);
    assert_eq!(rule_metric(&c, required, "daily").await, Some(7.0));
    assert_eq!(rule_metric(&c, required, "last").await, None);
    let (reasons, _) = verdicts(&c).await;
    assert!(reasons.iter().any(|r| r == "daily snapshot"), "{reasons:?}");
    let events = c.get("/api/v1/ventures/acme/events", 200).await;
    let cleared = &events["events"][0];
    assert_eq!(cleared["kind"], "objective_override_cleared");
    assert!(
        cleared["message"]
            .as_str()
            .is_some_and(|m| m.contains("retention { last = 1, weekly = -1 } → config")),
        "{cleared:#}"
    );
    agent.shutdown().await.expect("shutdown");
    eprintln!("api retention test: {:?}", started.elapsed());
}
