//! Carrying out a plan: the confirmation and target-directory checks, `pgbackrest restore` as the
//! `postgres` OS user with `--archive-mode=off`, the settings that let the restored cluster start
//! standalone on a free local port, and starting it and waiting until recovery has promoted it.
//!
//! Never over a running cluster: the target directory must be absent or empty (so it cannot
//! hold a `postmaster.pid`). The restored cluster can never write to the production repository
//! or archive: pgBackRest sets `archive_mode = 'off'` and we set it again, with our own port,
//! `listen_addresses = '127.0.0.1'` and no Unix socket (the production socket directory may be
//! shared). Recovery is finished when `pg_controldata` reports `in production`; a server that
//! exits first (e.g. recovery ended before the target) is a failure with its log tail.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::RecoverError;
use crate::config::PgBackRestConfig;
use crate::postgres::scratch::{self, make_server_dir};
use crate::sources::pgbackrest::PgBackRestCommand;

/// The shortest timeout a restore gets.
pub const MIN_RESTORE_TIMEOUT: Duration = Duration::from_secs(6 * 3600);
/// How long starting and recovering may take.
pub const RECOVERY_LIMIT: Duration = Duration::from_secs(6 * 3600);
/// The server log of the restored cluster, inside its data directory.
pub const LOG_FILE: &str = "backstop-recover.log";

/// `--confirm` must equal the venture name.
pub fn check_confirm(venture: &str, confirm: Option<&str>) -> Result<(), RecoverError> {
    if confirm == Some(venture) {
        return Ok(());
    }
    Err(RecoverError::Confirm {
        expected: venture.to_owned(),
        given: confirm.map(str::to_owned),
    })
}

/// The target directory must be absent or an empty directory (so no cluster runs there).
pub fn check_target_dir(dir: &Path) -> Result<(), RecoverError> {
    let refuse = |reason: &str| RecoverError::TargetDir {
        dir: dir.display().to_string(),
        reason: reason.to_owned(),
    };
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(RecoverError::io(format!("reading {}", dir.display()), e)),
    };
    if !meta.is_dir() {
        return Err(refuse(
            "it exists and is not a directory; name an empty or absent directory",
        ));
    }
    if dir.join("postmaster.pid").exists() {
        return Err(refuse(
            "it holds postmaster.pid: a cluster is (or was) running there; never restore over a running cluster, name another directory",
        ));
    }
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| RecoverError::io(format!("listing {}", dir.display()), e))?;
    if entries.next().is_some() {
        return Err(refuse(
            "it is not empty; name an empty or absent directory (the restore would overwrite what is there)",
        ));
    }
    Ok(())
}

/// The lines appended to `postgresql.auto.conf` so the restored cluster starts standalone.
pub fn standalone_settings(port: u16) -> String {
    format!(
        "\n# backstop recover: a standalone restored cluster\nport = '{port}'\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\narchive_mode = 'off'\n"
    )
}

/// The pgbackrest command for a restore: the configured one, through `runuser -u postgres --`
/// when we are root and it is bare `pgbackrest` (a restore must write files the server owns).
pub fn restore_command(cfg: &PgBackRestConfig, as_root: bool) -> PgBackRestCommand {
    let mut cfg = cfg.clone();
    let bare = cfg
        .command
        .split_whitespace()
        .next()
        .is_none_or(|p| Path::new(p).file_name() == Some(OsStr::new("pgbackrest")));
    if as_root && bare {
        cfg.command = format!("runuser -u postgres -- {}", cfg.command);
    }
    let timeout = cfg.timeout.max(MIN_RESTORE_TIMEOUT);
    PgBackRestCommand::new(&cfg).with_timeout(timeout)
}

/// Creates `dir` for the server user and runs the restore; returns how long it took.
pub async fn restore(
    cfg: &PgBackRestConfig,
    dir: &Path,
    args: &[String],
) -> Result<Duration, RecoverError> {
    let as_root = scratch::runs_as_postgres().map_err(RecoverError::Cluster)?;
    make_server_dir(dir).map_err(RecoverError::Cluster)?;
    let started = Instant::now();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    restore_command(cfg, as_root)
        .run(&args)
        .await
        .map_err(RecoverError::Restore)?;
    Ok(started.elapsed())
}

/// Appends [`standalone_settings`] with a free port; returns the port.
pub fn make_standalone(dir: &Path) -> Result<u16, RecoverError> {
    let port = scratch::free_local_port().map_err(RecoverError::Cluster)?;
    let path = dir.join("postgresql.auto.conf");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(standalone_settings(port).as_bytes()))
        .map_err(|e| RecoverError::io(format!("appending to {}", path.display()), e))?;
    Ok(port)
}

/// The `pg_ctl` line that starts the restored cluster (for the printed steps).
pub fn start_line(dir: &Path) -> String {
    format!(
        "pg_ctl -D {} -l {} start",
        dir.display(),
        dir.join(LOG_FILE).display()
    )
}

