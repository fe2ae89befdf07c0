//! `pg_dump --snapshot` of the configured schemas and its `pg_restore` into the scratch cluster:
//! the arguments and the restore list (pure), and running them through [`client_program`].
//!
//! - The dump is `--format=custom --no-owner --no-privileges` of each `--schema`, in the
//!   exported snapshot, with `--lock-wait-timeout` so a table locked on the source fails the
//!   drill instead of hanging it. The DSN goes as password-free connection info
//!   ([`super::conninfo`]).
//! - `pg_dump --schema=public` writes `CREATE SCHEMA public`, which a fresh database already has
//!   (and so may others, created for extensions): the restore list (`pg_restore --list`) leaves
//!   out the `CREATE SCHEMA` of every schema that exists before the restore.
//! - `pg_restore --no-owner --no-privileges --exit-on-error`: any error fails the drill.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use super::client_program;
use super::DrillError;
use crate::secret::Secret;

/// How long pg_dump waits for a table lock on the source.
pub const LOCK_WAIT: &str = "60s";

/// What names the dump file inside the drill directory.
pub const DUMP_FILE: &str = "dump.custom";

/// The pg_dump arguments.
pub fn dump_args(conninfo: &str, snapshot: &str, schemas: &[String], file: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        format!("--dbname={conninfo}").into(),
        format!("--snapshot={snapshot}").into(),
    ];
    for schema in schemas {
        // A quoted pattern matches exactly this name (no case folding, no wildcards).
        args.push(format!("--schema=\"{}\"", schema.replace('"', "\"\"")).into());
    }
    args.extend(
        [
            "--no-owner",
            "--no-privileges",
            "--format=custom",
            "--no-password",
            "--no-sync",
        ]
        .map(OsString::from),
    );
    args.push(format!("--lock-wait-timeout={LOCK_WAIT}").into());
    let mut out: OsString = "--file=".into();
    out.push(file.as_os_str());
    args.push(out);
    args
}

/// `pg_restore` next to a configured `pg_dump` path, else from `PATH`.
pub fn pg_restore_beside(pg_dump: &str) -> String {
    match pg_dump.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/pg_restore"),
        None => "pg_restore".to_owned(),
    }
}

/// The restore list without the `CREATE SCHEMA` entries of `existing` schemas.
pub fn filter_list(list: &str, existing: &[String]) -> String {
    list.lines()
        .filter(|line| {
            let Some((_, entry)) = line.split_once(';') else {
                return true;
            };
            let words: Vec<&str> = entry.split_whitespace().collect();
            let creates = matches!(words.as_slice(), [_, _, "SCHEMA", "-", name, ..] if existing.iter().any(|e| e == name));
            line.starts_with(';') || !creates
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The pg_restore arguments.
pub fn restore_args(conninfo: &str, list: &Path, dump: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        format!("--dbname={conninfo}").into(),
        "--no-owner".into(),
        "--no-privileges".into(),
        "--exit-on-error".into(),
        "--no-password".into(),
    ];
    let mut use_list: OsString = "--use-list=".into();
    use_list.push(list.as_os_str());
    args.push(use_list);
    args.push(dump.as_os_str().to_owned());
    args
}

/// Advice for a failed restore, from pg_restore's output.
pub fn restore_hint(output: &str) -> Option<&'static str> {
    if output.contains("does not exist") {
        Some("an object in the dump refers to one outside the dumped schemas (e.g. a foreign key to auth.users or a policy calling auth.uid()): add that schema to [ventures.drill] dump_schemas")
    } else {
        None
    }
}

/// Runs pg_dump into `file`, created 0600 first (pg_dump truncates it and keeps the mode);
/// returns the dump's size in bytes.
pub async fn dump(
    pg_dump: &str,
    args: &[OsString],
    password: Option<&Secret>,
    file: &Path,
    limit: Duration,
) -> Result<u64, DrillError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| DrillError::io(format!("creating {}", file.display()), e))?;
    client_program::run(pg_dump, args, password, limit).await?;
    let meta = std::fs::metadata(file)
        .map_err(|e| DrillError::io(format!("reading {}", file.display()), e))?;
    Ok(meta.len())
}

/// Lists the dump, filters the list and restores it.
pub async fn restore(
    pg_restore: &str,
    conninfo: &str,
    dump: &Path,
    list_file: &Path,
    existing_schemas: &[String],
    limit: Duration,
) -> Result<(), DrillError> {
    let listed = client_program::run(
        pg_restore,
        &[OsString::from("--list"), dump.as_os_str().to_owned()],
        None,
        limit,
    )
    .await?;
    std::fs::write(list_file, filter_list(&listed, existing_schemas))
        .map_err(|e| DrillError::io(format!("writing {}", list_file.display()), e))?;
    match client_program::run(
        pg_restore,
        &restore_args(conninfo, list_file, dump),
        None,
        limit,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(DrillError::Program {
            program,
            reason,
            output,
        }) => {
            let mut reason = reason;
            if let Some(line) = output.lines().find(|l| l.contains("error:")) {
                reason = format!("{reason}: {}", line.trim());
            }
            if let Some(hint) = restore_hint(&output) {
                reason = format!("{reason}; {hint}");
            }
            Err(DrillError::Program {
                program,
                reason,
                output,
            })
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_arguments_carry_no_password_and_every_schema() {
        let args = dump_args(
            "host='h' user='u'",
            "00000003-0000001B-1",
            &["public".to_owned(), "App".to_owned()],
            Path::new("/s/drills/shop.1/dump.custom"),
        );
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        for want in [
            "--dbname=host='h' user='u'",
            "--snapshot=00000003-0000001B-1",
            "--schema=\"public\"",
            "--schema=\"App\"",
            "--no-owner",
            "--no-privileges",
            "--format=custom",
            "--lock-wait-timeout=60s",
            "--file=/s/drills/shop.1/dump.custom",
        ] {
            assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
        }
        assert_eq!(pg_restore_beside("pg_dump"), "pg_restore");
        assert_eq!(
            pg_restore_beside("/usr/lib/postgresql/17/bin/pg_dump"),
            "/usr/lib/postgresql/17/bin/pg_restore"
        );
    }

    #[test]
    fn the_list_leaves_out_existing_schemas_only() {
        let list = ";\n; Archive created at 2026-11-27\n\
                    6; 2615 2200 SCHEMA - public pg_database_owner\n\
                    3380; 0 0 COMMENT - SCHEMA public pg_database_owner\n\
                    5; 2615 16390 SCHEMA - app postgres\n\
                    216; 1259 16391 TABLE public orders postgres\n";
        let kept = filter_list(list, &["public".to_owned()]);
        assert!(!kept.contains("SCHEMA - public"), "{kept}");
        assert!(kept.contains("COMMENT - SCHEMA public"), "{kept}");
        assert!(kept.contains("SCHEMA - app"), "{kept}");
        assert!(kept.contains("TABLE public orders"), "{kept}");
        assert!(kept.starts_with(";\n"), "{kept}");
        assert!(restore_hint("ERROR:  relation \"auth.users\" does not exist").is_some());
        assert!(restore_hint("out of memory").is_none());
    }
}
