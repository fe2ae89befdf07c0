//! Retention evaluation over 1,000, 10,000 and 100,000 synthetic hourly backups, for a GFS
//! policy (7 daily / 4 weekly / 12 monthly) and an unlimited one (`--keep-hourly -1`, which
//! keeps every backup): time per evaluation (min / p50). Run: `cargo bench --bench retention`.
//! The anchor is the per-backup cost at 1,000: evaluation should stay linear (n log n sort).

#[path = "machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use backstop::retention::{evaluate, Item, Policy};
use chrono::{DateTime, Duration as Span};

fn main() {
    println!("machine: {}", machine::describe());
    println!();
    println!("| backups | policy | kept | min ms | p50 ms | ns/backup (p50) |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: |");
    let start = DateTime::parse_from_rfc3339("2014-01-01T00:30:00Z").expect("valid");
    let gfs = Policy {
        daily: 7,
        weekly: 4,
        monthly: 12,
        ..Policy::default()
    };
    let unlimited = Policy {
        hourly: -1,
        ..Policy::default()
    };
    for n in [1_000usize, 10_000, 100_000] {
        // Hourly backups, newest last (the order a backup source lists them).
        let items: Vec<Item> = (0..n)
            .map(|h| Item::at(start + Span::hours(h as i64)))
            .collect();
        for (name, policy) in [("7d/4w/12m", &gfs), ("hourly -1", &unlimited)] {
            let runs = match n {
                100_000 => 15,
                10_000 => 60,
                _ => 300,
            };
            let mut kept = 0;
            let mut times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let v = evaluate(policy, &items);
                    let elapsed = t.elapsed();
                    kept = v.iter().filter(|v| v.keep).count();
                    elapsed
                })
                .collect();
            times.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            let p50 = times[times.len() / 2];
            println!(
                "| {n} | {name} | {kept} | {:.3} | {:.3} | {:.0} |",
                ms(times[0]),
                ms(p50),
                p50.as_secs_f64() * 1e9 / n as f64
            );
        }
    }
}
