//! Restore and replay for a drill, reusing `backstop recover`'s helpers
//! ([`crate::recover::execute`]): the target-directory check, `pgbackrest restore` as the
//! `postgres` OS user with `--archive-mode=off`, the standalone settings, start and wait until
//! promoted. On top of those the drill's own settings make the scratch cluster reachable only
//! through its own socket directory (no TCP listener, `trust` in a `pg_hba.conf` outside the data
//! directory, the socket directory 0700 `postgres`), and keep it from touching anything:
//! no replication slots, no logical replication workers (a restored subscription would connect
//! to its publisher), no synchronous standbys to wait for, no TLS files, the log in one file.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use super::scratch::DrillDir;
use super::target::Target;
use super::DrillError;
use crate::config::PgBackRestConfig;
use crate::recover::execute;

/// pgbackrest arguments for a `latest` drill: the newest backup, every archived WAL segment.
pub fn latest_args(data: &Path) -> Vec<String> {
    vec![
        "restore".to_owned(),
        "--type=default".to_owned(),
        "--archive-mode=off".to_owned(),
        format!("--pg1-path={}", data.display()),
    ]
}

/// pgbackrest arguments for `target`: a time target takes the plan's (`--set`, `--type=time`,
/// `--target-action=promote`, `--archive-mode=off`) with `--pg1-path` set to `data`.
pub fn restore_args(target: Target, plan_args: Option<&[String]>, data: &Path) -> Vec<String> {
    let pg1_path = format!("--pg1-path={}", data.display());
    match (target, plan_args) {
        (Target::At(_), Some(args)) => args
            .iter()
            .map(|a| {
                if a.starts_with("--pg1-path=") {
                    pg1_path.clone()
                } else {
                    a.clone()
                }
            })
            .collect(),
        _ => latest_args(data),
    }
}

/// Settings appended to `postgresql.auto.conf` after `recover`'s standalone ones (later wins).
pub fn drill_settings(dir: &DrillDir) -> String {
    let quote = |p: &Path| p.display().to_string().replace('\'', "''");
    format!(
        "\n# backstop drill: socket only, nothing leaves this cluster\n\
         listen_addresses = ''\n\
         unix_socket_directories = '{}'\n\
         hba_file = '{}'\n\
         logging_collector = 'off'\n\
         ssl = 'off'\n\
         synchronous_standby_names = ''\n\
         max_replication_slots = 0\n\
         max_logical_replication_workers = 0\n",
        quote(&dir.sock()),
        quote(&dir.hba()),
    )
}

/// The scratch cluster's `pg_hba.conf`: local socket only (the socket directory is 0700).
pub const HBA: &str = "# backstop drill: Unix socket only\nlocal all all trust\n";

/// Runs `pgbackrest restore` into the (absent) data directory; returns how long it took.
pub async fn restore(
    cfg: &PgBackRestConfig,
    dir: &DrillDir,
    args: &[String],
) -> Result<Duration, DrillError> {
    execute::check_target_dir(&dir.data())?;
    Ok(execute::restore(cfg, &dir.data(), args).await?)
}

/// Makes the restored cluster a standalone, socket-only drill cluster; returns its port.
pub fn configure(dir: &DrillDir) -> Result<u16, DrillError> {
    let port = execute::make_standalone(&dir.data())?;
    let conf = dir.data().join("postgresql.auto.conf");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| f.write_all(drill_settings(dir).as_bytes()))
        .map_err(|e| DrillError::io(format!("appending to {}", conf.display()), e))?;
    std::fs::write(dir.hba(), HBA)
        .map_err(|e| DrillError::io(format!("writing {}", dir.hba().display()), e))?;
    Ok(port)
}

/// Starts the cluster and waits until recovery has promoted it; returns how long that took.
pub async fn start(dir: &DrillDir, limit: Duration) -> Result<Duration, DrillError> {
    Ok(execute::start_and_wait(&dir.data(), limit).await?)
}

/// A readable cause for a failed replay, from the server log.
pub fn replay_cause(log_tail: &str) -> Option<&'static str> {
    const CAUSES: [(&str, &str); 4] = [
        (
            "recovery ended before configured recovery target was reached",
            "recovery ended before the target: the archive holds no WAL reaching it (the window's end is only an upper bound)",
        ),
        (
            "requested recovery stop point is before consistent recovery point",
            "the target is before the end of the base backup: choose a later target",
        ),
        (
            "could not locate required checkpoint record",
            "the restored backup's checkpoint WAL is missing from the archive",
        ),
        (
            "invalid checkpoint record",
            "the restored backup's checkpoint record is damaged",
        ),
    ];
    CAUSES
        .iter()
        .find(|(needle, _)| log_tail.contains(needle))
        .map(|(_, cause)| *cause)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn latest_restores_everything_with_archiving_off() {
        let data = Path::new("/s/drills/acme.1/data");
        let args = restore_args(Target::Latest, None, data);
        assert_eq!(
            args,
            [
                "restore",
                "--type=default",
                "--archive-mode=off",
                "--pg1-path=/s/drills/acme.1/data"
            ]
        );
        let at = Target::At(Utc.timestamp_opt(0, 0).single().expect("ts"));
        let plan = vec![
            "restore".to_owned(),
            "--type=time".to_owned(),
            "--pg1-path=DIR".to_owned(),
        ];
        assert_eq!(
            restore_args(at, Some(&plan), data),
            ["restore", "--type=time", "--pg1-path=/s/drills/acme.1/data"]
        );
    }

    #[test]
    fn settings_close_every_way_out() {
        let dir = DrillDir::new(Path::new("/s"), "acme", 7);
        let s = drill_settings(&dir);
        for line in [
            "listen_addresses = ''",
            "unix_socket_directories = '/s/drills/acme.7/sock'",
            "hba_file = '/s/drills/acme.7/pg_hba.conf'",
            "max_replication_slots = 0",
            "max_logical_replication_workers = 0",
            "synchronous_standby_names = ''",
        ] {
            assert!(s.contains(line), "{line} in {s}");
        }
        assert!(!HBA.contains("host "), "no TCP rule");
    }

    #[test]
    fn replay_causes_are_named() {
        let tail = "2026 FATAL:  recovery ended before configured recovery target was reached";
        assert!(replay_cause(tail).is_some_and(|c| c.contains("before the target")));
        assert_eq!(replay_cause("LOG: all good"), None);
    }
}
