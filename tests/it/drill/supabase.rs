//! The logical drill of a Supabase venture (`backstop drill`, the real binary): a local cluster
//! stands in for the project (Supabase-like roles in policies and grants, an extension in the
//! `extensions` schema, a view, indexes, a few thousand rows in two schemas, the heartbeat),
//! reached with a password over TCP as a non-owner; the fake Management API reports a PITR
//! window. The drill passes: roles created, both schemas dumped in one snapshot and restored,
//! counts equal, the PITR plan checked and not executed, nothing left behind, the password
//! nowhere, while a writer keeps inserting. Without an endpoint the drill is `aborted`
//! (`no endpoint to dump`); an old pg_dump fails it with both versions named; a foreign key into
//! a schema not dumped fails the restore with that advice; a hung pg_dump is killed at the
//! drill's timeout.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use backstop::drill::heartbeat;
use chrono::Utc;

use super::{processes_using, stderr, step_names};
use crate::harness::supabase_api::{FakeProject, FakeSupabase};
use crate::harness::{self};

const TOKEN: &str = "sbp_5ecret0123456789abcdef0123456789abcdef";
const REF: &str = "abcdefghijklmnopqrst";
const PASSWORD: &str = "Pw-0f-the-app-r0le-9c1e";

/// The fake API, a directory, and the project stand-in when there is one.
struct Setup {
    root: tempfile::TempDir,
    api: FakeSupabase,
    cluster: Option<backstop::postgres::ScratchCluster>,
}

/// What the venture looks like.
struct Venture<'a> {
    endpoint: bool,
    pg_dump: Option<&'a Path>,
    timeout: &'a str,
}

const ALL: &str = r#"["public", "app", "backstop"]"#;

impl Setup {
    async fn new(with_cluster: bool) -> Setup {
        harness::init_logs();
        let root = harness::root();
        let now = Utc::now().timestamp();
        let api = FakeSupabase::start(&[TOKEN], 1000, Duration::from_secs(60)).await;
        api.put(REF, FakeProject::with_pitr(now - 7 * 86_400, now - 120));
        let cluster = if with_cluster {
            Some(project(root.path()).await)
        } else {
            None
        };
        Setup { root, api, cluster }
    }

    fn scratch(&self) -> PathBuf {
        self.root.path().join("scratch")
    }

    fn state(&self) -> PathBuf {
        self.root.path().join("state.db")
    }

    fn config(&self, v: &Venture<'_>, schemas: &str) -> PathBuf {
        let endpoint = if v.endpoint {
            "  [[ventures.endpoints]]\n  name = \"db\"\n  dsn_env = \"SHOP_DB_DSN\"\n  role = \"primary\"\n"
        } else {
            ""
        };
        let pg_dump = v
            .pg_dump
            .map(|p| format!("  pg_dump = \"{}\"\n", p.display()))
            .unwrap_or_default();
        let body = format!(
            r#"[agent]
state = "sqlite:{state}"
scratch_dir = "{scratch}"

[[ventures]]
name = "shop"
{endpoint}
  [ventures.backups]
  kind = "supabase"
  project_ref = "{REF}"
  token_env = "TEST_SUPABASE_TOKEN"
  api_url = "{api}"

  [ventures.heartbeat]
  enabled = true

  [ventures.drill]
  timeout = "{timeout}"
  target = "random"
  dump_schemas = {schemas}
  assertions = ["SELECT count(*) = 3000 FROM public.profiles", "SELECT count(*) > 0 FROM public.big_orders"]
{pg_dump}"#,
            state = self.state().display(),
            scratch = self.scratch().display(),
            api = self.api.url(),
            timeout = v.timeout,
        );
        let path = self.root.path().join("backstop.toml");
        std::fs::write(&path, body).expect("write config");
        path
    }

    fn dsn(&self) -> String {
        let port = self.cluster.as_ref().map_or(1, |c| c.port());
        format!("postgres://app:{PASSWORD}@127.0.0.1:{port}/appdb?sslmode=disable")
    }

