//! Every read endpoint of the API on a running agent with two ventures: a real pgBackRest 2.45
//! stanza (full backup, archived segments, incremental; then one archived segment between the
//! backups is deleted, so the window has two pieces and a gap) and a Supabase project on the
//! fake Management API. Status codes and shapes; `recovery-points` inside each piece (the right
//! base backup, WAL range and restore command), in the gap (not recoverable, the reason names
//! the gap), before and after the window, and a bad `at` (400); the Supabase restore command;
//! 404 for an unknown venture; today's size sample. Finally no answer contains the cluster's
//! password, the admin token or the Supabase token.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use backstop::config;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

use super::client::Client;
use crate::harness::pgbackrest::{stanza, Stanza};
use crate::harness::supabase_api::{FakeProject, FakeSupabase};
use crate::harness::{self, wait_until};

const PASSWORD: &str = "pw-Kn0wn-views-7731";
const ADMIN: &str = "admin-T0ken-views-4411";
const SB_TOKEN: &str = "sbp_views0123456789abcdef0123456789abcdef";
const REF: &str = "viewsviewsviewsviews";

/// Archived WAL segments of the stanza: (name, repository file).
fn repo_segments(st: &Stanza) -> Vec<(String, PathBuf)> {
    let mut dirs = vec![st
        .conf
        .parent()
        .expect("stanza dir")
        .join("repo/archive")
        .join(&st.name)];
    let mut found = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read repo dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                dirs.push(path.clone());
            } else if name.len() > 25
                && name.as_bytes()[24] == b'-'
                && name[..24].bytes().all(|b| b.is_ascii_hexdigit())
            {
                found.push((name[..24].to_owned(), path.clone()));
            }
        }
    }
    found.sort();
    found
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_endpoint_answers_with_its_shape_and_no_secret() {
    harness::init_logs();
    let started = Instant::now();
    let root = harness::root();
    let st = stanza(root.path(), "apiv").await;
    st.cluster
        .exec(&format!("ALTER USER postgres PASSWORD '{PASSWORD}'"))
        .await
        .expect("password");
    st.backup("full").await;
    for i in 0..3 {
        // Whole seconds between segments, so the gap has a length in time.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        st.cluster
            .exec(&format!(
                "CREATE TABLE IF NOT EXISTS w{i} (id int); INSERT INTO w{i} VALUES (1);"
            ))
            .await
            .expect("write");
        st.archive_now().await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    st.backup("incr").await;
    let info = st.info();
    let backups = info[0]["backup"].as_array().expect("backups").clone();
    let (full, incr) = (&backups[0], &backups[1]);
    let full_label = full["label"].as_str().expect("label").to_owned();
    let incr_label = incr["label"].as_str().expect("label").to_owned();
    let (full_end, incr_start) = (
        full["archive"]["stop"].as_str().expect("stop").to_owned(),
        incr["archive"]["start"].as_str().expect("start").to_owned(),
    );
    let between: Vec<(String, PathBuf)> = repo_segments(&st)
        .into_iter()
        .filter(|(n, _)| *n > full_end && *n < incr_start)
        .collect();
    assert!(
        between.len() >= 2,
        "{between:?} ({full_end} .. {incr_start})"
    );
    let (removed, file) = between[between.len() / 2].clone();
    std::fs::remove_file(&file).expect("remove a segment");

    let now = Utc::now().timestamp();
    let (sb_earliest, sb_latest) = (now - 3 * 86_400, now - 120);
    let fake = FakeSupabase::start(&[SB_TOKEN], 1000, Duration::from_secs(60)).await;
    fake.put(REF, FakeProject::with_pitr(sb_earliest, sb_latest));

    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{state}\"\nadmin_token_env = \"V_ADMIN\"\n\n\
         {pg}  [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn_env = \"V_PG1_DSN\"\n  role = \"primary\"\n\n\
         [[ventures]]\nname = \"shop-sb\"\n  [ventures.backups]\n  kind = \"supabase\"\n  \
         project_ref = \"{REF}\"\n  token_env = \"V_SB_TOKEN\"\n  api_url = \"{api}\"\n",
        state = root.path().join("state.db").display(),
        pg = st.venture_toml("shop-pg", "300ms", "300ms"),
        api = fake.url(),
    );
    let env: HashMap<String, String> = [
        ("V_ADMIN", ADMIN.to_owned()),
        ("V_SB_TOKEN", SB_TOKEN.to_owned()),
        (
            "V_PG1_DSN",
            format!(
                "host=127.0.0.1 port={} user=postgres password={PASSWORD} dbname=postgres sslmode=disable",
                st.cluster.port()
            ),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let cfg = config::load_str(&toml, "views.toml", &|k: &str| env.get(k).cloned())
        .expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    wait_until(
        &agent.state,
        Duration::from_secs(30),
        "both sources polled",
        |s| {
            let snap = s.load();
            let pieces = |name: &str| {
                snap.venture(name)
                    .and_then(|v| v.source.as_ref())
                    .and_then(|src| src.window.as_ref())
                    .map(|w| w.pieces.len())
            };
            pieces("shop-pg") == Some(2) && pieces("shop-sb") == Some(1)
        },
    )
    .await;
    let c = Client::new(agent.addr);

    // The list: both ventures, in configuration order, with a readiness.
    let list = c.get("/api/v1/ventures", 200).await;
    let ventures = list["ventures"].as_array().expect("ventures");
    let names: Vec<&str> = ventures.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, ["shop-pg", "shop-sb"]);
    for v in ventures {
        assert!(
            ["ok", "warning", "critical"].contains(&v["readiness"].as_str().expect("readiness")),
            "observed ventures have a known readiness: {v:#}"
        );
        assert!(v["findings"].is_array());
    }
    let pg = &ventures[0];
    assert_eq!(pg["source"], "pgbackrest");
    assert!(
        pg["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["rule"] == "pitr_window_split"),
        "the gap is a finding: {pg:#}"
    );
    assert_eq!(ventures[1]["source"], "supabase");

    // One venture, its backups and its window.
    let detail = c.get("/api/v1/ventures/shop-pg", 200).await;
    assert_eq!(detail["name"], "shop-pg");
    assert_eq!(detail["objectives"]["rpo"], "15m");
    assert_eq!(detail["endpoint_states"][0]["name"], "pg1");
    assert_eq!(detail["backups"]["count"], 2);
    assert_eq!(detail["pitr"]["pieces"].as_array().map(Vec::len), Some(2));
    let b = c.get("/api/v1/ventures/shop-pg/backups", 200).await;
    assert_eq!(b["source"], "pgbackrest");
    assert_eq!(b["count"], 2);
    assert_eq!(b["by_status"]["completed"], 2);
    assert_eq!(b["last_backup"]["label"], incr_label.as_str());
    assert_eq!(b["last_backup"]["type"], "incr");
    assert!(b["last_backup"]["size_bytes"].as_u64().expect("size") > 0);
    let rows = b["backups"].as_array().expect("rows");
    assert_eq!(rows[0]["label"], full_label.as_str());
    assert!(rows.iter().all(|r| r["verdict"] == "kept"), "{b:#}");
    assert!(b["repository_size_bytes"].as_u64().expect("repo size") > 0);
    let p = c.get("/api/v1/ventures/shop-pg/pitr", 200).await;
    assert_eq!(p["enabled"], true);
    assert_eq!(p["missing_segments"], 1);
    assert_eq!(p["gaps"][0]["missing_names"], serde_json::json!([removed]));
    let pieces = p["pieces"].as_array().expect("pieces").clone();
    assert_eq!(pieces[0]["base_backup"], full_label.as_str());
    assert_eq!(pieces[1]["base_backup"], incr_label.as_str());
    assert_eq!(p["earliest"], pieces[0]["start"]);
    assert!(p["exposure_seconds"].is_u64() && p["coverage_seconds"].is_u64());

    // Recovery points: inside each piece, in the gap, before and after the window.
    let rp = |t: String| format!("/api/v1/ventures/shop-pg/recovery-points?at={t}");
    let (p0s, p0e) = (time(&pieces[0]["start"]), time(&pieces[0]["end"]));
    let (p1s, p1e) = (time(&pieces[1]["start"]), time(&pieces[1]["end"]));
    assert!(p1s - p0e >= TimeDelta::seconds(1), "a gap in time: {p:#}");
    let inside = c.get(&rp(at(p1s + (p1e - p1s) / 2)), 200).await;
    assert_eq!(inside["recoverable"], true, "{inside:#}");
    assert_eq!(inside["backup"]["label"], incr_label.as_str());
    assert_eq!(inside["backup"]["type"], "incr");
    assert_eq!(inside["wal_range"]["from"], pieces[1]["first_segment"]);
    let command = inside["command"].as_str().expect("command");
    for part in [
        format!("--stanza={}", st.name),
        format!("--set={incr_label}"),
        "restore".to_owned(),
        "--type=time".to_owned(),
        "--target=".to_owned(),
        "--archive-mode=off".to_owned(),
    ] {
        assert!(command.contains(&part), "{part} not in {command}");
    }
    let first = c.get(&rp(at(p0s + (p0e - p0s) / 2)), 200).await;
    assert_eq!(first["recoverable"], true, "{first:#}");
    assert_eq!(first["backup"]["label"], full_label.as_str());
    let gap = c.get(&rp(at(p0e + (p1s - p0e) / 2)), 200).await;
    assert_eq!(gap["recoverable"], false, "{gap:#}");
    assert!(
        gap["reason"].as_str().expect("reason").contains("gap"),
        "{gap:#}"
    );
    assert_eq!(
        (&gap["backup"], &gap["command"], &gap["wal_range"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    let before = c.get(&rp(at(p0s - TimeDelta::hours(1))), 200).await;
    assert_eq!(before["recoverable"], false);
    assert!(
        before["reason"]
            .as_str()
            .expect("reason")
            .contains("before the recovery window"),
        "{before:#}"
    );
    let after = c.get(&rp(at(Utc::now() + TimeDelta::hours(1))), 200).await;
    assert_eq!(after["recoverable"], false);
    assert!(
        after["reason"]
            .as_str()
            .expect("reason")
            .contains("after the recovery window"),
        "{after:#}"
    );
    let relative = c.get(&rp("-1m".to_owned()), 200).await;
    assert!(relative["reason"].is_string());
    for bad in ["yesterday", "2026-13-01T00:00:00Z", ""] {
        let e = c.get(&rp(bad.to_owned()), 400).await;
        assert!(e["error"].as_str().expect("error").contains("at"), "{e:#}");
    }
    let e = c.get("/api/v1/ventures/shop-pg/recovery-points", 400).await;
    assert!(e["error"]
        .as_str()
        .expect("error")
        .contains("missing query parameter at"));

    // Supabase: its window, and restore-pitr as the command.
    let sp = c.get("/api/v1/ventures/shop-sb/pitr", 200).await;
    assert_eq!(sp["enabled"], true);
    assert_eq!(time(&sp["earliest"]).timestamp(), sb_earliest);
    let sb = |t: String| format!("/api/v1/ventures/shop-sb/recovery-points?at={t}");
    let target = sb_latest - 3600;
    let inside = c
        .get(
            &sb(at(DateTime::from_timestamp(target, 0).expect("t"))),
            200,
        )
        .await;
    assert_eq!(inside["recoverable"], true, "{inside:#}");
    assert_eq!(
        inside["command"],
        format!("supabase backups restore --project-ref {REF} -t {target}").as_str()
    );
    assert_eq!(inside["wal_range"], Value::Null);
    let outside = c
        .get(
            &sb(at(DateTime::from_timestamp(sb_earliest - 60, 0).expect("t"))),
            200,
        )
        .await;
    assert_eq!(outside["recoverable"], false);
    assert!(
        outside["reason"]
            .as_str()
            .expect("reason")
            .contains("before the PITR window"),
        "{outside:#}"
    );
    let sbb = c.get("/api/v1/ventures/shop-sb/backups", 200).await;
    assert_eq!(sbb["source"], "supabase");
    c.get("/api/v1/ventures/shop-sb", 200).await;

    // History endpoints: shapes (nothing happened yet but the agent's own records).
    for v in ["shop-pg", "shop-sb"] {
        let d = c.get(&format!("/api/v1/ventures/{v}/drills"), 200).await;
        assert_eq!(d["drills"], serde_json::json!([]));
        assert_eq!(d["rto_objective_seconds"], 4 * 3600);
        for (path, key) in [
            ("failovers", "failovers"),
            ("recoveries", "recoveries"),
            ("events", "events"),
        ] {
            let body = c.get(&format!("/api/v1/ventures/{v}/{path}"), 200).await;
            assert!(body[key].is_array(), "{path}: {body:#}");
        }
        let o = c
            .get(&format!("/api/v1/ventures/{v}/objectives"), 200)
            .await;
        assert_eq!(o["override"], Value::Null);
        assert_eq!(o["editable"], true);
        assert_eq!(o["in_force"], o["configured"]);
        let primary = c
            .send(
                reqwest::Method::GET,
                &format!("/api/v1/ventures/{v}/primary"),
                None,
                None,
            )
            .await;
        assert!([200, 503].contains(&primary.status), "{}", primary.body);
    }

    // Unknown ventures and paths.
    for path in [
        "",
        "/backups",
        "/pitr",
        "/drills",
        "/events",
        "/objectives",
        "/size-history",
        "/recovery-points?at=-1m",
    ] {
        let e = c.get(&format!("/api/v1/ventures/nope{path}"), 404).await;
        assert!(
            e["error"].as_str().expect("error").contains("nope"),
            "{e:#}"
        );
    }
    let doc = c.get("/api/v1/openapi.json", 200).await;
    assert!(doc["paths"]["/api/v1/ventures/{venture}/recovery-points"].is_object());

    // Today's size sample of the pgBackRest venture (the repository size), written by the agent.
    let deadline = Instant::now() + Duration::from_secs(30);
    let today = Utc::now().date_naive().to_string();
    loop {
        let h = c.get("/api/v1/ventures/shop-pg/size-history", 200).await;
        assert_eq!(h["days"], 90);
        let samples = h["samples"].as_array().expect("samples");
        if let Some(s) = samples.iter().find(|s| s["day"] == today.as_str()) {
            // The repository size (it may have grown since: archive_timeout archives more WAL).
            let bytes = s["bytes"].as_u64().expect("bytes");
            let then = b["repository_size_bytes"].as_u64().expect("repo size");
            assert!(bytes >= then, "{h:#} < {then}");
            break;
        }
        assert!(Instant::now() < deadline, "no sample of today: {h:#}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    c.assert_no_secret(&[PASSWORD, ADMIN, SB_TOKEN]);
    agent.shutdown().await.expect("shutdown");
    eprintln!("api views test: {:?}", started.elapsed());
}
