//! Encoder tests: both formats, absent values, promtool on the 0.0.4 output, and scale.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::Utc;

use super::*;
use crate::state::VentureState;
use crate::state::{EndpointObservation, EndpointState, Role, Snapshot, SourceKind, SourceState};

fn encode(snap: Snapshot, format: Format) -> String {
    Metrics::new(SharedState::new(snap))
        .encode(format)
        .expect("encoding succeeds")
}

/// Sample lines (not comments) whose metric name is exactly `name`.
fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .collect()
}

#[test]
fn promtool_accepts_prometheus_text() {
    let text = encode(synthetic::snapshot(2, Utc::now()), Format::PrometheusText);
    let mut child = match Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("promtool not runnable ({e}): apt-get install -y prometheus"),
    };
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool failed:\n{report}\n{text}");
    assert_eq!(
        report, "",
        "promtool must print nothing; it said:\n{report}"
    );
}

#[test]
fn prometheus_text_has_no_openmetrics_markers() {
    let text = encode(synthetic::snapshot(2, Utc::now()), Format::PrometheusText);
    assert!(!text.contains("# UNIT"));
    assert!(!text.contains("# EOF"));
    assert!(text.contains("# HELP backstop_errors_total "));
    assert!(text.contains("# TYPE backstop_errors_total counter\n"));
    assert!(text.contains("# TYPE backstop_wal_archived_total counter\n"));
}

#[test]
fn openmetrics_is_complete() {
    let text = encode(synthetic::snapshot(2, Utc::now()), Format::OpenMetrics);
    assert!(text.ends_with("# EOF\n"));
    assert_eq!(text.matches("# EOF").count(), 1);
    // Counter families are named without `_total`; their samples carry it.
    assert!(text.contains("# TYPE backstop_errors counter\n"));
    assert_eq!(samples(&text, "backstop_errors_total").len(), 2 * 10);
    assert!(text.contains("# UNIT backstop_wal_archive_lag_bytes bytes\n"));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap_or("");
        assert!(
            value == "+Inf" || value.parse::<f64>().is_ok(),
            "bad sample line: {line}"
        );
    }
}

#[test]
fn unknown_values_are_absent_and_known_counters_start_at_zero() {
    let snap = Snapshot {
        ventures: crate::state::shared(vec![VentureState {
            name: "acme".into(),
            endpoints: vec![EndpointState {
                name: "db".into(),
                ..Default::default()
            }],
            source: Some(SourceState::new(SourceKind::Supabase)),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let text = encode(snap, Format::PrometheusText);
    for absent in [
        "backstop_start_time_seconds",
        "backstop_pitr_enabled",
        "backstop_source_up",
        "backstop_source_last_poll_timestamp_seconds",
        "backstop_wal_archive_last_archived_timestamp_seconds",
        "backstop_wal_archived_total",
        "backstop_archive_timeout_seconds",
        "backstop_probe_up",
        "backstop_replication_lag_bytes",
        "backstop_database_size_bytes",
        "backstop_endpoint_poll_up",
    ] {
        assert!(!text.contains(absent), "{absent} must be absent:\n{text}");
    }
    assert!(text.contains("backstop_ready 0\n"));
    assert!(text.contains("backstop_errors_total{venture=\"acme\",kind=\"rate_limited\"} 0\n"));
    assert!(text.contains("backstop_failovers_total{venture=\"acme\",outcome=\"refused\"} 0\n"));
    assert!(text.contains("backstop_drill_missed_runs_total{venture=\"acme\"} 0\n"));
    assert!(text
        .contains("backstop_endpoint_role{venture=\"acme\",endpoint=\"db\",role=\"unknown\"} 1\n"));
    assert!(text
        .contains("backstop_probe_duration_seconds_count{venture=\"acme\",endpoint=\"db\"} 0\n"));
}

#[test]
fn empty_snapshot_has_only_agent_families() {
    let text = encode(Snapshot::default(), Format::PrometheusText);
    assert!(text.contains("backstop_build_info{version=\""));
    assert!(text.contains("backstop_ventures 0\n"));
    assert!(!text.contains("venture="), "{text}");
}

#[test]
fn pitr_enabled_follows_the_primary_archive_mode() {
    let cases = [
        (Some("on"), Some("1")),
        (Some("always"), Some("1")),
        (Some("off"), Some("0")),
        (Some(""), None),
        (None, None),
    ];
    for (mode, want) in cases {
        let primary = EndpointState {
            name: "db".into(),
            configured_role: Role::Primary,
            observed: mode.map(|m| EndpointObservation {
                archive_mode: m.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let snap = Snapshot {
            ventures: crate::state::shared(vec![VentureState {
                name: "acme".into(),
                endpoints: vec![primary],
                ..Default::default()
            }]),
            ..Default::default()
        };
        let text = encode(snap, Format::PrometheusText);
        let got = samples(&text, "backstop_pitr_enabled");
        let got = got.first().and_then(|l| l.rsplit(' ').next());
        assert_eq!(got, want, "archive_mode {mode:?}");
    }
}

#[test]
fn label_values_are_escaped() {
    let snap = Snapshot {
        ventures: crate::state::shared(vec![VentureState {
            name: "a\"b\\c".into(),
            ..Default::default()
        }]),
        ..Default::default()
    };
    let text = encode(snap, Format::PrometheusText);
    assert!(text.contains(r#"venture="a\"b\\c""#), "{text}");
}

#[test]
fn scrape_duration_is_recorded() {
    let metrics = Metrics::new(SharedState::new(Snapshot::default()));
    metrics.encode(Format::PrometheusText).expect("encodes");
    let text = metrics.encode(Format::PrometheusText).expect("encodes");
    assert!(
        text.contains("backstop_scrape_duration_seconds_count 1\n"),
        "{text}"
    );
}

/// 1,000 and 10,000 ventures with two endpoints each: the encoder stays well within a scrape
/// timeout even unoptimised. Run with `--nocapture` to see times and sizes.
#[test]
fn scrape_of_10k_ventures_is_bounded() {
    for ventures in [1_000, 10_000] {
        let metrics = Metrics::new(SharedState::new(synthetic::snapshot(ventures, Utc::now())));
        for format in [Format::PrometheusText, Format::OpenMetrics] {
            let started = Instant::now();
            let text = metrics.encode(format).expect("encodes");
            let elapsed = started.elapsed();
            let series = text.lines().filter(|l| !l.starts_with('#')).count();
            println!(
                "{format:?}: {ventures} ventures -> {series} series, {} bytes in {elapsed:?}",
                text.len()
            );
            assert!(series > ventures * 80, "{series} series");
            assert!(elapsed.as_secs_f64() < 5.0, "encoding took {elapsed:?}");
        }
    }
}