    /// `backstop drill --venture shop --json` off the runtime's threads: exit code, JSON, all output.
    async fn drill(
        &self,
        v: &Venture<'_>,
        schemas: &str,
    ) -> (Option<i32>, serde_json::Value, String) {
        let config = self.config(v, schemas);
        let dsn = self.dsn();
        let out: Output = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_backstop"))
                .arg("--config")
                .arg(&config)
                .args(["drill", "--venture", "shop", "--json"])
                .env_remove("SENTRY_DSN")
                .env("BACKSTOP_LOG", "debug")
                .env("TEST_SUPABASE_TOKEN", TOKEN)
                .env("SHOP_DB_DSN", dsn)
                .output()
                .expect("backstop runs")
        })
        .await
        .expect("join");
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
        assert!(!all.contains(TOKEN), "the token leaked:\n{all}");
        let json = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("drill JSON: {e}\n{all}"));
        (out.status.code(), json, all)
    }

    /// The store file holds no password (its bytes, WAL included).
    fn assert_store_secret_free(&self) {
        for entry in std::fs::read_dir(self.root.path()).expect("root").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("state.db") {
                let bytes = std::fs::read(entry.path()).expect("store file");
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(PASSWORD), "the password is in {name}");
            }
        }
    }

    fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.scratch().join("drills"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn last_drill(&self) -> backstop::store::DrillRecord {
        let store = backstop::store::Store::open(&backstop::secret::Secret::new(format!(
            "sqlite:{}",
            self.state().display()
        )))
        .await
        .expect("store");
        store
            .last_drill("shop")
            .await
            .expect("store")
            .expect("a recorded drill")
    }
}

/// A cluster standing in for the Supabase project: database `appdb`, password login for `app`
/// (not the owner: `pg_read_all_data` and BYPASSRLS, like Supabase's `postgres`) over TCP.
async fn project(root: &Path) -> backstop::postgres::ScratchCluster {
    let cluster = harness::started(root, "project", &[]).await;
    let hba = "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
    std::fs::write(cluster.data_dir().join("pg_hba.conf"), hba).expect("pg_hba");
    cluster
        .exec(&format!(
            "SELECT pg_reload_conf(); \
             CREATE ROLE app LOGIN BYPASSRLS PASSWORD '{PASSWORD}'; GRANT pg_read_all_data TO app; \
             CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN; CREATE ROLE reporting NOLOGIN"
        ))
        .await
        .expect("roles");
    cluster.exec("CREATE DATABASE appdb").await.expect("appdb");
    let client = appdb(&cluster).await;
    let table = "backstop.heartbeat";
    client
        .batch_execute(&format!(
            "CREATE SCHEMA extensions; CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
             CREATE TABLE public.profiles (
                 id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
                 email text NOT NULL UNIQUE,
                 token bytea NOT NULL DEFAULT extensions.gen_random_bytes(8),
                 created_at timestamptz NOT NULL DEFAULT now());
             ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
             CREATE POLICY own_profile ON public.profiles FOR SELECT TO authenticated USING (true);
             CREATE POLICY reports ON public.profiles FOR SELECT TO reporting USING (true);
             GRANT SELECT ON public.profiles TO anon;
             INSERT INTO public.profiles (email) SELECT 'user' || g || '@example.com' FROM generate_series(1, 3000) g;
             CREATE SCHEMA app;
             CREATE TABLE app.orders (
                 id bigint PRIMARY KEY,
                 profile uuid NOT NULL REFERENCES public.profiles (id),
                 amount numeric(10, 2) NOT NULL);
             CREATE INDEX orders_amount ON app.orders (amount);
             INSERT INTO app.orders SELECT n, id, n % 100
               FROM (SELECT id, row_number() OVER () AS n FROM public.profiles LIMIT 2000) p;
             CREATE TABLE app.events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
             CREATE VIEW public.big_orders AS SELECT o.id, p.email, o.amount FROM app.orders o JOIN public.profiles p ON p.id = o.profile WHERE o.amount > 50;
             GRANT SELECT ON public.big_orders TO authenticated;
             {create}; {write};",
            create = heartbeat::create_sql(table),
            write = heartbeat::write_sql(table).replace("now()", "now() - interval '2 seconds'"),
        ))
        .await
        .expect("schema");
    cluster
}

/// A connection to the project's database as `postgres`.
async fn appdb(cluster: &backstop::postgres::ScratchCluster) -> tokio_postgres::Client {
    let dsn = backstop::secret::Secret::new(format!(
        "host=127.0.0.1 port={} user=postgres dbname=appdb sslmode=disable",
        cluster.port()
    ));
    backstop::postgres::connect(&dsn, &Default::default())
        .await
        .expect("appdb")
}

