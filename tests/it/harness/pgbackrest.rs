//! A real pgBackRest stanza for tests: a scratch cluster archiving through `archive-push`, a
//! `pgbackrest.conf` under the temp root (repo, log and lock dirs owned by `postgres`), and a
//! wrapper script that runs pgbackrest as the cluster's OS user, for the agent's `command`.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use backstop::postgres::scratch::make_server_dir;
use backstop::postgres::ScratchCluster;

use super::started;

/// A stanza with its cluster and files.
pub struct Stanza {
    /// The stanza name.
    pub name: String,
    /// The cluster being backed up.
    pub cluster: ScratchCluster,
    /// pgbackrest.conf.
    pub conf: PathBuf,
    /// Script running `pgbackrest "$@"` as the cluster's OS user (the agent's `command`).
    pub wrapper: PathBuf,
    /// `log-path`.
    pub log_dir: PathBuf,
}

/// The `postgres` OS user when we are root (pgBackRest must run as the cluster's owner).
fn server_user() -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let user = nix::unistd::User::from_name("postgres")
        .expect("user lookup")
        .expect("the postgres OS user exists: apt-get install -y postgresql-15");
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

fn write_file(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).expect("write file");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Creates the stanza `name` under `root`: cluster (1 MiB segments), config, `stanza-create`.
pub async fn stanza(root: &Path, name: &str) -> Stanza {
    which("pgbackrest", "apt-get install -y pgbackrest");
    let dir = root.join(format!("pgbr-{name}"));
    let (repo, log_dir, lock) = (dir.join("repo"), dir.join("log"), dir.join("lock"));
    std::fs::create_dir_all(&dir).expect("stanza dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    for d in [&repo, &log_dir, &lock] {
        make_server_dir(d).expect("server dir");
    }
    let conf = dir.join("pgbackrest.conf");
    let archive_command = format!(
        "pgbackrest --config={} --stanza={name} archive-push %p",
        conf.display()
    );
    let cluster = started(
        root,
        &format!("pg-{name}"),
        &[
            ("archive_mode", "on"),
            ("archive_command", &archive_command),
        ],
    )
    .await;
    write_file(
        &conf,
        &format!(
            "[global]\nrepo1-path={}\nrepo1-retention-full=99\nlog-path={}\nlock-path={}\n\
             start-fast=y\narchive-async=n\ncompress-type=none\nlog-level-console=warn\n\
             log-level-file=info\n\n[{name}]\npg1-path={}\npg1-port={}\npg1-socket-path={}\n",
            repo.display(),
            log_dir.display(),
            lock.display(),
            cluster.data_dir().display(),
            cluster.port(),
            cluster.dir().join("sock").display(),
        ),
        0o644,
    );
    let wrapper = dir.join("pgbackrest-as-postgres");
    let exec = match server_user() {
        Some(_) => "exec runuser -u postgres -- pgbackrest \"$@\"",
        None => "exec pgbackrest \"$@\"",
    };
    write_file(&wrapper, &format!("#!/bin/sh\n{exec}\n"), 0o755);
    let stanza = Stanza {
        name: name.to_owned(),
        cluster,
        conf,
        wrapper,
        log_dir,
    };
    let out = stanza.run(&["stanza-create"]);
    assert!(out.status.success(), "stanza-create: {}", text(&out));
    stanza
}

/// `stdout` + `stderr` as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Panics with the install command when `program` is not on PATH.
pub fn which(program: &str, install: &str) {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{program} is not installed: {install}");
}

impl Stanza {
    /// Runs `pgbackrest --config --stanza <args>` as the cluster's OS user.
    pub fn run(&self, args: &[&str]) -> Output {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        self.clone_args().run_owned(&args)
    }

    /// Runs a backup of `kind` (full, diff, incr) after writing a little data; panics on failure.
    pub async fn backup(&self, kind: &str) {
        self.cluster
            .exec(&format!(
                "CREATE TABLE IF NOT EXISTS t_{kind} (id int); INSERT INTO t_{kind} SELECT generate_series(1, 1000);"
            ))
            .await
            .expect("write");
        let stanza = self.clone_args();
        let args = ["backup".to_owned(), format!("--type={kind}")];
        let out = tokio::task::spawn_blocking(move || stanza.run_owned(&args))
            .await
            .expect("join");
        assert!(out.status.success(), "backup --type={kind}: {}", text(&out));
    }

    /// Switches WAL on the cluster and waits until the segment is archived.
    pub async fn archive_now(&self) {
        let client = self.cluster.client().await.expect("connect");
        let switched: String = client
            .query_one("SELECT pg_walfile_name(pg_switch_wal())", &[])
            .await
            .expect("switch")
            .get(0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let last: Option<String> = client
                .query_one("SELECT last_archived_wal FROM pg_stat_archiver", &[])
                .await
                .expect("archiver")
                .get(0);
            if last.as_deref().is_some_and(|l| l >= switched.as_str()) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{switched} was not archived"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// `pgbackrest info --output=json`, parsed.
    pub fn info(&self) -> serde_json::Value {
        let out = self.run(&["info", "--output=json"]);
        assert!(out.status.success(), "info: {}", text(&out));
        serde_json::from_slice(&out.stdout).expect("info JSON")
    }

    fn clone_args(&self) -> Runner {
        Runner {
            conf: self.conf.clone(),
            name: self.name.clone(),
            cwd: self.log_dir.clone(),
        }
    }

    /// A `[[ventures]]` table pointing the agent at this stanza through the wrapper.
    pub fn venture_toml(&self, venture: &str, poll: &str, repo_ls: &str) -> String {
        format!(
            "[[ventures]]\nname = \"{venture}\"\n  [ventures.backups]\n  kind = \"pgbackrest\"\n  \
             stanza = \"{}\"\n  config = \"{}\"\n  command = \"{}\"\n  poll_interval = \"{poll}\"\n  \
             repo_ls_interval = \"{repo_ls}\"\n  timeout = \"30s\"\n",
            self.name,
            self.conf.display(),
            self.wrapper.display()
        )
    }
}

/// What a blocking thread needs to run pgbackrest for a stanza.
struct Runner {
    conf: PathBuf,
    name: String,
    cwd: PathBuf,
}

impl Runner {
    fn run_owned(&self, args: &[String]) -> Output {
        let mut cmd = std::process::Command::new("pgbackrest");
        cmd.arg(format!("--config={}", self.conf.display()))
            .arg(format!("--stanza={}", self.name))
            .args(args)
            .current_dir(&self.cwd);
        if let Some((uid, gid)) = server_user() {
            cmd.uid(uid).gid(gid);
        }
        cmd.output().expect("pgbackrest runs")
    }
}

/// A fake `pgbackrest` in `dir`: the shell `script`, the `info` and `repo-ls` answers it prints
/// (`info.json`, `ls.json`), and a `pgbackrest.conf` whose `log-path` is `dir/log`. Returns the
/// script's path; the caller writes whatever mode files its script reads.
pub fn write_fake(dir: &Path, script: &str, info: &str, ls: &str) -> PathBuf {
    std::fs::write(dir.join("info.json"), info).expect("info");
    std::fs::write(dir.join("ls.json"), ls).expect("ls");
    std::fs::create_dir_all(dir.join("log")).expect("log dir");
    std::fs::write(
        dir.join("pgbackrest.conf"),
        format!("[global]\nlog-path={}\n", dir.join("log").display()),
    )
    .expect("conf");
    let path = dir.join("pgbackrest");
    std::fs::write(&path, script).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}
