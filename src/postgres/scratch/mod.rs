//! [`ScratchCluster`]: a throwaway local PostgreSQL cluster (drills, tests, the demo).
//!
//! Created under a root directory made 0755, owned by the `postgres` OS user when we are root
//! (initdb refuses root), listening on 127.0.0.1 only on a free port, with its socket directory
//! inside the cluster directory. Dropping it stops the server and removes the directory (best
//! effort); [`ScratchCluster::remove`] does the same and reports errors.

mod host;

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_postgres::Client;

pub use host::{make_server_dir, server_user};

/// Runs an installed PostgreSQL server program (`pg_ctl`, `pg_controldata`, …) as the server
/// user (when we are root) in `cwd`, bounded by `limit`; a failure carries its output and the
/// tail of `log`.
pub async fn run_server_program(
    program: &str,
    args: &[&OsStr],
    cwd: &Path,
    log: Option<&Path>,
    limit: Duration,
) -> Result<String, PgError> {
    host::run(&host::find_bindir()?, program, args, cwd, log, limit).await
}

/// A port on 127.0.0.1 that is free now and not handed out before by this process.
pub fn free_local_port() -> Result<u16, PgError> {
    host::free_port()
}

/// Whether server programs run as the `postgres` OS user (we are root).
pub fn runs_as_postgres() -> Result<bool, PgError> {
    Ok(host::server_user()?.is_some())
}

/// The last `lines` lines of a file (empty when unreadable).
pub fn tail(path: &Path, lines: usize) -> String {
    host::tail(path, lines)
}

use super::{connect, ConnectOptions, PgError};
use crate::secret::Secret;

const PG_CTL_LIMIT: Duration = Duration::from_secs(90);
const INITDB_LIMIT: Duration = Duration::from_secs(300);

/// How to create a scratch cluster.
#[derive(Debug, Clone, Default)]
pub struct ScratchOptions {
    /// `postgresql.conf` settings appended after ours (later lines win), values unquoted.
    pub settings: Vec<(String, String)>,
    /// `initdb --wal-segsize` in MiB (a power of two, 1–1024); `None` for the default 16.
    pub wal_segment_size_mb: Option<u32>,
}

/// A local cluster under `<root>/<name>`: `data/`, `sock/`, `postgres.log`.
#[derive(Debug)]
pub struct ScratchCluster {
    name: String,
    dir: PathBuf,
    port: u16,
    bindir: PathBuf,
    running: bool,
    removed: bool,
}

impl ScratchCluster {
    /// Runs `initdb` for a new cluster (not started; call [`start`](Self::start)).
    /// A leftover directory of the same name is removed first.
    pub async fn create(root: &Path, name: &str, opts: &ScratchOptions) -> Result<Self, PgError> {
        let cluster = Self::prepare(root, name)?;
        let data = cluster.data_dir();
        let mut args: Vec<OsString> = vec![
            "-D".into(),
            data.clone().into(),
            "-A".into(),
            "trust".into(),
            "-U".into(),
            "postgres".into(),
            "-E".into(),
            "UTF8".into(),
            "--locale=C".into(),
            "--no-sync".into(),
        ];
        if let Some(mb) = opts.wal_segment_size_mb {
            args.push(format!("--wal-segsize={mb}").into());
        }
        cluster.run("initdb", &args, INITDB_LIMIT).await?;
        cluster.append_settings(&opts.settings)?;
        Ok(cluster)
    }

    /// Clones `primary` with `pg_basebackup -R -X stream` (its `primary_conninfo` carries
    /// `application_name=<name>`, and `cluster_name` is set to `name`), then starts it.
    pub async fn standby_of(
        primary: &ScratchCluster,
        root: &Path,
        name: &str,
        opts: &ScratchOptions,
    ) -> Result<Self, PgError> {
        let mut cluster = Self::prepare(root, name)?;
        let conninfo = format!(
            "host=127.0.0.1 port={} user=postgres application_name={name}",
            primary.port
        );
        let args: Vec<OsString> = vec![
            "-D".into(),
            cluster.data_dir().into(),
            "-R".into(),
            "-X".into(),
            "stream".into(),
            "-c".into(),
            "fast".into(),
            "--no-sync".into(),
            "-d".into(),
            conninfo.into(),
        ];
        cluster.run("pg_basebackup", &args, INITDB_LIMIT).await?;
        let mut settings = vec![("cluster_name".to_owned(), name.to_owned())];
        settings.extend(opts.settings.iter().cloned());
        cluster.append_settings(&settings)?;
        cluster.start().await?;
        Ok(cluster)
    }

