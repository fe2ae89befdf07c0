//! The durable store: write then read 10,000 drill records (4 steps each) on SQLite and on a
//! PostgreSQL scratch cluster created here (default durability settings: fsync on). Per record
//! write latency (`start_drill` + `finish_drill`, two commits) p50/p99 and total; read latency
//! of listing all of them (`drills`) and of `last_drill`. Run: `cargo bench --bench store`
//! (`BACKSTOP_BENCH_RECORDS=N` for another count).

#[path = "machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use backstop::postgres::{ScratchCluster, ScratchOptions};
use backstop::secret::Secret;
use backstop::store::{DrillFinish, DrillStep, Store};
use chrono::{TimeZone, Utc};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let records: usize = std::env::var("BACKSTOP_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!(
        "machine: {}; {records} drills with 4 steps each",
        machine::describe()
    );
    let root = tempfile::Builder::new()
        .prefix("backstop-bench-")
        .tempdir()
        .expect("temp dir");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    let mut rows = Vec::new();
    let sqlite = Secret::new(format!("sqlite:{}", root.path().join("state.db").display()));
    rows.push((
        "SQLite (WAL, synchronous=FULL)",
        run(&sqlite, records).await,
    ));

    let mut cluster = ScratchCluster::create(root.path(), "bench", &ScratchOptions::default())
        .await
        .expect("scratch cluster (apt-get install -y postgresql-15)");
    cluster.start().await.expect("start cluster");
    let pg = Secret::new(format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        cluster.port()
    ));
    rows.push(("PostgreSQL 15 (local, fsync on)", run(&pg, records).await));
    cluster.remove().await.expect("remove cluster");

    println!();
    println!("| backend | write p50 ms | write p99 ms | write total s | records/s | list all ms (p50) | last_drill ms (p50) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, r) in rows {
        println!(
            "| {name} | {:.3} | {:.3} | {:.2} | {:.0} | {:.1} | {:.3} |",
            ms(r.write_p50),
            ms(r.write_p99),
            r.write_total.as_secs_f64(),
            records as f64 / r.write_total.as_secs_f64(),
            ms(r.list_p50),
            ms(r.last_p50),
        );
    }
}

struct Result {
    write_p50: Duration,
    write_p99: Duration,
    write_total: Duration,
    list_p50: Duration,
    last_p50: Duration,
}

async fn run(url: &Secret, records: usize) -> Result {
    let store = Store::open(url).await.expect("open store");
    let base = Utc.timestamp_opt(1_767_225_600, 0).single().expect("time");
    let steps: Vec<DrillStep> = ["restore", "replay", "validate", "cleanup"]
        .iter()
        .map(|name| DrillStep {
            name: name.to_string(),
            seconds: 12.5,
            ok: true,
            detail: format!("{name} done"),
        })
        .collect();
    let mut writes = Vec::with_capacity(records);
    let start = Instant::now();
    for i in 0..records {
        let at = base + chrono::Duration::seconds(i as i64 * 60);
        let t = Instant::now();
        let id = store
            .start_drill("bench", at, Some(at))
            .await
            .expect("start");
        let finish = DrillFinish {
            finished_at: at + chrono::Duration::seconds(50),
            outcome: "passed".into(),
            target_time: None,
            rto_seconds: Some(50.0),
            rpo_seconds: Some(1.5),
            reason: None,
            log_excerpt: Some("LOG:  database system is ready to accept connections".into()),
            steps: steps.clone(),
        };
        store.finish_drill(id, &finish).await.expect("finish");
        writes.push(t.elapsed());
    }
    let write_total = start.elapsed();
    let until = base + chrono::Duration::days(3650);
    let mut lists = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let all = store.drills("bench", base, until).await.expect("list");
        lists.push(t.elapsed());
        assert_eq!(all.len(), records);
        assert!(all.iter().all(|d| d.steps.len() == 4));
    }
    let mut lasts = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        store
            .last_drill("bench")
            .await
            .expect("last")
            .expect("some");
        lasts.push(t.elapsed());
    }
    Result {
        write_p50: pct(&mut writes, 50),
        write_p99: pct(&mut writes, 99),
        write_total,
        list_p50: pct(&mut lists, 50),
        last_p50: pct(&mut lasts, 50),
    }
}

fn pct(v: &mut [Duration], p: usize) -> Duration {
    v.sort();
    v[(v.len() * p / 100).min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
