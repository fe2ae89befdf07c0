#!/usr/bin/env bash
# /metrics at 1, 100, 1,000 and 10,000 ventures against prometheus-postgres-exporter on the same
# database in the same run (p50/p99 with one scraper, scrapes/s with eight, exposition bytes per
# venture), and RSS and idle CPU of the agent at 1,000 and 10,000 ventures with the default
# intervals (measured first, before any scrape).
# Prints Markdown tables with the machine.
#
#   bench/scale.sh                                    # COUNTS="1 100 1000 10000" IDLE_AT="1000 10000"
#   COUNTS="1 1000" IDLE_AT=1000 IDLE_SECONDS=120 bench/scale.sh   # a quicker try
#   COUNTS=1 IDLE_AT= bench/scale.sh                  # one venture against the exporter, about a minute
#
# The ventures: venture 1 has an endpoint on BENCH_DSN (the database the exporter watches); odd
# ventures have a pgBackRest source (a fake `pgbackrest` printing the recorded 2.45 `info` and
# `repo-ls` of src/sources/pgbackrest/testdata), even ones a Supabase project on
# bench/fake-supabase.py (7 daily backups, PITR). Every interval is the default (pgBackRest info
# 60 s, repo-ls 10 min, Supabase 5 min, endpoint 10 s); only the Supabase rate limit is raised
# (`supabase_max_requests_per_min = 1000000`) so that every project really is polled every 5 min:
# the default 120/min would stretch 5,000 projects to one poll every 125 min and flatter the
# figures. Idle CPU is the agent's own user+system time over IDLE_SECONDS (default 600, one whole
# repo-ls round) with no scrapes, after every source was polled once; the fake pgbackrest
# processes it spawned are shown apart (children), as is the Supabase fake.
#
# Needs: wrk, prometheus-postgres-exporter, python3, curl
# (apt-get install -y wrk prometheus-postgres-exporter python3 curl) and a PostgreSQL server at
# BENCH_DSN (default: the local server).
set -euo pipefail
cd "$(dirname "$0")/.."
DSN=${BENCH_DSN:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
DURATION=${BENCH_DURATION:-10s}
COUNTS=${COUNTS:-1 100 1000 10000}
IDLE_AT=${IDLE_AT-1000 10000}   # empty: no idle measurement
IDLE_SECONDS=${IDLE_SECONDS:-600}
for bin in wrk prometheus-postgres-exporter python3 curl; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y wrk prometheus-postgres-exporter python3 curl" >&2; exit 1; }
done
if [ -z "${BACKSTOP_BIN:-}" ]; then cargo build --release --locked -q; fi
BIN=${BACKSTOP_BIN:-target/release/backstop}
out=$(mktemp -d)
agent_pid= fake_pid= exporter_pid=
cleanup() {
  for p in $agent_pid $fake_pid $exporter_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $out" >&2 || rm -rf "$out"
}
trap cleanup EXIT
AGENT=127.0.0.1:19850 FAKE=127.0.0.1:19854 EXPORTER=127.0.0.1:19187

mkdir -p "$out/fake/log"
cp src/sources/pgbackrest/testdata/info-2.45.json "$out/fake/info.json"
cp src/sources/pgbackrest/testdata/repo-ls-2.45.json "$out/fake/ls.json"
printf '[global]\nlog-path=%s\n' "$out/fake/log" >"$out/fake/pgbackrest.conf"
cat >"$out/fake/pgbackrest" <<'SH'
#!/bin/sh
dir=$(dirname "$0")
case "$*" in *repo-ls*) exec cat "$dir/ls.json" ;; *" info"*) exec cat "$dir/info.json" ;; *) echo '[]' ;; esac
SH
chmod 755 "$out/fake/pgbackrest"

python3 bench/fake-supabase.py "$FAKE" >"$out/fake-supabase.out" 2>&1 &
fake_pid=$!
DATA_SOURCE_NAME=$DSN prometheus-postgres-exporter --web.listen-address="$EXPORTER" 2>"$out/exporter.log" &
exporter_pid=$!
for url in "http://$FAKE/v1/projects/aaaaaaaaaaaaaaaaaaaa" "http://$EXPORTER/metrics"; do
  for _ in $(seq 100); do curl -fs "$url" >/dev/null && break; sleep 0.1; done
