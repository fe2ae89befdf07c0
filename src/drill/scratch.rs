//! The drill's scratch directory and its locks.
//!
//! Layout under `scratch_dir/drills/` (0755): `<venture>.lock`, held (flock) by the process that
//! drills the venture for the whole drill, and `<venture>.<drill id>/` (0755) holding `data/`
//! (the restored cluster, 0700, `postgres`), `sock/` (its Unix socket directory, 0700,
//! `postgres`) and `pg_hba.conf`. Venture names cannot contain `.`, so a directory name parses
//! back into its venture and drill id. A directory whose venture lock is free belongs to no live
//! drill: it is a leftover of a crash ([`super::cleanup`]).
//!
//! The lock is an open file description lock, released by the kernel when the process dies
//! (SIGKILL included), and not inherited across `exec` (Rust opens files close-on-exec).

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::fcntl::{Flock, FlockArg};

use super::DrillError;
use crate::postgres::scratch::{make_server_dir, run_server_program};

/// The server log of a drill's cluster, inside its data directory (the one `recover` writes).
pub use crate::recover::execute::LOG_FILE;

/// `scratch_dir/drills`.
pub fn drills_dir(scratch_dir: &Path) -> PathBuf {
    scratch_dir.join("drills")
}

/// `<venture>.<id>` back into its parts.
pub fn parse_dir_name(name: &str) -> Option<(&str, i64)> {
    let (venture, id) = name.rsplit_once('.')?;
    let valid = !venture.is_empty()
        && venture
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    valid.then_some(())?;
    Some((venture, id.parse().ok().filter(|id: &i64| *id > 0)?))
}

fn public_dir(dir: &Path) -> Result<(), DrillError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| DrillError::io(format!("creating {}", dir.display()), e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| DrillError::io(format!("chmod 0755 {}", dir.display()), e))
}

/// The exclusive lock on drilling one venture (released on drop or process death).
#[derive(Debug)]
pub struct VentureLock {
    _lock: Flock<File>,
}

/// Takes `<venture>.lock` without waiting; `None` when another process (or drill) holds it.
pub fn lock_venture(scratch_dir: &Path, venture: &str) -> Result<Option<VentureLock>, DrillError> {
    let dir = drills_dir(scratch_dir);
    if !scratch_dir.exists() {
        public_dir(scratch_dir)?;
    }
    public_dir(&dir)?;
    let path = dir.join(format!("{venture}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| DrillError::io(format!("opening {}", path.display()), e))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(VentureLock { _lock: lock })),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(DrillError::io(
            format!("locking {}", path.display()),
            std::io::Error::from(errno),
        )),
    }
}

/// One drill's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillDir {
    root: PathBuf,
}

impl DrillDir {
    /// The directory of drill `id` of `venture` (not created).
    pub fn new(scratch_dir: &Path, venture: &str, id: i64) -> Self {
        Self {
            root: drills_dir(scratch_dir).join(format!("{venture}.{id}")),
        }
    }

    /// An existing directory (cleanup).
    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    /// Creates the directory and its socket directory; the data directory is made by the restore.
    pub fn create(&self) -> Result<(), DrillError> {
        if self.root.exists() {
            return Err(DrillError::io(
                format!("creating {}", self.root.display()),
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "it already exists (a leftover of another drill); it is removed at the next start",
                ),
            ));
        }
        public_dir(&self.root)?;
        make_server_dir(&self.sock())?;
        Ok(())
    }

    /// `scratch_dir/drills/<venture>.<id>`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The restored cluster's data directory.
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Its Unix socket directory.
    pub fn sock(&self) -> PathBuf {
        self.root.join("sock")
    }

    /// Its `pg_hba.conf` (outside the data directory, so the restored one is never used).
    pub fn hba(&self) -> PathBuf {
        self.root.join("pg_hba.conf")
    }

    /// Its server log.
    pub fn log(&self) -> PathBuf {
        self.data().join(LOG_FILE)
    }

    /// Stops the cluster if one runs there, then removes the directory.
    pub async fn remove(&self) -> Result<(), DrillError> {
        if self.data().join("postmaster.pid").exists() {
            stop(&self.root, &self.data()).await;
        }
        match std::fs::remove_dir_all(&self.root) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DrillError::io(
                format!("removing {}", self.root.display()),
                e,
            )),
        }
    }

    /// The drill's `cleanup` step: [`DrillDir::remove`], logged when it fails. Returns whether
    /// it succeeded and the step's detail (`done` describes the removal, given the directory).
    pub async fn cleanup(
        &self,
        venture: &str,
        done: impl FnOnce(&Path) -> String,
    ) -> (bool, String) {
        match self.remove().await {
            Ok(()) => (true, done(&self.root)),
            Err(e) => {
                tracing::error!(venture, error = %e, "could not remove the drill's scratch cluster");
                (false, e.to_string())
            }
        }
    }
}

/// `pg_ctl stop -m immediate`; when that fails while the postmaster still lives, SIGKILL it.
async fn stop(cwd: &Path, data: &Path) {
    let args = [
        data.as_os_str(),
        "-m".as_ref(),
        "immediate".as_ref(),
        "-w".as_ref(),
        "-t".as_ref(),
        "60".as_ref(),
        "stop".as_ref(),
    ];
    let mut all = vec!["-D".as_ref()];
    all.extend(args);
    let stopped = run_server_program("pg_ctl", &all, cwd, None, Duration::from_secs(90)).await;
    if let Err(e) = stopped {
        let pid = std::fs::read_to_string(data.join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()));
        let is_postgres = pid.is_some_and(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains("postgres"))
        });
        if let (Some(pid), true) = (pid, is_postgres) {
            tracing::warn!(error = %e, pid, "pg_ctl could not stop a drill cluster; killing its postmaster");
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_names_parse_back() {
        assert_eq!(parse_dir_name("acme.12"), Some(("acme", 12)));
        assert_eq!(parse_dir_name("a-b_c.1"), Some(("a-b_c", 1)));
        for bad in [
            "acme",
            "acme.lock",
            ".3",
            "acme.0",
            "acme.-1",
            "Acme.3",
            "a.b.3",
        ] {
            assert_eq!(parse_dir_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_venture_lock_is_exclusive_and_released_on_drop() {
        let root = tempfile::tempdir().expect("tempdir");
        let first = lock_venture(root.path(), "acme").expect("lock");
        assert!(first.is_some());
        assert!(lock_venture(root.path(), "acme").expect("lock").is_none());
        assert!(lock_venture(root.path(), "other").expect("lock").is_some());
        drop(first);
        assert!(lock_venture(root.path(), "acme").expect("lock").is_some());
    }

    #[test]
    fn a_drill_dir_is_created_once_and_removed() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = DrillDir::new(root.path(), "acme", 3);
        assert!(dir.root().ends_with("drills/acme.3"));
        dir.create().expect("create");
        assert!(dir.sock().is_dir());
        assert!(dir.create().is_err(), "never reused");
        futures_executor(dir.remove()).expect("remove");
        assert!(!dir.root().exists());
    }

    fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f)
    }
}
