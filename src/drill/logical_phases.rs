//! The phases of a logical drill ([`super::logical`]): `prepare` (version check, roles,
//! extensions, the exported snapshot and the exact counts in it), `dump`, `restore` into a fresh
//! scratch cluster, and `validate`, each timed into [`Progress`]; a failure ends the phases with
//! the step that failed, its reason and the relevant output.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::dump_restore::{self, DUMP_FILE};
use super::logical_cluster::{self as cluster, Prepared as ClusterPrepared};
use super::logical_source::{self as source, CountedTable, SourceSnapshot};
use super::measure::{self, Rpo};
use super::pg_version::{self, Major};
use super::scratch::DrillDir;
use super::sql::{dbname_of, schema_of, socket_dsn};
use super::validate::{self, Checks};
use super::{client_program, conninfo, DrillError};
use crate::config::{EndpointConfig, VentureConfig};
use crate::postgres::scratch::tail;
use crate::store::DrillStep;

/// Limit of `pg_dump --version`.
const VERSION_LIMIT: Duration = Duration::from_secs(10);
/// Tables named one by one in a step's detail.
const NAMED_TABLES: usize = 20;
/// Lines of the server log kept as an excerpt.
const LOG_LINES: usize = 30;

/// Why the drill did not pass.
pub(super) struct Failure {
    pub(super) outcome: &'static str,
    pub(super) reason: String,
    pub(super) log: Option<String>,
}

impl Failure {
    pub(super) fn failed(reason: impl Into<String>, log: Option<String>) -> Self {
        Self {
            outcome: "failed",
            reason: reason.into(),
            log,
        }
    }
}

/// What the phases measured.
#[derive(Default)]
pub(super) struct Progress {
    pub(super) steps: Vec<DrillStep>,
    pub(super) snapshot_at: Option<DateTime<Utc>>,
    pub(super) rto: Option<f64>,
    pub(super) rpo: Option<Rpo>,
}

impl Progress {
    pub(super) fn step(&mut self, name: &str, began: Instant, ok: bool, detail: impl Into<String>) {
        self.steps.push(DrillStep {
            name: name.to_owned(),
            seconds: began.elapsed().as_secs_f64(),
            ok,
            detail: detail.into(),
        });
    }

    /// Records a failed step and returns the failure.
    fn fail(&mut self, name: &str, began: Instant, reason: String, log: Option<String>) -> Failure {
        self.step(name, began, false, reason.clone());
        Failure::failed(format!("{name} failed: {reason}"), log)
    }
}

/// Everything the phases need.
pub(super) struct Drill<'a> {
    pub(super) v: &'a VentureConfig,
    pub(super) endpoint: &'a EndpointConfig,
    pub(super) dir: &'a DrillDir,
    pub(super) deadline: Instant,
    pub(super) clock: Instant,
}

impl Drill<'_> {
    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    pub(super) fn log(&self) -> Option<String> {
        Some(tail(&self.dir.log(), LOG_LINES)).filter(|t| !t.is_empty())
    }
}

/// What `prepare` hands to the later phases.
struct Source {
    snapshot: SourceSnapshot,
    major: Major,
    roles: Vec<String>,
    extensions: Vec<(String, String)>,
    tables: Vec<CountedTable>,
    counts: Vec<i64>,
}

