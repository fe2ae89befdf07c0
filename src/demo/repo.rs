//! The demo's pgBackRest repository: a local repo, log and lock directory, a configuration
//! file, a wrapper that runs pgBackRest as the cluster's OS user, the stanza, and backups.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::postgres::scratch::{make_server_dir, server_user};
use crate::postgres::ScratchCluster;

use super::DemoError;

/// The demo's stanza name.
pub const STANZA: &str = "demo";

/// How long one pgBackRest command of the demo may take.
const LIMIT: Duration = Duration::from_secs(300);

/// A local pgBackRest repository for one cluster.
#[derive(Debug)]
pub struct Repo {
    /// `pgbackrest.conf`.
    pub conf: PathBuf,
    /// A script running `pgbackrest "$@"` as the cluster's OS user (the agent's `command`).
    pub wrapper: PathBuf,
    /// The repository directory.
    pub path: PathBuf,
}

impl Repo {
    /// Creates the directories, the configuration for `cluster` and the wrapper under `dir`.
    pub fn create(dir: &Path, cluster: &ScratchCluster) -> Result<Repo, DemoError> {
        let (path, log, lock) = (dir.join("repo"), dir.join("log"), dir.join("lock"));
        make_public(dir)?;
        for d in [&path, &log, &lock] {
            make_server_dir(d)?;
        }
        let conf = dir.join("pgbackrest.conf");
        write(
            &conf,
            &format!(
                "[global]\nrepo1-path={}\nrepo1-retention-full=2\nlog-path={}\nlock-path={}\n\
                 start-fast=y\ncompress-type=lz4\nlog-level-console=warn\nlog-level-file=info\n\n\
                 [{STANZA}]\npg1-path={}\npg1-port={}\npg1-socket-path={}\n",
                path.display(),
                log.display(),
                lock.display(),
                cluster.data_dir().display(),
                cluster.port(),
                cluster.dir().join("sock").display(),
            ),
            0o644,
        )?;
        let wrapper = dir.join("pgbackrest-as-postgres");
        let exec = match server_user()? {
            Some(_) => "exec runuser -u postgres -- pgbackrest \"$@\"",
            None => "exec pgbackrest \"$@\"",
        };
        write(&wrapper, &format!("#!/bin/sh\n{exec}\n"), 0o755)?;
        Ok(Repo {
            conf,
            wrapper,
            path,
        })
    }

    /// The `archive_command` that pushes WAL into this repository.
    pub fn archive_command(conf: &Path) -> String {
        format!(
            "pgbackrest --config={} --stanza={STANZA} archive-push %p",
            conf.display()
        )
    }

    /// Runs `pgbackrest --config --stanza <args>` as the cluster's OS user.
    pub async fn run(&self, args: &[&str]) -> Result<(), DemoError> {
        let mut cmd = tokio::process::Command::new("pgbackrest");
        cmd.arg(format!("--config={}", self.conf.display()))
            .arg(format!("--stanza={STANZA}"))
            .args(args)
            .current_dir(self.path.parent().unwrap_or(Path::new("/")))
            .kill_on_drop(true);
        if let Some((uid, gid)) = server_user()? {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
        let what = format!("pgbackrest {}", args.join(" "));
        let out = tokio::time::timeout(LIMIT, cmd.output())
            .await
            .map_err(|_| DemoError::Repo(format!("{what} took longer than {LIMIT:?}")))?
            .map_err(|e| {
                DemoError::Repo(format!(
                    "{what} could not start ({e}): install it with apt-get install -y pgbackrest"
                ))
            })?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            let line = err
                .lines()
                .find(|l| l.contains("ERROR"))
                .unwrap_or(err.trim());
            Err(DemoError::Repo(format!("{what} failed: {line}")))
        }
    }
}

fn make_public(dir: &Path) -> Result<(), DemoError> {
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)))
        .map_err(|source| DemoError::Dir {
            what: "creating",
            path: dir.to_path_buf(),
            source,
        })
}

fn write(path: &Path, text: &str, mode: u32) -> Result<(), DemoError> {
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
        .map_err(|source| DemoError::Dir {
            what: "writing",
            path: path.to_path_buf(),
            source,
        })
}