done
for p in $fake_pid $exporter_pid; do
  kill -0 "$p" 2>/dev/null || { echo "a fake or the exporter did not start (port taken?): $(cat "$out/fake-supabase.out" "$out/exporter.log")" >&2; exit 1; }
done

config() { # n -> config file with n ventures
  local n=$1 f="$out/backstop-$1.toml"
  python3 - "$n" "$out" "$FAKE" "$AGENT" >"$f" <<'PY'
import sys
n, out, fake, agent = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def ref(i):
    s = ""
    for _ in range(20):
        s = chr(97 + i % 26) + s
        i //= 26
    return s
print(f'[agent]\nlisten = "{agent}"\nstate = "sqlite:{out}/state-{n}.db"\nsupabase_max_requests_per_min = 1000000\n')
for i in range(1, n + 1):
    print(f'[[ventures]]\nname = "v{i:05d}"')
    if i == 1:
        print('  [[ventures.endpoints]]\n  name = "pg1"\n  dsn_env = "BENCH_PG_DSN"')
    if i % 2 == 1:
        print(f'  [ventures.backups]\n  kind = "pgbackrest"\n  stanza = "demo"\n'
              f'  config = "{out}/fake/pgbackrest.conf"\n  command = "{out}/fake/pgbackrest"')
    else:
        print(f'  [ventures.backups]\n  kind = "supabase"\n  project_ref = "{ref(i)}"\n'
              f'  token_env = "BENCH_SUPABASE_TOKEN"\n  api_url = "http://{fake}"')
    print()
PY
  echo "$f"
}

sources_up() { curl -fs "http://$AGENT/metrics" | grep -c '^backstop_source_up{.*} 1$' || true; }

start() { # config n -> waits until every venture's source answered once; sets ready_s
  local t0
  t0=$(date +%s.%N)
  BENCH_PG_DSN=$DSN BENCH_SUPABASE_TOKEN=sbp_bench0123456789abcdef0123456789abcdef0 \
    "$BIN" run --config "$1" >>"$out/agent.log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 1200); do
    if [ "$(sources_up)" = "$2" ]; then
      ready_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
      return
    fi
    kill -0 "$agent_pid" 2>/dev/null || { echo "the agent exited; log: $out/agent.log" >&2; tail "$out/agent.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "only $(sources_up) of $2 sources up after 600 s; log: $out/agent.log" >&2; exit 1
}
stop() { kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=; }

run_wrk() { # connections url -> "p50_ms p99_ms req_per_s"
  local threads=2
  [ "$1" = 1 ] && threads=1
  wrk -c"$1" -t"$threads" -d"$DURATION" --timeout 10s --latency "$2" | awk '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    $1=="50%" {p50=ms($2)} $1=="99%" {p99=ms($2)} $1=="Requests/sec:" {rps=$2}
    END {printf "%.3f %.3f %.1f\n", p50, p99, rps}'
}
status_field() { awk -v k="$2:" '$1==k {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu_ticks() { # pid -> "self children" in clock ticks (fields 14+15, 16+17 of /proc/pid/stat)
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13, $14 + $15}'
}

