//! `backstop demo`: a throwaway PostgreSQL cluster archiving WAL into a local pgBackRest
//! repository, `archive_timeout` set, a full and a differential backup, a synthetic writer, and
//! the agent against it. Ctrl-C removes it all.

pub mod repo;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::DemoArgs;
use crate::config::{self, Config};
use crate::postgres::{PgError, ScratchCluster, ScratchOptions};

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The scratch cluster could not be created or started.
    #[error("demo cluster: {0}")]
    Cluster(#[from] PgError),
    /// The generated configuration was refused (a bug: please report it).
    #[error("demo configuration: {0}")]
    Config(#[from] config::ConfigError),
    /// The agent could not start.
    #[error(transparent)]
    Agent(#[from] crate::agent::AgentError),
    /// pgBackRest failed.
    #[error("demo repository: {0}")]
    Repo(String),
    /// A directory could not be prepared or removed.
    #[error("{what} {path}: {source}; choose another directory with --dir")]
    Dir {
        /// What was being done.
        what: &'static str,
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// The demo's only venture.
pub const VENTURE: &str = "demo";

/// Runs the demo until Ctrl-C or SIGTERM, then removes everything it created.
pub async fn run(config: &Config, args: &DemoArgs) -> Result<(), DemoError> {
    let root = args
        .dir
        .clone()
        .unwrap_or_else(|| config.agent.scratch_dir.join("demo"));
    let repo_dir = root.join("pgbackrest");
    // Leftovers of a demo that was killed are removed first.
    remove_dir(&repo_dir)?;
    let options = options(&repo::Repo::archive_command(
        &repo_dir.join("pgbackrest.conf"),
    ));
    let mut cluster = ScratchCluster::create(&root, "pg1", &options).await?;
    let outcome = match repo::Repo::create(&repo_dir, &cluster) {
        Ok(repo) => run_with(&mut cluster, &repo, &root, args).await,
        Err(e) => Err(e),
    };
    if let Err(e) = cluster.remove().await {
        eprintln!("backstop demo: removing the cluster failed: {e}");
    }
    let removed = remove_dir(&repo_dir);
    // Drills run with `backstop drill` against the demo leave their (empty) lock directory.
    let _ = std::fs::remove_dir_all(root.join("drills"));
    for file in ["backstop.toml", "state.db", "state.db-wal", "state.db-shm"] {
        let _ = std::fs::remove_file(root.join(file));
    }
    // The root itself only when empty: `--dir` may point at a directory holding other things.
    let _ = std::fs::remove_dir(&root);
    outcome.and(removed)
}

/// Settings of the demo cluster: archiving through pgBackRest, WAL switched at least every 60 s.
pub fn options(archive_command: &str) -> ScratchOptions {
    ScratchOptions {
        settings: vec![
            ("wal_level".into(), "replica".into()),
            ("archive_mode".into(), "on".into()),
            ("archive_command".into(), archive_command.to_string()),
            ("archive_timeout".into(), "60s".into()),
            ("shared_buffers".into(), "32MB".into()),
        ],
        wal_segment_size_mb: None,
    }
}

/// The agent configuration the demo runs with (a TOML document, loaded like any other).
pub fn config_toml(listen: std::net::SocketAddr, root: &Path, repo: &repo::Repo) -> String {
    format!(
        r#"[agent]
listen = "{listen}"
state = "sqlite:{state}"
scratch_dir = "{root}"
poll_interval = "5s"
size_interval = "1m"

[[ventures]]
name = "{VENTURE}"
rpo = "5m"
backup_max_age = "26h"

  [[ventures.endpoints]]
  name = "pg1"
  dsn_env = "BACKSTOP_DEMO_DSN"

  [ventures.backups]
  kind = "pgbackrest"
  stanza = "{stanza}"
  config = "{conf}"
  command = "{command}"
  poll_interval = "15s"
  repo_ls_interval = "30s"

  [ventures.heartbeat]
  enabled = true
  interval = "5s"

  [ventures.drill]
  timeout = "10m"
  assertions = ["SELECT count(*) >= 10000 FROM demo_writes"]
"#,
        state = root.join("state.db").display(),
        root = root.display(),
        stanza = repo::STANZA,
        conf = repo.conf.display(),
        command = repo.wrapper.display(),
    )
}

async fn run_with(
    cluster: &mut ScratchCluster,
    repo: &repo::Repo,
    root: &Path,
    args: &DemoArgs,
) -> Result<(), DemoError> {
    cluster.start().await?;
    cluster
        .exec("CREATE TABLE IF NOT EXISTS demo_writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), payload text NOT NULL)")
        .await?;
    println!("backstop demo: creating the pgBackRest stanza and a full backup …");
    repo.run(&["stanza-create"]).await?;
    repo.run(&["backup", "--type=full"]).await?;
    cluster
        .exec("INSERT INTO demo_writes (payload) SELECT 'seed ' || g FROM generate_series(1, 10000) g")
        .await?;
    println!("backstop demo: … and a differential backup");
    repo.run(&["backup", "--type=diff"]).await?;
    // Archive the newest segment now, so the window reaches the present from the first poll
    // (a fresh server may wait well past archive_timeout before its first forced switch).
    cluster.exec("SELECT pg_switch_wal()").await?;
    let dsn = cluster.dsn();
    let toml = config_toml(args.listen, root, repo);
    let config_file = root.join("backstop.toml");
    std::fs::write(&config_file, &toml).map_err(|source| DemoError::Dir {
        what: "writing",
        path: config_file.clone(),
        source,
    })?;
    let env = |name: &str| (name == "BACKSTOP_DEMO_DSN").then(|| dsn.expose().to_string());
    let agent_config = config::load_str(&toml, "demo configuration", &env)?;
    let agent = crate::agent::start(&agent_config).await?;
    let (stop_writer, writer_stopped) = tokio::sync::watch::channel(false);
    let writer = tokio::spawn(writer(dsn.clone(), writer_stopped));
    let with_env = format!(
        "BACKSTOP_DEMO_DSN='{}' backstop --config {}",
        dsn.expose(),
        config_file.display()
    );
    println!("backstop demo is running (Ctrl-C stops it and removes everything)");
    println!("  metrics:   http://{}/metrics", agent.addr);
    println!("  readiness: http://{}/readyz", agent.addr);
    println!(
        "  database:  psql \"host=127.0.0.1 port={} user=postgres dbname=postgres\"  (a writer inserts a row a second into demo_writes)",
        cluster.port()
    );
    println!(
        "  backups:   pgBackRest stanza {} in {}",
        repo::STANZA,
        repo.path.display()
    );
    println!(
        "  try:       curl -s http://{}/metrics | promtool check metrics",
        agent.addr
    );
    println!("             {with_env} check");
    println!("             {with_env} backups --venture {VENTURE}");
    println!("             {with_env} pitr --venture {VENTURE}");
    println!("             {with_env} drill --venture {VENTURE}");
    println!("             {with_env} report --venture {VENTURE} --since=-1d");
    crate::http::shutdown_signal().await;
    println!("backstop demo: stopping and removing {}", root.display());
    let _ = stop_writer.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    agent.shutdown().await?;
    Ok(())
}

/// Inserts one row a second until stopped; reconnects when the connection breaks.
async fn writer(dsn: crate::secret::Secret, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let opts = crate::postgres::ConnectOptions::default();
    let mut client = None;
    let mut n: u64 = 0;
    loop {
        if client.is_none() {
            client = crate::postgres::connect(&dsn, &opts).await.ok();
        }
        if let Some(c) = &client {
            n += 1;
            let payload = format!("synthetic row {n}");
            if c.execute("INSERT INTO demo_writes (payload) VALUES ($1)", &[&payload])
                .await
                .is_err()
            {
                client = None;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}

fn remove_dir(dir: &Path) -> Result<(), DemoError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(DemoError::Dir {
            what: "removing",
            path: dir.to_path_buf(),
            source,
        }),
    }
}