/// Starts the restored cluster and waits until recovery has promoted it; returns how long that
/// took. The cluster is left running.
pub async fn start_and_wait(dir: &Path, limit: Duration) -> Result<Duration, RecoverError> {
    let log: PathBuf = dir.join(LOG_FILE);
    let started = Instant::now();
    let args = [
        OsStr::new("-D"),
        dir.as_os_str(),
        OsStr::new("-l"),
        log.as_os_str(),
        OsStr::new("-W"),
        OsStr::new("start"),
    ];
    scratch::run_server_program("pg_ctl", &args, dir, Some(&log), Duration::from_secs(60))
        .await
        .map_err(RecoverError::Cluster)?;
    let deadline = started + limit;
    // postmaster.pid appears shortly after pg_ctl returns; its absence later means the server exited.
    let mut seen_pid = false;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let controldata = scratch::run_server_program(
            "pg_controldata",
            &[dir.as_os_str()],
            dir,
            None,
            Duration::from_secs(30),
        )
        .await
        .map_err(RecoverError::Cluster)?;
        // A restored pg_control reads "in production" (copied from the running source) until the
        // startup process begins recovery, so the postmaster must also report itself "ready"
        // (connections accepted after promotion; "standby" while still in recovery).
        let pid_file = std::fs::read_to_string(dir.join("postmaster.pid")).unwrap_or_default();
        if cluster_state(&controldata) == Some("in production")
            && postmaster_status(&pid_file) == Some("ready")
        {
            return Ok(started.elapsed());
        }
        let pid = dir.join("postmaster.pid").exists();
        seen_pid |= pid;
        let gone = !pid && (seen_pid || started.elapsed() > Duration::from_secs(10));
        if gone || Instant::now() > deadline {
            return Err(RecoverError::Recovery {
                reason: if gone {
                    "the server exited during recovery (see its log below)".to_owned()
                } else {
                    format!("still recovering after {limit:?}")
                },
                log_tail: scratch::tail(&log, 20),
            });
        }
    }
}

/// The postmaster's status line of `postmaster.pid` (the 8th): `starting`, `standby`, `ready`
/// or `stopping`.
pub fn postmaster_status(pid_file: &str) -> Option<&str> {
    pid_file
        .lines()
        .nth(7)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `Database cluster state:` from `pg_controldata` output.
pub fn cluster_state(controldata: &str) -> Option<&str> {
    controldata
        .lines()
        .find_map(|l| l.strip_prefix("Database cluster state:"))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_postmaster_status_is_the_eighth_line() {
        let pid = "123\n/d\n1700000000\n5432\n/tmp\n\n  5432001     0\nready   \n";
        assert_eq!(postmaster_status(pid), Some("ready"));
        assert_eq!(postmaster_status("123\n/d\n"), None);
    }

    #[test]
    fn confirm_must_be_the_venture_name() {
        assert!(check_confirm("acme", Some("acme")).is_ok());
        for given in [None, Some("ACME"), Some("other")] {
            let e = check_confirm("acme", given).expect_err("refused");
            assert_eq!(e.exit_code(), 1);
            assert!(e.to_string().contains("--confirm acme"), "{e}");
        }
    }

    #[test]
    fn target_dir_must_be_absent_or_empty() {
        let root = tempfile::tempdir().expect("tempdir");
        let absent = root.path().join("absent");
        assert!(check_target_dir(&absent).is_ok());
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        assert!(check_target_dir(&empty).is_ok());
        let full = root.path().join("full");
        std::fs::create_dir(&full).expect("mkdir");
        std::fs::write(full.join("PG_VERSION"), "15").expect("write");
        let e = check_target_dir(&full).expect_err("refused");
        assert!(e.to_string().contains("not empty"), "{e}");
        std::fs::write(full.join("postmaster.pid"), "1").expect("write");
        let e = check_target_dir(&full).expect_err("refused");
        assert!(e.to_string().contains("running cluster"), "{e}");
        let file = root.path().join("file");
        std::fs::write(&file, "x").expect("write");
        assert_eq!(check_target_dir(&file).expect_err("refused").exit_code(), 1);
    }

    #[test]
    fn standalone_settings_and_controldata() {
        let s = standalone_settings(54321);
        assert!(
            s.contains("port = '54321'") && s.contains("archive_mode = 'off'"),
            "{s}"
        );
        assert!(s.contains("unix_socket_directories = ''"), "{s}");
        let out = "pg_control version number:            1300\nDatabase cluster state:               in archive recovery\n";
        assert_eq!(cluster_state(out), Some("in archive recovery"));
        assert_eq!(cluster_state("nothing"), None);
    }

    #[test]
    fn a_bare_pgbackrest_runs_as_postgres_when_root() {
        let mut cfg = PgBackRestConfig {
            poll_interval: Duration::from_secs(60),
            stanza: "acme".to_owned(),
            config: PathBuf::from("/etc/pgbackrest.conf"),
            command: "pgbackrest".to_owned(),
            verify_schedule: "0 3 * * 0".to_owned(),
            repo_ls_interval: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
        };
        let cmd = restore_command(&cfg, true);
        assert_eq!(cmd.program().0, "runuser");
        assert_eq!(cmd.timeout(), MIN_RESTORE_TIMEOUT);
        assert_eq!(restore_command(&cfg, false).program().0, "pgbackrest");
        cfg.command = "/usr/local/bin/pgbr-wrapper".to_owned();
        assert_eq!(
            restore_command(&cfg, true).program().0,
            "/usr/local/bin/pgbr-wrapper"
        );
    }
}