rows=() idle_rows=()
for n in $COUNTS; do
  f=$(config "$n")
  start "$f" "$n"
  idle=
  if [[ " $IDLE_AT " == *" $n "* ]]; then
    # Idle first, before any scrape: the agent only polls.
    sleep 20
    hz=$(getconf CLK_TCK)
    read -r s0 c0 < <(cpu_ticks "$agent_pid"); read -r f0 _ < <(cpu_ticks "$fake_pid")
    t0=$(date +%s.%N)
    sleep "$IDLE_SECONDS"
    read -r s1 c1 < <(cpu_ticks "$agent_pid"); read -r f1 _ < <(cpu_ticks "$fake_pid")
    t1=$(date +%s.%N)
    rss=$(status_field "$agent_pid" VmRSS); hwm=$(status_field "$agent_pid" VmHWM)
    threads=$(awk '$1=="Threads:" {print $2}' "/proc/$agent_pid/status")
    idle="$n $rss $hwm $threads $(awk -v a="$s0" -v b="$s1" -v c="$c0" -v d="$c1" -v e="$f0" -v g="$f1" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
      'BEGIN {w = t1 - t0; printf "%.2f %.2f %.2f %.0f", 100 * (b - a) / hz / w, 100 * (d - c) / hz / w, 100 * (g - e) / hz / w, w}')"
  fi
  # One scraper at a time (as Prometheus scrapes) for latency, then 8 at once for throughput.
  read -r b50 b99 _ < <(run_wrk 1 "http://$AGENT/metrics")
  read -r _ b99c8 brps < <(run_wrk 8 "http://$AGENT/metrics")
  read -r e50 e99 _ < <(run_wrk 1 "http://$EXPORTER/metrics")
  read -r _ e99c8 erps < <(run_wrk 8 "http://$EXPORTER/metrics")
  bbytes=$(curl -s "http://$AGENT/metrics" | wc -c)
  ebytes=$(curl -s "http://$EXPORTER/metrics" | wc -c)
  rows+=("$n $ready_s $b50 $b99 $brps $b99c8 $bbytes $e50 $e99 $erps $e99c8 $ebytes")
  if [ -n "$idle" ]; then
    idle_rows+=("$idle $(status_field "$agent_pid" VmRSS) $(status_field "$agent_pid" VmHWM)")
  fi
  stop
done

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "backstop $("$BIN" --version | awk '{print $2}') (release); $(prometheus-postgres-exporter --version 2>&1 | head -1); PostgreSQL $(psql "$DSN" -Atc 'show server_version' 2>/dev/null || echo '?')"
echo "load: wrk --latency -d$DURATION, one connection (-c1 -t1: one scraper, as Prometheus scrapes) for p50/p99, eight (-c8 -t2) for scrapes/s; the exporter watches the database of venture 1's endpoint, measured right after backstop in each row"
echo
echo "| ventures | sources up after s | backstop p50 ms | **backstop p99 ms** | backstop scrapes/s (-c8) | backstop p99 ms (-c8) | bytes | bytes/venture | exporter p50 ms | exporter p99 ms | exporter scrapes/s (-c8) | exporter p99 ms (-c8) | exporter bytes | **scrapes/s backstop/exporter** |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for r in "${rows[@]}"; do
  read -r n ready b50 b99 brps b99c8 bbytes e50 e99 erps e99c8 ebytes <<<"$r"
  awk -v n="$n" -v ready="$ready" -v b50="$b50" -v b99="$b99" -v brps="$brps" -v b8="$b99c8" -v bb="$bbytes" -v e50="$e50" -v e99="$e99" -v erps="$erps" -v e8="$e99c8" -v eb="$ebytes" 'BEGIN {
    printf "| %d | %s | %s | **%s** | %s | %s | %d | %.0f | %s | %s | %s | %s | %d | **%.1f×** |\n", n, ready, b50, b99, brps, b8, bb, bb / n, e50, e99, erps, e8, eb, brps / erps }'
done
if [ "${#idle_rows[@]}" -gt 0 ]; then
  echo
  echo "Idle, before any scrape, default intervals, over the window given (CPU in % of one core); then RSS after the scrapes above:"
  echo
  echo "| ventures | **RSS MB, idle** | peak RSS MB (start) | threads | **agent CPU %** | spawned fake pgbackrest CPU % | Supabase fake CPU % | window s | RSS MB after the scrapes | peak RSS MB |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for r in "${idle_rows[@]}"; do
    read -r n rss hwm threads cpu child fake w rss2 hwm2 <<<"$r"
    echo "| $n | **$rss** | $hwm | $threads | **$cpu** | $child | $fake | $w | $rss2 | $hwm2 |"
  done
fi
kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true; fake_pid=
echo
echo "Supabase fake requests: $(cat "$out/fake-supabase.out" 2>/dev/null || echo '?')"
