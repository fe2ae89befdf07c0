//! `backstop run` as a child process for the chaos tests that kill it or limit it: its log is
//! collected from a pipe (a pipe, not a file, so a file-size limit hits the store and not the
//! log), its config is a file in the test's root, and it is SIGKILLed when dropped. The config
//! is [`config_text`]: one pgBackRest venture `acme` on the chaos fake
//! ([`super::pgbackrest_hang::fake`]) with the admin token from [`TOKEN`].

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backstop::store::{DrillRecord, Store};

use super::{value, Scraper};

/// The admin token the agent reads from `CHAOS_ADMIN_TOKEN`.
pub const TOKEN: &str = "chaos-admin-token-8812";

/// Where a test's agent lives: its files in `root` and its fake pgBackRest.
pub struct World {
    pub root: tempfile::TempDir,
    pub script: PathBuf,
    pub port: u16,
}

impl World {
    /// A root with the fake and a config file; nothing runs yet.
    pub fn new() -> World {
        let root = crate::harness::root();
        let dir = root.path().join("fake");
        std::fs::create_dir_all(&dir).expect("fake dir");
        let script = super::pgbackrest_hang::fake(&dir);
        let port = backstop::postgres::scratch::free_local_port().expect("port");
        let w = World { root, script, port };
        std::fs::write(w.config(), w.config_text()).expect("config");
        w
    }

    pub fn fake_dir(&self) -> PathBuf {
        self.root.path().join("fake")
    }

    pub fn state(&self) -> PathBuf {
        self.root.path().join("state.db")
    }

    pub fn scratch(&self) -> PathBuf {
        self.root.path().join("scratch")
    }

    fn config(&self) -> PathBuf {
        self.root.path().join("chaos.toml")
    }

    fn config_text(&self) -> String {
        format!(
            "[agent]\nlisten = \"127.0.0.1:{}\"\nstate = \"sqlite:{}\"\nscratch_dir = \"{}\"\n\
             admin_token_env = \"CHAOS_ADMIN_TOKEN\"\n\n[[ventures]]\nname = \"acme\"\n  \
             [ventures.backups]\n  kind = \"pgbackrest\"\n  stanza = \"demo\"\n  config = \"{}\"\n  \
             command = \"{}\"\n  poll_interval = \"1s\"\n  timeout = \"5s\"\n  \
             [ventures.drill]\n  timeout = \"30s\"\n",
            self.port,
            self.state().display(),
            self.scratch().display(),
            self.fake_dir().join("pgbackrest.conf").display(),
            self.script.display()
        )
    }

    pub fn scraper(&self) -> Scraper {
        Scraper {
            addr: SocketAddr::from(([127, 0, 0, 1], self.port)),
        }
    }

    /// Starts the agent and waits for its first good poll.
    pub async fn spawn(&self) -> AgentProcess {
        let mut agent = AgentProcess::spawn(&self.config());
        let s = self.scraper();
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(s.addr).await.is_err() {
            agent.assert_running();
            assert!(
                Instant::now() < deadline,
                "never listened:\n{}",
                agent.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        s.until(Duration::from_secs(20), "the first poll", "acme", |b| {
            value(b, "backstop_source_up", "acme", &[("source", "pgbackrest")]) == Some(1.0)
        })
        .await;
        agent
    }

    /// The agent's store, opened beside it.
    pub async fn store(&self) -> Store {
        Store::open(&backstop::secret::Secret::new(format!(
            "sqlite:{}",
            self.state().display()
        )))
        .await
        .expect("open the agent's store")
    }

    /// Drill directories left under the scratch dir.
    pub fn drill_dirs(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.scratch().join("drills"))
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_dir())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A running `backstop run`.
pub struct AgentProcess {
    pub child: Child,
    log: Arc<Mutex<String>>,
}

impl AgentProcess {
    fn spawn(config: &Path) -> AgentProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .args(["run", "--config", config.to_str().expect("utf-8 path")])
            .env("CHAOS_ADMIN_TOKEN", TOKEN)
            .env("BACKSTOP_LOG", "backstop=info")
            .env_remove("SENTRY_DSN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn backstop run");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr pipe");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().expect("log lock");
                l.push_str(&line);
                l.push('\n');
            }
        });
        AgentProcess { child, log }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    /// Panics with the log when the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("the agent exited ({status}):\n{}", self.log());
        }
    }

    /// SIGKILL, and reap it.
    pub fn sigkill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().expect("reaped");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9)
        );
    }

    /// `prlimit --fsize` on the running process (soft limit; the hard one stays unlimited).
    pub fn file_size_limit(&self, soft: &str) {
        let out = Command::new("prlimit")
            .args([
                "--pid",
                &self.child.id().to_string(),
                &format!("--fsize={soft}:unlimited"),
            ])
            .output()
            .expect("prlimit missing: apt-get install -y util-linux");
        assert!(out.status.success(), "prlimit: {out:?}");
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `POST /api/v1/ventures/acme/drills` with the token: status and body.
pub async fn post_drill(addr: SocketAddr) -> (u16, String) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let resp = client
        .post(format!("http://{addr}/api/v1/ventures/acme/drills"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("POST a drill");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

/// Every drill of `acme` recorded in the last hour, oldest first.
pub async fn drills(store: &Store) -> Vec<DrillRecord> {
    let now = chrono::Utc::now();
    store
        .drills(
            "acme",
            now - chrono::TimeDelta::hours(1),
            now + chrono::TimeDelta::hours(1),
        )
        .await
        .expect("drills readable")
}

/// Waits until `n` drills are recorded and none runs; `log` is shown when not.
pub async fn until_finished(store: &Store, n: usize, log: impl Fn() -> String) -> Vec<DrillRecord> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = drills(store).await;
        if all.len() == n && all.iter().all(|d| d.finished_at.is_some()) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "want {n} finished drills: {all:#?}\n{}",
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
