//! The world the end-to-end observability test watches: three ventures on real components and
//! the agent over them, with short objectives (`rpo = "30s"`):
//! - `ha`: a primary and a streaming standby (heartbeat every second, so the standby's replay
//!   lag stays measured);
//! - `acme`: a pgBackRest stanza with a full backup, `archive_timeout = 10s`, the heartbeat, a
//!   recovery trigger, one repository verification and one DR drill run in the agent;
//! - `shop`: a Supabase project on the fake Management API with PITR, a recent backup, a
//!   retention policy and desired settings.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use backstop::agent::RunningAgent;
use backstop::config::{self, BackupsConfig, Config};
use backstop::drill::{run_drill, TargetRequest};
use backstop::sources::pgbackrest::Verifier;

use crate::harness::http::{get, sample};
use crate::harness::pgbackrest::{stanza, Stanza};
use crate::harness::replica::Pair;
use crate::harness::supabase_api::{project_ref, FakeBackup, FakeProject, FakeSupabase};

/// The ventures, as the dashboards' `venture` variable lists them.
pub const VENTURES: [&str; 3] = ["acme", "ha", "shop"];

const TOKEN: &str = "sbp_0b5e7a11c0ffee0123456789abcdef0123456789";
const TOKEN_ENV: &str = "OBS_SHOP_TOKEN";
/// Short objectives, so that alerts can fire within the test.
const OBJECTIVES: &str =
    "rpo = \"30s\"\nrto = \"2m\"\npitr_window = \"1h\"\nbackup_max_age = \"10m\"\n";

/// Everything the test watches; dropping it stops the clusters and the fake.
pub struct World {
    /// Held so that the clusters and the fake live as long as the world.
    #[allow(dead_code)]
    pub pair: Pair,
    pub acme: Stanza,
    #[allow(dead_code)]
    pub supabase: FakeSupabase,
    pub config: Config,
    pub agent: RunningAgent,
    /// The temp root, declared last so that it is removed after the clusters in it stopped
    /// (fields drop in declaration order).
    #[allow(dead_code)]
    pub root: tempfile::TempDir,
}

/// The agent's configuration for the three ventures.
fn toml(root: &std::path::Path, pair: &Pair, acme: &Stanza, api_url: &str) -> String {
    let pgbackrest = acme.venture_toml("acme", "2s", "5s").replacen(
        "name = \"acme\"\n",
        &format!("name = \"acme\"\n{OBJECTIVES}retention = {{ last = 1 }}\n"),
        1,
    );
    format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{root}/state.db\"\nscratch_dir = \"{root}/scratch\"\n\
         poll_interval = \"1s\"\nsize_interval = \"5s\"\n\n\
         {pgbackrest}\
         [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn = \"{acme_dsn}\"\n  role = \"primary\"\n\
         [ventures.heartbeat]\n  enabled = true\n  interval = \"1s\"\n\
         [ventures.drill]\n  timeout = \"90s\"\n\
         [[ventures.triggers]]\n  when = \"drill_failed\"\n  run = \"true\"\n  cooldown = \"1h\"\n\n\
         [[ventures]]\nname = \"ha\"\n{OBJECTIVES}\
         [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn = \"{p1}\"\n  role = \"primary\"\n\
         [[ventures.endpoints]]\n  name = \"pg2\"\n  dsn = \"{p2}\"\n  role = \"standby\"\n\
         [ventures.heartbeat]\n  enabled = true\n  interval = \"1s\"\n\n\
         [[ventures]]\nname = \"shop\"\n{OBJECTIVES}retention = {{ daily = 3 }}\n\
         [ventures.backups]\n  kind = \"supabase\"\n  poll_interval = \"5s\"\n  project_ref = \"{reference}\"\n  \
         token_env = \"{TOKEN_ENV}\"\n  api_url = \"{api_url}\"\n  desired_schedule = \"04:00\"\n  desired_pitr = \"pitr_7\"\n",
        root = root.display(),
        acme_dsn = acme.cluster.dsn().expose(),
        p1 = pair.primary_dsn().expose(),
        p2 = pair.standby_dsn().expose(),
        reference = project_ref(1),
    )
}

