#!/usr/bin/env bash
# /metrics for one venture: backstop against prometheus-postgres-exporter on the same database,
# in the same run, under `wrk -c8 -d10s`. Prints a Markdown table with the machine and ratios.
#
#   bench/metrics-vs-postgres-exporter.sh            # uses BENCH_DSN, default the local server
#   BENCH_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable bench/metrics-vs-postgres-exporter.sh
#
# Needs: wrk, prometheus-postgres-exporter (apt-get install -y wrk prometheus-postgres-exporter),
# a PostgreSQL server reachable at BENCH_DSN.
set -euo pipefail
cd "$(dirname "$0")/.."
DSN=${BENCH_DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DURATION=${BENCH_DURATION:-10s}
for bin in wrk prometheus-postgres-exporter; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y wrk prometheus-postgres-exporter" >&2; exit 1; }
done
cargo build --release --locked -q
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT

cat >"$out/backstop.toml" <<TOML
[agent]
listen = "127.0.0.1:19847"
state = "sqlite:$out/state.db"

[[ventures]]
name = "bench"
  [[ventures.endpoints]]
  name = "pg1"
  dsn_env = "BENCH_PG_DSN"
TOML
BENCH_PG_DSN=$DSN target/release/backstop run --config "$out/backstop.toml" 2>"$out/backstop.log" &
backstop_pid=$!
DATA_SOURCE_NAME=$DSN prometheus-postgres-exporter --web.listen-address=127.0.0.1:19187 2>"$out/exporter.log" &
exporter_pid=$!
for url in http://127.0.0.1:19847/readyz http://127.0.0.1:19187/metrics; do
  for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
done

run_wrk() { # url -> "p50_ms p99_ms req_per_s"
  wrk -c8 -t2 -d"$DURATION" --latency "$1" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    $1=="50%" {p50=ms($2)} $1=="99%" {p99=ms($2)} $1=="Requests/sec:" {rps=$2}
    END {printf "%.3f %.3f %.1f\n", p50, p99, rps}'
}
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

read -r b50 b99 brps < <(run_wrk http://127.0.0.1:19847/metrics)
read -r e50 e99 erps < <(run_wrk http://127.0.0.1:19187/metrics)
brss=$(rss_mb $backstop_pid); erss=$(rss_mb $exporter_pid)
bbytes=$(curl -s http://127.0.0.1:19847/metrics | wc -c); ebytes=$(curl -s http://127.0.0.1:19187/metrics | wc -c)

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r); $(date -u +%FT%TZ)"
echo "load: wrk -c8 -t2 -d$DURATION --latency, one venture / one database, same run"
echo
echo "| agent | p50 ms | p99 ms | scrapes/s | RSS MB | bytes/scrape |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| backstop | $b50 | $b99 | $brps | $brss | $bbytes |"
echo "| postgres_exporter | $e50 | $e99 | $erps | $erss | $ebytes |"
awk -v b="$brps" -v e="$erps" -v b50="$b50" -v e50="$e50" -v b99="$b99" -v e99="$e99" -v br="$brss" -v er="$erss" 'BEGIN {
  printf "| ratio | %.1fx lower | %.1fx lower | %.1fx more | %.2fx | |\n", e50/b50, e99/b99, b/e, br/er }'
