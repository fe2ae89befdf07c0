//! Encoding `/metrics` from a synthetic snapshot of 1, 100, 1,000 and 10,000 ventures (two
//! endpoints each, every field set): time per scrape (min / p50 / p99 of warm runs) and
//! exposition size, in both formats. Run: `cargo bench --bench encode`. The anchor is the
//! per-venture cost at 1 venture: it should stay flat as the fleet grows.

#[path = "machine.rs"]
mod machine;

use std::time::{Duration, Instant};

use backstop::metrics::{synthetic, Format, Metrics};
use backstop::state::SharedState;

fn main() {
    println!("machine: {}", machine::describe());
    println!();
    println!("| ventures | format | series | bytes | bytes/venture | min ms | p50 ms | p99 ms | µs/venture (p50) |");
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for ventures in [1usize, 100, 1_000, 10_000] {
        let metrics = Metrics::new(SharedState::new(synthetic::snapshot(
            ventures,
            chrono::Utc::now(),
        )));
        for format in [Format::PrometheusText, Format::OpenMetrics] {
            let runs = match ventures {
                10_000 => 15,
                1_000 => 60,
                _ => 300,
            };
            let mut text = String::new();
            let mut times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    text = metrics.encode(format).expect("encodes");
                    t.elapsed()
                })
                .collect();
            times.sort();
            let series = text.lines().filter(|l| !l.starts_with('#')).count();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            let p50 = times[times.len() / 2];
            let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
            println!(
                "| {ventures} | {format:?} | {series} | {} | {} | {:.3} | {:.3} | {:.3} | {:.1} |",
                text.len(),
                text.len() / ventures,
                ms(times[0]),
                ms(p50),
                ms(p99),
                p50.as_secs_f64() * 1e6 / ventures as f64
            );
        }
    }
}
