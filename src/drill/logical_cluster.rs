//! The logical drill's scratch cluster: a fresh `initdb` in the drill directory
//! ([`DrillDir`]: `data/`, `sock/`, `pg_hba.conf`), run as the `postgres` OS user on its own
//! port with the physical drill's settings (no TCP listener, its own socket directory, `trust`
//! only on that socket, no slots or replication workers). Stopping and removing it is
//! [`DrillDir::remove`], and a crash leftover is cleaned like a physical drill's.
//!
//! Before the restore the target database gets what the dump refers to but does not contain:
//! the roles ([`super::supabase_roles`]) and the source's extensions (`pg_dump --schema` dumps
//! no `CREATE EXTENSION`), each in its schema, when the local server has it.

use std::ffi::OsStr;
use std::io::Write as _;
use std::time::Duration;

use tokio_postgres::Client;

use super::restore::{drill_settings, HBA};
use super::scratch::DrillDir;
use super::sql::{ident, socket_dsn};
use super::supabase_roles::{create_role_sql, missing_roles};
use super::DrillError;
use crate::postgres::scratch::{free_local_port, make_server_dir, run_server_program};
use crate::postgres::{connect, ConnectOptions, PgError};

/// `initdb` into the (created) drill directory, our settings, start; returns the port.
pub async fn create_and_start(dir: &DrillDir, limit: Duration) -> Result<u16, DrillError> {
    let data = dir.data();
    make_server_dir(&data)?;
    let args: [&OsStr; 10] = [
        "-D".as_ref(),
        data.as_os_str(),
        "-A".as_ref(),
        "trust".as_ref(),
        "-U".as_ref(),
        "postgres".as_ref(),
        "-E".as_ref(),
        "UTF8".as_ref(),
        "--locale=C".as_ref(),
        "--no-sync".as_ref(),
    ];
    run_server_program("initdb", &args, dir.root(), None, limit).await?;
    let port = free_local_port()?;
    let conf = data.join("postgresql.conf");
    let settings = format!("\nport = {port}\n{}", drill_settings(dir));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&conf)
        .and_then(|mut f| f.write_all(settings.as_bytes()))
        .map_err(|e| DrillError::io(format!("appending to {}", conf.display()), e))?;
    std::fs::write(dir.hba(), HBA)
        .map_err(|e| DrillError::io(format!("writing {}", dir.hba().display()), e))?;
    let log = dir.log();
    let args: [&OsStr; 9] = [
        "-D".as_ref(),
        data.as_os_str(),
        "-w".as_ref(),
        "-t".as_ref(),
        "60".as_ref(),
        "-l".as_ref(),
        log.as_os_str(),
        "-s".as_ref(),
        "start".as_ref(),
    ];
    run_server_program("pg_ctl", &args, dir.root(), Some(&log), limit).await?;
    Ok(port)
}

/// A connection to `dbname` of the scratch cluster.
pub async fn client(
    dir: &DrillDir,
    port: u16,
    dbname: &str,
    statement_timeout: Duration,
) -> Result<Client, PgError> {
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(10),
        statement_timeout: statement_timeout.max(Duration::from_secs(1)),
        application_name: "backstop-drill".to_owned(),
        ..ConnectOptions::default()
    };
    connect(&socket_dsn(&dir.sock(), port, dbname), &opts).await
}

/// What the preparation did, for the restore step's detail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    /// Roles created.
    pub roles: Vec<String>,
    /// Extensions created, as `name (schema)`.
    pub extensions: Vec<String>,
    /// Extensions not created, with why.
    pub skipped: Vec<String>,
    /// Schemas that exist before the restore (its `CREATE SCHEMA` is left out).
    pub existing_schemas: Vec<String>,
}

fn q(what: &'static str) -> impl Fn(tokio_postgres::Error) -> PgError {
    move |e| PgError::query(what, &e)
}

/// Creates the roles (cluster-wide) and, unless it is `postgres`, the database.
pub async fn create_roles_and_database(
    admin: &Client,
    source_roles: &[String],
    dbname: &str,
    done: &mut Prepared,
) -> Result<(), DrillError> {
    let existing: Vec<String> = admin
        .query("SELECT rolname::text FROM pg_roles", &[])
        .await
        .map_err(q("listing roles"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for role in missing_roles(source_roles, &existing) {
        admin
            .batch_execute(&create_role_sql(&role))
            .await
            .map_err(q("CREATE ROLE"))?;
        done.roles.push(role);
    }
    if dbname != "postgres" {
        admin
            .batch_execute(&format!("CREATE DATABASE {}", ident(dbname)))
            .await
            .map_err(q("CREATE DATABASE"))?;
    }
    Ok(())
}

/// Creates the source's extensions in the target database, each in its schema, when this host
/// has them; then notes which dumped schemas exist already.
pub async fn create_extensions(
    db: &Client,
    extensions: &[(String, String)],
    dump_schemas: &[String],
    done: &mut Prepared,
) -> Result<(), DrillError> {
    for (name, schema) in extensions {
        if schema != "public" && dump_schemas.contains(schema) {
            done.skipped.push(format!(
                "{name} (it lives in {schema}, a dumped schema: the restore creates that schema)"
            ));
            continue;
        }
        let available = db
            .query_opt(
                "SELECT 1 FROM pg_available_extensions WHERE name = $1",
                &[name],
            )
            .await
            .map_err(q("pg_available_extensions"))?
            .is_some();
        if !available {
            done.skipped
                .push(format!("{name} (not installed on this host)"));
            continue;
        }
        let sql = format!(
            "CREATE SCHEMA IF NOT EXISTS {s}; CREATE EXTENSION IF NOT EXISTS {n} WITH SCHEMA {s} CASCADE",
            s = ident(schema),
            n = ident(name)
        );
        match db.batch_execute(&sql).await {
            Ok(()) => done.extensions.push(format!("{name} ({schema})")),
            Err(e) => done.skipped.push(format!(
                "{name} ({})",
                PgError::query("CREATE EXTENSION", &e)
            )),
        }
    }
    done.existing_schemas = db
        .query(
            "SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1",
            &[&dump_schemas],
        )
        .await
        .map_err(q("listing schemas"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(())
}

impl Prepared {
    /// One line for the restore step.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} roles created ({})",
            self.roles.len(),
            self.roles.join(", ")
        );
        if !self.extensions.is_empty() {
            s.push_str(&format!("; extensions {}", self.extensions.join(", ")));
        }
        if !self.skipped.is_empty() {
            s.push_str(&format!("; not created: {}", self.skipped.join(", ")));
        }
        s
    }
}
