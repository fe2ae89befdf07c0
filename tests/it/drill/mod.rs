//! DR drills against a real pgBackRest 2.45 stanza: a passing `latest` drill with the heartbeat,
//! a drill to a point in time, a corrupted backup, SIGKILL mid-drill followed by cleanup, the
//! report over a passed and a failed drill, and the logical drill of a Supabase venture against
//! a local cluster standing in for it.

mod corrupt;
mod kill;
mod latest;
mod pitr;
mod report;
mod scheduled;
mod supabase;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::harness::pgbackrest::{stanza, text, Stanza};
use crate::harness::{self};

/// A stanza, its backstop config and paths.
pub struct Setup {
    pub root: tempfile::TempDir,
    pub st: Stanza,
    pub config: PathBuf,
    pub state: PathBuf,
    pub scratch: PathBuf,
}

/// A stanza named `acme` with `archive_timeout`, and a config whose venture has the endpoint,
/// the heartbeat (when `heartbeat`) every second, and `drill` lines for `[ventures.drill]`.
pub async fn setup(archive_timeout: &str, heartbeat: bool, drill: &str) -> Setup {
    harness::init_logs();
    let root = harness::root();
    let st = stanza(root.path(), "acme").await;
    st.cluster
        .exec(&format!(
            "ALTER SYSTEM SET archive_timeout = '{archive_timeout}'"
        ))
        .await
        .expect("archive_timeout");
    st.cluster
        .exec("SELECT pg_reload_conf()")
        .await
        .expect("reload");
    let state = root.path().join("state.db");
    let scratch = root.path().join("scratch");
    let config = root.path().join("backstop.toml");
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\nscratch_dir = \"{}\"\npoll_interval = \"1s\"\n\n{}\
         [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn = \"{}\"\n  role = \"primary\"\n\
         [ventures.heartbeat]\n  enabled = {heartbeat}\n  interval = \"1s\"\n\
         [ventures.drill]\n  timeout = \"60s\"\n{drill}\n",
        state.display(),
        scratch.display(),
        st.venture_toml("acme", "1m", "1m"),
        st.cluster.dsn().expose(),
    );
    std::fs::write(&config, toml).expect("config");
    Setup {
        root,
        st,
        config,
        state,
        scratch,
    }
}

impl Setup {
    /// The configuration as the agent loads it.
    pub fn load(&self) -> backstop::config::Config {
        backstop::config::load(Some(&self.config)).expect("config loads")
    }

    /// `backstop drill --venture acme <args> --json`, its exit code and JSON.
    pub fn drill(&self, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
        let out = self.backstop(&[&["drill", "--venture", "acme", "--json"], args].concat());
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "drill JSON: {e}\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                stderr(&out)
            )
        });
        (out.status.code(), json, stderr(&out))
    }

    /// The real binary with this config.
    pub fn backstop(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("backstop runs")
    }

    /// The real binary as a command (not started).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .env_remove("SENTRY_DSN")
            .env("BACKSTOP_LOG", "warn");
        cmd
    }

    /// `pgbackrest repo-ls --recurse --output=json` of the whole repository.
    pub fn repo_listing(&self) -> serde_json::Value {
        let out = self.st.run(&["repo-ls", "--recurse", "--output=json"]);
        assert!(out.status.success(), "repo-ls: {}", text(&out));
        serde_json::from_slice(&out.stdout).expect("repo-ls JSON")
    }

    /// Drill directories left under `scratch/drills` (lock files are not directories).
    pub fn leftover_dirs(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.scratch.join("drills"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The store this config uses.
    pub async fn store(&self) -> backstop::store::Store {
        backstop::store::Store::open(&backstop::secret::Secret::new(format!(
            "sqlite:{}",
            self.state.display()
        )))
        .await
        .expect("store")
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Processes whose command line mentions `path` (a leftover postmaster).
pub fn processes_using(path: &Path) -> Vec<String> {
    let needle = path.display().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

/// The step names of a drill's JSON.
pub fn step_names(json: &serde_json::Value) -> Vec<String> {
    json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["name"].as_str().expect("name").to_owned())
        .collect()
}