/// prepare → dump → restore → validate, each timed into `progress`.
pub(super) async fn phases(d: &Drill<'_>, progress: &mut Progress) -> Result<(), Failure> {
    let began = Instant::now();
    let src = match prepare(d).await {
        Ok(s) => s,
        Err(reason) => return Err(progress.fail("prepare", began, reason, None)),
    };
    progress.snapshot_at = Some(src.snapshot.taken_at);
    progress.step(
        "prepare",
        began,
        true,
        format!(
            "source PostgreSQL {}; snapshot {} exported at {}; exact counts in it: {}",
            src.major,
            src.snapshot.id,
            src.snapshot.taken_at.to_rfc3339(),
            named_counts(&src.tables, &src.counts)
        ),
    );
    let began = Instant::now();
    let dumped = dump(d, &src.snapshot).await;
    let dumped_at = src.snapshot.clock().await;
    let (size, dumped_at) = match (dumped, dumped_at) {
        (Ok(size), Ok(at)) => (size, at),
        (Err(e), _) => return Err(progress.fail("dump", began, e.to_string(), None)),
        (_, Err(e)) => return Err(progress.fail("dump", began, e.to_string(), None)),
    };
    progress.step(
        "dump",
        began,
        true,
        format!(
            "pg_dump --snapshot={} --no-owner --no-privileges of schemas {}: {size} bytes (custom format), finished at {}",
            src.snapshot.id,
            d.v.drill.dump_schemas.join(", "),
            dumped_at.to_rfc3339()
        ),
    );
    let snapshot_at = src.snapshot.taken_at;
    let Source {
        snapshot,
        major,
        roles,
        extensions,
        tables,
        counts,
    } = src;
    snapshot.close().await;
    let began = Instant::now();
    let (port, prepared) = match restore(d, major, &roles, &extensions).await {
        Ok(r) => r,
        Err((reason, log)) => return Err(progress.fail("restore", began, reason, log.or(d.log()))),
    };
    progress.step(
        "restore",
        began,
        true,
        format!(
            "fresh scratch cluster in {}; {}; pg_restore --no-owner --no-privileges --exit-on-error",
            d.dir.root().display(),
            prepared.summary()
        ),
    );
    let began = Instant::now();
    let dbname = dbname_of(&d.endpoint.dsn);
    let heartbeat_table = heartbeat_in_dump(d.v);
    let checks = Checks {
        sock: &d.dir.sock(),
        port,
        dbname: &dbname,
        heartbeat_table,
        tables: &[],
        assertions: &d.v.drill.assertions,
        source_counts: None,
        statement_timeout: d.remaining(),
    };
    let validation = match validate::validate(&checks).await {
        Ok(v) => v,
        Err(e) => {
            return Err(progress.fail(
                "validate",
                began,
                format!("validation could not run: {e}"),
                d.log(),
            ))
        }
    };
    let restored = match cluster::client(d.dir, port, &dbname, d.remaining()).await {
        Ok(c) => source::count(&c, &tables).await,
        Err(e) => Err(e.to_string()),
    };
    let mut problems = validation.problems.clone();
    match &restored {
        Ok(r) => problems.extend(compare(&tables, r, &counts)),
        Err(e) => problems.push(e.clone()),
    }
    match measure::logical_rpo(dumped_at, validation.heartbeat, snapshot_at) {
        Ok(rpo) => progress.rpo = Some(rpo),
        Err(reason) => problems.push(reason),
    }
    progress.rto = Some(measure::rto(d.clock.elapsed()));
    let mut detail = validation.summary();
    if restored.is_ok() && problems.is_empty() {
        detail.push_str(&format!(
            "; {} table counts equal to the snapshot's",
            tables.len()
        ));
    }
    if let Some(rpo) = progress.rpo {
        detail.push_str(&format!(
            "; RPO {:.3}s: end of the dump minus the {}",
            rpo.seconds,
            match rpo.basis {
                measure::RpoBasis::Heartbeat => "newest dumped heartbeat",
                _ => "snapshot",
            }
        ));
    }
    if problems.is_empty() {
        progress.step("validate", began, true, detail);
        Ok(())
    } else {
        progress.step("validate", began, false, detail);
        Err(Failure::failed(
            format!("validation failed: {}", problems.join("; ")),
            d.log(),
        ))
    }
}

/// Version check, roles, extensions, the snapshot and the counts in it.
async fn prepare(d: &Drill<'_>) -> Result<Source, String> {
    let client = source::open(&d.endpoint.dsn, d.remaining())
        .await
        .map_err(|e| format!("connecting to endpoint {}: {e}", d.endpoint.name))?;
    let num = source::server_version_num(&client)
        .await
        .map_err(|e| e.to_string())?;
    let major = pg_version::major_of_num(num)
        .ok_or_else(|| format!("the source reports server_version_num {num}"))?;
    let pg_dump = &d.v.drill.pg_dump;
    let out = client_program::run(pg_dump, &["--version".into()], None, VERSION_LIMIT)
        .await
        .map_err(|e| e.to_string())?;
    let dump_major = pg_version::major_of_version_output(&out).ok_or_else(|| {
        format!(
            "{pg_dump} --version printed {:?}, not a pg_dump version",
            out.trim()
        )
    })?;
    pg_version::check_pg_dump(pg_dump, dump_major, major)?;
    let roles = source::roles(&client).await.map_err(|e| e.to_string())?;
    let extensions = source::extensions(&client)
        .await
        .map_err(|e| e.to_string())?;
    let snapshot = source::export_snapshot(client)
        .await
        .map_err(|e| e.to_string())?;
    let tables = if d.v.drill.tables.is_empty() {
        snapshot
            .tables(&d.v.drill.dump_schemas)
            .await
            .map_err(|e| e.to_string())?
    } else {
        d.v.drill
            .tables
            .iter()
            .map(|t| CountedTable::configured(t))
            .collect()
    };
    let counts = snapshot.counts(&tables).await?;
    Ok(Source {
        snapshot,
        major,
        roles,
        extensions,
        tables,
        counts,
    })
}

/// pg_dump into the drill directory (created here); the dump's size.
async fn dump(d: &Drill<'_>, snapshot: &SourceSnapshot) -> Result<u64, DrillError> {
    d.dir.create()?;
    let split =
        conninfo::split_password(&d.endpoint.dsn, "backstop-drill-dump").ok_or_else(|| {
            DrillError::Invalid(format!(
                "the DSN of endpoint {} does not parse",
                d.endpoint.name
            ))
        })?;
    let file = d.dir.root().join(DUMP_FILE);
    let args = dump_restore::dump_args(
        &split.conninfo,
        &snapshot.id,
        &d.v.drill.dump_schemas,
        &file,
    );
    dump_restore::dump(
        &d.v.drill.pg_dump,
        &args,
        split.password.as_ref(),
        &file,
        d.remaining(),
    )
    .await
}