/// Starts the clusters, the stanza's backup, the fake Supabase and the agent.
pub async fn start() -> World {
    crate::harness::init_logs();
    let root = crate::harness::root();
    let (pair, acme) = tokio::join!(Pair::start(root.path()), stanza(root.path(), "acme"));
    acme.cluster
        .exec("ALTER SYSTEM SET archive_timeout = '10s'")
        .await
        .expect("archive_timeout");
    acme.cluster
        .exec("SELECT pg_reload_conf()")
        .await
        .expect("reload");
    acme.backup("full").await;

    let supabase = FakeSupabase::start(&[TOKEN], 1000, Duration::from_secs(60)).await;
    let now = chrono::Utc::now();
    let mut project = FakeProject::with_pitr(now.timestamp() - 7200, now.timestamp() - 30);
    project.backups = vec![FakeBackup::completed(
        &(now - chrono::Duration::hours(1)).to_rfc3339(),
    )];
    supabase.put(&project_ref(1), project);

    let text = toml(root.path(), &pair, &acme, &supabase.url());
    let env: HashMap<String, String> = [(TOKEN_ENV.to_owned(), TOKEN.to_owned())].into();
    let config = config::load_str(&text, "observability.toml", &|k: &str| env.get(k).cloned())
        .unwrap_or_else(|e| panic!("config loads: {e}\n{text}"));
    let agent = backstop::agent::start(&config).await.expect("agent starts");
    World {
        root,
        pair,
        acme,
        supabase,
        config,
        agent,
    }
}

impl World {
    /// The agent's `/metrics` (Prometheus text format).
    pub async fn metrics(&self) -> String {
        get(self.agent.addr, "/metrics", &[]).await.body
    }

    /// Waits until `/metrics` has a sample of `name` for `venture`.
    pub async fn wait_for_metric(&self, name: &str, venture: &str, limit: Duration) {
        let start = Instant::now();
        loop {
            let body = self.metrics().await;
            if sample(&body, name, &[("venture", venture)]).is_some() {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{name}{{venture={venture}}} not in /metrics within {limit:?}:\n{body}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Runs one `pgbackrest verify` of `acme` through the agent's verifier (published into its
    /// snapshot and store); asserts it passed.
    pub async fn verify(&self) {
        let Some(BackupsConfig::PgBackRest(cfg)) = self.config.ventures[0].backups.as_ref() else {
            panic!("acme is a pgBackRest venture")
        };
        let verifier =
            Verifier::new("acme", cfg, self.agent.store.clone()).expect("verify_schedule parses");
        let record = verifier.verify_now(&self.agent.state).await;
        assert_eq!(record.outcome, "passed", "verify: {}", record.detail);
    }

    /// Runs one DR drill of `acme` to the latest point inside the agent; asserts it passed.
    /// First waits until the agent's heartbeat has written a row and that WAL is archived
    /// (the drill measures RPO from the newest restored heartbeat).
    pub async fn drill(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let client = self.acme.cluster.client().await.expect("connect");
            let fresh = client
                .query_one(
                    "SELECT coalesce((SELECT now() - max(at) < interval '3 s' FROM backstop.heartbeat), false)",
                    &[],
                )
                .await
                .map(|r| r.get::<_, bool>(0))
                .unwrap_or(false);
            if fresh {
                break;
            }
            assert!(Instant::now() < deadline, "the heartbeat wrote no row");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.acme.archive_now().await;
        let outcome = run_drill(&self.agent.drills, "acme", TargetRequest::Latest)
            .await
            .expect("the drill runs");
        assert_eq!(outcome.outcome, "passed", "drill: {outcome:#?}");
    }

    /// Runs a pgBackRest backup of `acme` that fails (pointed at a closed port), so its
    /// `ERROR` lines reach the backup log the agent reads.
    pub fn fail_a_backup(&self) {
        let out = tokio::task::block_in_place(|| {
            self.acme
                .run(&["backup", "--type=incr", "--pg1-port=1", "--db-timeout=5"])
        });
        assert!(
            !out.status.success(),
            "a backup against a closed port succeeded: {}",
            crate::harness::pgbackrest::text(&out)
        );
    }

    /// Breaks WAL archiving on `acme`: `archive_command = 'false'`, reloaded, then WAL written
    /// and switched, so a segment waits and every attempt fails.
    pub async fn break_archiving(&self) {
        let c = &self.acme.cluster;
        c.exec("ALTER SYSTEM SET archive_command = 'false'")
            .await
            .expect("archive_command");
        c.exec("SELECT pg_reload_conf()").await.expect("reload");
        // The reload is asynchronous: wait until the new command is in force.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let row = c
                .client()
                .await
                .expect("connect")
                .query_one("SELECT current_setting('archive_command')", &[])
                .await
                .expect("archive_command");
            if row.get::<_, String>(0) == "false" {
                break;
            }
            assert!(Instant::now() < deadline, "archive_command not reloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.exec(
            "CREATE TABLE IF NOT EXISTS unarchived (id int, pad text); \
             INSERT INTO unarchived SELECT g, repeat('w', 500) FROM generate_series(1, 2000) g; \
             SELECT pg_switch_wal();",
        )
        .await
        .expect("write and switch WAL");
    }
}
