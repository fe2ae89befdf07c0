//! The host side of scratch clusters: finding the PostgreSQL binaries, running them as the
//! `postgres` OS user when we are root, directory ownership, and free local ports.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use nix::unistd::{Gid, Uid, User};

use crate::postgres::PgError;

/// The OS user the server runs as: `Some` (postgres) when we are root, `None` otherwise.
pub fn server_user() -> Result<Option<(Uid, Gid)>, PgError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    match User::from_name("postgres") {
        Ok(Some(user)) => Ok(Some((user.uid, user.gid))),
        _ => Err(PgError::Command {
            program: "initdb".to_owned(),
            reason: "running as root and the `postgres` OS user does not exist (initdb refuses \
                     root): install it with apt-get install -y postgresql-15"
                .to_owned(),
            log_tail: String::new(),
        }),
    }
}

/// The directory holding `initdb`, `pg_ctl`, `pg_basebackup`: `pg_config --bindir`, else the
/// newest `/usr/lib/postgresql/*/bin`.
pub(super) fn find_bindir() -> Result<PathBuf, PgError> {
    let mut candidates = Vec::new();
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|v| std::cmp::Reverse(v.0));
    candidates.extend(versioned.into_iter().map(|(_, p)| p));
    let found = candidates
        .iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    match found {
        Some(dir) => Ok(dir.clone()),
        None => Err(PgError::MissingBinaries {
            searched: if candidates.is_empty() {
                "pg_config --bindir and /usr/lib/postgresql/*/bin".to_owned()
            } else {
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
    }
}

/// Creates `dir` (and parents) with mode 0755.
pub(super) fn make_public_dir(dir: &Path) -> Result<(), PgError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| PgError::io(format!("creating {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| PgError::io(format!("chmod 0755 {}", dir.display()), e))
}

/// Creates `dir` (mode 0700) owned by the server user, so the server may write to it (WAL
/// archives, tablespaces, logs).
pub fn make_server_dir(dir: &Path) -> Result<(), PgError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| PgError::io(format!("creating {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| PgError::io(format!("chmod 0700 {}", dir.display()), e))?;
    if let Some((uid, gid)) = server_user()? {
        nix::unistd::chown(dir, Some(uid), Some(gid))
            .map_err(|e| PgError::io(format!("chown postgres {}", dir.display()), e.into()))?;
    }
    Ok(())
}

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A port on 127.0.0.1 that is free now and not handed out before by this process.
pub(super) fn free_port() -> Result<u16, PgError> {
    let mut handed = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    let handed = handed.get_or_insert_with(HashSet::new);
    for _ in 0..50 {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| PgError::io("binding 127.0.0.1:0 to find a free port", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| PgError::io("reading a bound port", e))?
            .port();
        if handed.insert(port) {
            return Ok(port);
        }
    }
    Err(PgError::io(
        "finding a free port",
        std::io::Error::other("no unused port after 50 tries"),
    ))
}

/// The last `lines` lines of a file (empty when unreadable).
pub(super) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `bindir/program args` as the server user (when root) in `cwd`, bounded by `limit`.
/// On failure the error names the program and carries its output tail, plus `log`'s tail.
pub(super) async fn run(
    bindir: &Path,
    program: &str,
    args: &[&OsStr],
    cwd: &Path,
    log: Option<&Path>,
    limit: Duration,
) -> Result<String, PgError> {
    let mut cmd = tokio::process::Command::new(bindir.join(program));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for var in [
        "PGDATA",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGSERVICE",
        "PGOPTIONS",
    ] {
        cmd.env_remove(var);
    }
    if let Some((uid, gid)) = server_user()? {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
    }
    let fail = |reason: String, output: String| PgError::Command {
        program: program.to_owned(),
        reason,
        log_tail: match log.map(|l| tail(l, 20)).filter(|t| !t.is_empty()) {
            Some(log_tail) => format!("{output}\n--- server log ---\n{log_tail}"),
            None => output,
        },
    };
    let output = match tokio::time::timeout(limit, cmd.output()).await {
        Err(_) => {
            return Err(fail(
                format!("did not finish within {limit:?}"),
                String::new(),
            ))
        }
        Ok(Err(e)) => return Err(fail(format!("could not start: {e}"), String::new())),
        Ok(Ok(output)) => output,
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        let lines: Vec<&str> = text.lines().collect();
        let output_tail = lines[lines.len().saturating_sub(20)..].join("\n");
        Err(fail(format!("exited with {}", output.status), output_tail))
    }
}