/// The scratch cluster, its roles, database and extensions, and pg_restore; on failure the
/// reason and the program output.
async fn restore(
    d: &Drill<'_>,
    source_major: Major,
    roles: &[String],
    extensions: &[(String, String)],
) -> Result<(u16, ClusterPrepared), (String, Option<String>)> {
    let plain = |e: DrillError| (e.to_string(), None);
    let port = cluster::create_and_start(d.dir, d.remaining())
        .await
        .map_err(plain)?;
    let admin = cluster::client(d.dir, port, "postgres", d.remaining())
        .await
        .map_err(|e| (e.to_string(), None))?;
    let num = source::server_version_num(&admin)
        .await
        .map_err(|e| (e.to_string(), None))?;
    if let Some(local) = pg_version::major_of_num(num) {
        pg_version::check_scratch(local, source_major).map_err(|e| (e, None))?;
    }
    let dbname = dbname_of(&d.endpoint.dsn);
    let mut done = ClusterPrepared::default();
    cluster::create_roles_and_database(&admin, roles, &dbname, &mut done)
        .await
        .map_err(plain)?;
    let db = cluster::client(d.dir, port, &dbname, d.remaining())
        .await
        .map_err(|e| (e.to_string(), None))?;
    cluster::create_extensions(&db, extensions, &d.v.drill.dump_schemas, &mut done)
        .await
        .map_err(plain)?;
    let target = socket_dsn(&d.dir.sock(), port, &dbname);
    let restored = dump_restore::restore(
        &dump_restore::pg_restore_beside(&d.v.drill.pg_dump),
        target.expose(),
        &d.dir.root().join(DUMP_FILE),
        &d.dir.root().join("restore.list"),
        &done.existing_schemas,
        d.remaining(),
    )
    .await;
    match restored {
        Ok(()) => Ok((port, done)),
        Err(DrillError::Program {
            program,
            reason,
            output,
        }) => Err((format!("{program} {reason}"), Some(output))),
        Err(e) => Err(plain(e)),
    }
}

/// The heartbeat table, when the heartbeat is enabled and its schema is dumped.
fn heartbeat_in_dump(v: &VentureConfig) -> Option<&str> {
    let table = v.heartbeat.table.as_str();
    let schema = schema_of(table).unwrap_or("public");
    (v.heartbeat.enabled && v.drill.dump_schemas.iter().any(|s| s == schema)).then_some(table)
}

/// Count mismatches between the restore and the snapshot (pure).
fn compare(tables: &[CountedTable], restored: &[i64], snapshot: &[i64]) -> Vec<String> {
    tables
        .iter()
        .zip(restored.iter().zip(snapshot))
        .filter(|(_, (r, s))| r != s)
        .map(|(t, (r, s))| {
            format!(
                "{}: {r} rows restored, {s} in the source's snapshot",
                t.name
            )
        })
        .collect()
}

/// `a=1, b=2, …` for the first tables (pure).
fn named_counts(tables: &[CountedTable], counts: &[i64]) -> String {
    if tables.is_empty() {
        return "no tables".to_owned();
    }
    let mut s = tables
        .iter()
        .zip(counts)
        .take(NAMED_TABLES)
        .map(|(t, c)| format!("{}={c}", t.name))
        .collect::<Vec<_>>()
        .join(", ");
    if tables.len() > NAMED_TABLES {
        s.push_str(&format!(" and {} more tables", tables.len() - NAMED_TABLES));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_compare_and_name() {
        let tables = vec![
            CountedTable::catalog("public", "a"),
            CountedTable::catalog("app", "b"),
        ];
        assert!(compare(&tables, &[1, 2], &[1, 2]).is_empty());
        assert_eq!(
            compare(&tables, &[1, 3], &[1, 2]),
            vec!["app.b: 3 rows restored, 2 in the source's snapshot"]
        );
        assert_eq!(named_counts(&tables, &[1, 2]), "public.a=1, app.b=2");
        assert_eq!(named_counts(&[], &[]), "no tables");
        let many: Vec<CountedTable> = (0..25)
            .map(|i| CountedTable::catalog("s", &format!("t{i}")))
            .collect();
        assert!(named_counts(&many, &[0; 25]).ends_with("and 5 more tables"));
    }

    #[test]
    fn the_heartbeat_counts_only_when_dumped() {
        let toml = "[[ventures]]\nname = \"shop\"\n[ventures.heartbeat]\nenabled = true\ntable = \"public.hb\"\n";
        let config =
            crate::config::load_str(toml, "backstop.toml", &|_: &str| None).expect("config");
        assert_eq!(heartbeat_in_dump(&config.ventures[0]), Some("public.hb"));
        let toml = "[[ventures]]\nname = \"shop\"\n[ventures.heartbeat]\nenabled = true\n";
        let config =
            crate::config::load_str(toml, "backstop.toml", &|_: &str| None).expect("config");
        assert_eq!(heartbeat_in_dump(&config.ventures[0]), None);
    }
}
