//! Run-time objectives through the API on a running agent with a real pgBackRest stanza:
//! writes without or with a wrong token get a bare 401; a bad body 400 naming the field; a PUT
//! is on `/metrics` at the very next scrape, audited as `api:admin` with old → new, and kept
//! across an agent restart; DELETE returns to the configured values (audited too); past the
//! write limit every write, even with the right token, gets 429 with `Retry-After`.

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