    /// Creates the directory layout and picks a port.
    fn prepare(root: &Path, name: &str) -> Result<Self, PgError> {
        let bindir = host::find_bindir()?;
        host::make_public_dir(root)?;
        let dir = root.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| PgError::io(format!("removing leftover {}", dir.display()), e))?;
        }
        make_server_dir(&dir)?;
        make_server_dir(&dir.join("sock"))?;
        Ok(Self {
            name: name.to_owned(),
            dir,
            port: host::free_port()?,
            bindir,
            running: false,
            removed: false,
        })
    }

    /// Appends our settings (port, 127.0.0.1, socket dir) and then `settings` to postgresql.conf.
    pub fn append_settings(&self, settings: &[(String, String)]) -> Result<(), PgError> {
        let mut text = format!("\n# backstop scratch cluster {}\n", self.name);
        let ours = [
            ("port", self.port.to_string()),
            ("listen_addresses", "127.0.0.1".to_owned()),
            (
                "unix_socket_directories",
                self.dir.join("sock").display().to_string(),
            ),
        ];
        let extra = settings.iter().map(|(k, v)| (k.as_str(), v.clone()));
        for (key, value) in ours.iter().map(|(k, v)| (*k, v.clone())).chain(extra) {
            let _ = writeln!(text, "{key} = '{}'", value.replace('\'', "''"));
        }
        let path = self.data_dir().join("postgresql.conf");
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .map_err(|e| PgError::io(format!("appending to {}", path.display()), e))
    }

    async fn run(
        &self,
        program: &str,
        args: &[OsString],
        limit: Duration,
    ) -> Result<String, PgError> {
        let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
        let log = self.log_file();
        host::run(&self.bindir, program, &args, &self.dir, Some(&log), limit).await
    }

    async fn pg_ctl(&self, args: &[&str]) -> Result<String, PgError> {
        let mut all: Vec<OsString> = vec!["-D".into(), self.data_dir().into()];
        all.extend(args.iter().map(OsString::from));
        self.run("pg_ctl", &all, PG_CTL_LIMIT).await
    }

    /// Starts the server and waits until it accepts connections.
    pub async fn start(&mut self) -> Result<(), PgError> {
        let log = self.log_file().display().to_string();
        self.pg_ctl(&["-w", "-t", "60", "-l", &log, "start"])
            .await?;
        self.running = true;
        Ok(())
    }

    /// Stops the server with a fast shutdown (checkpoint, clients disconnected).
    pub async fn stop(&mut self) -> Result<(), PgError> {
        self.pg_ctl(&["-w", "-t", "60", "-m", "fast", "stop"])
            .await?;
        self.running = false;
        Ok(())
    }

    /// Stops the server with an immediate shutdown (no checkpoint): "the endpoint is down".
    pub async fn kill(&mut self) -> Result<(), PgError> {
        self.pg_ctl(&["-w", "-t", "60", "-m", "immediate", "stop"])
            .await?;
        self.running = false;
        Ok(())
    }

    /// Stops the server (if running) and removes the cluster directory.
    pub async fn remove(mut self) -> Result<(), PgError> {
        if self.running {
            self.kill().await?;
        }
        self.removed = true;
        std::fs::remove_dir_all(&self.dir)
            .map_err(|e| PgError::io(format!("removing {}", self.dir.display()), e))
    }

    /// `host=127.0.0.1 port=… user=postgres dbname=postgres sslmode=disable` (trust auth).
    pub fn dsn(&self) -> Secret {
        Secret::new(format!(
            "host=127.0.0.1 port={} user=postgres dbname=postgres sslmode=disable",
            self.port
        ))
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster name (its directory under the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cluster directory (`data/`, `sock/`, `postgres.log`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The server log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Whether this handle started the server and has not stopped it.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// A new connection as `postgres` (default [`ConnectOptions`]).
    pub async fn client(&self) -> Result<Client, PgError> {
        connect(&self.dsn(), &ConnectOptions::default()).await
    }

    /// Runs SQL (one or more statements) on a fresh connection.
    pub async fn exec(&self, sql: &str) -> Result<(), PgError> {
        self.client()
            .await?
            .batch_execute(sql)
            .await
            .map_err(|e| PgError::query("scratch exec", &e))
    }
}

impl Drop for ScratchCluster {
    fn drop(&mut self) {
        if self.removed {
            return;
        }
        if self.running {
            let mut cmd = std::process::Command::new(self.bindir.join("pg_ctl"));
            cmd.arg("-D")
                .arg(self.data_dir())
                .args(["-w", "-t", "30", "-m", "immediate", "stop"])
                .current_dir(&self.dir)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if let Ok(Some((uid, gid))) = host::server_user() {
                use std::os::unix::process::CommandExt as _;
                cmd.uid(uid.as_raw()).gid(gid.as_raw());
            }
            let _ = cmd.status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