/// A `pg_dump` script printing `version` and then doing `then`.
fn fake_pg_dump(dir: &Path, version: &str, then: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("pg_dump");
    std::fs::write(
        &path,
        format!("#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) {version}'; exit 0; fi\n{then}\n"),
    )
    .expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supabase_drill_dumps_and_restores_the_project_with_equal_counts() {
    let s = Setup::new(true).await;
    let v = Venture {
        endpoint: true,
        pg_dump: None,
        timeout: "120s",
    };
    // A writer keeps inserting while the drill dumps: the counts must still match the snapshot.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let client = appdb(s.cluster.as_ref().expect("cluster")).await;
        tokio::spawn(async move {
            let mut written = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                client
                    .batch_execute("INSERT INTO app.events DEFAULT VALUES")
                    .await
                    .ok();
                written += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            written
        })
    };
    let (code, json, all) = s.drill(&v, ALL).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert_eq!(code, Some(0), "{json:#}\n{all}");
    assert_eq!(json["outcome"], "passed", "{json:#}");
    assert_eq!(
        step_names(&json),
        [
            "prepare",
            "dump",
            "restore",
            "validate",
            "pitr_plan",
            "cleanup"
        ]
    );
    let steps = json["steps"].as_array().expect("steps");
    assert!(steps.iter().all(|s| s["ok"] == true), "{json:#}");
    let detail = |i: usize| steps[i]["detail"].as_str().expect("detail").to_owned();
    for count in [
        "app.orders=2000",
        "backstop.heartbeat=1",
        "public.profiles=3000",
    ] {
        assert!(detail(0).contains(count), "{count} in {}", detail(0));
    }
    assert!(detail(0).contains("source PostgreSQL 15"), "{}", detail(0));
    let in_snapshot: i64 = detail(0)
        .split("app.events=")
        .nth(1)
        .and_then(|t| t.split(',').next())
        .and_then(|n| n.parse().ok())
        .expect("events counted");
    let total: i64 = appdb(s.cluster.as_ref().expect("cluster"))
        .await
        .query_one("SELECT count(*) FROM app.events", &[])
        .await
        .expect("count")
        .get(0);
    assert!(
        written > 0 && in_snapshot < total,
        "{in_snapshot} in the snapshot, {total} now"
    );
    for role in [
        "anon",
        "authenticated",
        "service_role",
        "supabase_admin",
        "reporting",
        "app",
    ] {
        assert!(detail(2).contains(role), "{role} in {}", detail(2));
    }
    assert!(detail(2).contains("pgcrypto (extensions)"), "{}", detail(2));
    assert!(
        detail(3).contains("4 table counts equal to the snapshot's"),
        "{}",
        detail(3)
    );
    assert!(detail(3).contains("2 assertions held"), "{}", detail(3));
    assert!(detail(4).contains("inside the window"), "{}", detail(4));
    assert!(detail(4).contains("not executed"), "{}", detail(4));
    let rto = json["rto_seconds"].as_f64().expect("rto");
    let rpo = json["rpo_seconds"].as_f64().expect("rpo");
    eprintln!(
        "measured: RTO {rto:.2}s, RPO {rpo:.2}s; steps {:#}",
        json["steps"]
    );
    assert!(rto > 0.0 && rto < 120.0, "RTO {rto}");
    // The heartbeat was written 2 s before the snapshot; the dump took well under a minute.
    assert!((2.0..60.0).contains(&rpo), "RPO {rpo}");
    assert_eq!(json["rpo_basis"], "heartbeat");
    assert_eq!(json["target"], "snapshot");
    assert!(json["target_time"].is_string(), "{json:#}");
    assert_eq!(
        s.api.with(REF, |p| p.restores.len()),
        0,
        "restore-pitr called"
    );

    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
    assert!(processes_using(&s.scratch()).is_empty());
    let last = s.last_drill().await;
    assert_eq!(last.outcome, "passed");
    assert_eq!(last.steps.len(), 6);
    s.assert_store_secret_free();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supabase_drill_without_an_endpoint_is_aborted() {
    let s = Setup::new(false).await;
    let v = Venture {
        endpoint: false,
        pg_dump: None,
        timeout: "120s",
    };
    let (code, json, all) = s.drill(&v, ALL).await;
    assert_eq!(code, Some(2), "{json:#}\n{all}");
    assert_eq!(json["outcome"], "aborted", "{json:#}");
    assert_eq!(json["reason"], "no endpoint to dump");
    let last = s.last_drill().await;
    assert_eq!(last.outcome, "aborted");
    assert_eq!(last.reason.as_deref(), Some("no endpoint to dump"));
    assert!(s.leftovers().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_pg_dump_fails_the_drill_naming_both_versions() {
    let s = Setup::new(true).await;
    let fake = fake_pg_dump(s.root.path(), "11.0", "echo 'should not run' >&2; exit 1");
    let v = Venture {
        endpoint: true,
        pg_dump: Some(&fake),
        timeout: "120s",
    };
    let (code, json, all) = s.drill(&v, ALL).await;
    assert_eq!(code, Some(2), "{json:#}\n{all}");
    assert_eq!(json["outcome"], "failed", "{json:#}");
    let reason = json["reason"].as_str().expect("reason");
    for part in [
        "is PostgreSQL 11",
        "PostgreSQL 15",
        "postgresql-client-15",
        "[ventures.drill] pg_dump",
    ] {
        assert!(reason.contains(part), "{part} in {reason}");
    }
    assert_eq!(json["steps"][0]["name"], "prepare");
    assert_eq!(json["steps"][0]["ok"], false);
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
    s.assert_store_secret_free();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_outside_the_dumped_schemas_fails_the_restore_with_advice() {
    let s = Setup::new(true).await;
    appdb(s.cluster.as_ref().expect("cluster"))
        .await
        .batch_execute(
            "CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);
             INSERT INTO auth.users SELECT id FROM public.profiles;
             ALTER TABLE public.profiles ADD FOREIGN KEY (id) REFERENCES auth.users (id);",
        )
        .await
        .expect("auth.users");
    let v = Venture {
        endpoint: true,
        pg_dump: None,
        timeout: "120s",
    };
    let (code, json, all) = s.drill(&v, r#"["public", "app"]"#).await;
    assert_eq!(code, Some(2), "{json:#}\n{all}");
    assert_eq!(json["outcome"], "failed", "{json:#}");
    let reason = json["reason"].as_str().expect("reason");
    assert!(reason.starts_with("restore failed: "), "{reason}");
    assert!(
        reason.contains("add that schema to [ventures.drill] dump_schemas"),
        "{reason}"
    );
    let excerpt = json["log_excerpt"].as_str().expect("excerpt");
    eprintln!("reason: {reason}\nexcerpt: {excerpt}");
    assert!(excerpt.contains("auth.users"), "{excerpt}");
    assert_eq!(
        step_names(&json),
        ["prepare", "dump", "restore", "pitr_plan", "cleanup"]
    );
    assert_eq!(json["steps"][4]["ok"], true, "{json:#}");
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
    assert!(processes_using(&s.scratch()).is_empty());
    s.assert_store_secret_free();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_pg_dump_is_killed_at_the_drill_timeout() {
    let s = Setup::new(true).await;
    let fake = fake_pg_dump(s.root.path(), "15.0", "exec sleep 987");
    let v = Venture {
        endpoint: true,
        pg_dump: Some(&fake),
        timeout: "3s",
    };
    let started = std::time::Instant::now();
    let (code, json, all) = s.drill(&v, ALL).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, Some(2), "{json:#}\n{all}");
    assert_eq!(json["outcome"], "failed", "{json:#}");
    let reason = json["reason"].as_str().expect("reason");
    // Killed by its own limit (the drill's remaining time) or by the drill's timeout.
    assert!(reason.contains("did not finish within"), "{reason}");
    let names = step_names(&json);
    assert_eq!(names[0], "prepare");
    assert_eq!(
        names[names.len() - 2..],
        ["pitr_plan", "cleanup"],
        "{json:#}"
    );
    assert!(s.leftovers().is_empty(), "{:?}", s.leftovers());
    assert!(
        processes_using(Path::new("sleep 987")).is_empty(),
        "pg_dump left running"
    );
    assert!(processes_using(&s.scratch()).is_empty());
}
