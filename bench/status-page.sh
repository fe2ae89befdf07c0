#!/usr/bin/env bash
# The status page at / with 1 and with 100 ventures (VENTURES): page weight (HTML + CSS + JS) and
# time to first render in headless Chromium (navigation and paint timing, median of RUNS cold
# loads), plus the server's time to answer / (curl, median of RUNS). The 1-venture page is the
# anchor: the per-venture cost should stay flat. Prints a Markdown table with the machine.
#
#   bench/status-page.sh                 # VENTURES=100 RUNS=10
#
# Each venture is a pgBackRest venture on a fake `pgbackrest` printing the recorded 2.45 `info`
# and `repo-ls` of src/sources/pgbackrest/testdata (2 backups, a whole window), with 2 drills
# (a passed and a failed one, 5 steps each) and 30 daily size samples seeded into the agent's
# SQLite store (the store's schema, written with sqlite3), so every section has content.
# Needs: chromium, node + npm ci --prefix tests/browser, sqlite3, curl (scripts/deps.sh test;
# apt-get install -y sqlite3 curl).
set -euo pipefail
cd "$(dirname "$0")/.."
VENTURES=${VENTURES:-100}
RUNS=${RUNS:-10}
for bin in sqlite3 curl node; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y sqlite3 curl nodejs npm" >&2; exit 1; }
done
[ -x /usr/bin/chromium ] || { echo "missing chromium: apt-get install -y chromium" >&2; exit 1; }
[ -d tests/browser/node_modules/playwright-core ] || npm ci --prefix tests/browser --no-audit --no-fund >&2
if [ -z "${BACKSTOP_BIN:-}" ]; then cargo build --release --locked -q; fi
BIN=${BACKSTOP_BIN:-target/release/backstop}   # BACKSTOP_BIN=target/debug/backstop for a quick try
out=$(mktemp -d)
agent_pid=
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT

# The fake pgbackrest and its recorded output.
mkdir -p "$out/fake/log"
cp src/sources/pgbackrest/testdata/info-2.45.json "$out/fake/info.json"
cp src/sources/pgbackrest/testdata/repo-ls-2.45.json "$out/fake/ls.json"
printf '[global]\nlog-path=%s\n' "$out/fake/log" >"$out/fake/pgbackrest.conf"
cat >"$out/fake/pgbackrest" <<'SH'
#!/bin/sh
dir=$(dirname "$0")
case "$*" in *repo-ls*) cat "$dir/ls.json" ;; *" info"*) cat "$dir/info.json" ;; *) echo '[]' ;; esac
SH
chmod 755 "$out/fake/pgbackrest"

config() { # n -> config file with n ventures
  local n=$1 f="$out/backstop-$1.toml"
  printf '[agent]\nlisten = "127.0.0.1:19848"\nstate = "sqlite:%s"\n\n' "$out/state-$n.db" >"$f"
  for i in $(seq -f '%03g' 1 "$n"); do
    printf '[[ventures]]\nname = "v%s"\n  [ventures.backups]\n  kind = "pgbackrest"\n  stanza = "demo"\n  config = "%s"\n  command = "%s"\n  poll_interval = "1h"\n\n' \
      "$i" "$out/fake/pgbackrest.conf" "$out/fake/pgbackrest" >>"$f"
  done
  echo "$f"
}

start() { # config -> waits until every venture's source was polled
  "$BIN" run --config "$1" 2>>"$out/agent.log" &
  agent_pid=$!
  local last=$2
  for _ in $(seq 300); do
    curl -fs "http://127.0.0.1:19848/api/v1/ventures/$last/backups" 2>/dev/null | grep -q '"last_poll":"' && return
    sleep 0.1
  done
  echo "the agent did not poll $last; log: $out/agent.log" >&2; exit 1
}
stop() { kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=; }

seed() { # n: 2 drills and 30 size samples per venture, through the store's schema
  local n=$1 db="$out/state-$1.db" now_us sql
  now_us=$(( $(date +%s) * 1000000 ))
  sql="BEGIN;"
  for i in $(seq -f '%03g' 1 "$n"); do
    for d in 1 2; do
      local start=$(( now_us - d * 86400000000 )) outcome=passed reason=NULL rto=412.5 rpo=8.2
      if [ "$d" = 2 ]; then outcome=failed; reason="'validation failed: assertion did not return one true: SELECT count(*) > 0 FROM orders'"; rto=NULL; rpo=NULL; fi
      sql+="INSERT INTO drills (venture, started_at, finished_at, outcome, target_time, rto_seconds, rpo_seconds, reason) VALUES ('v$i', $start, $(( start + 420000000 )), '$outcome', $start, $rto, $rpo, $reason);"
      local ord=0
      for step in prepare restore replay validate cleanup; do
        sql+="INSERT INTO drill_steps VALUES ((SELECT max(id) FROM drills), $ord, '$step', 80.5, 1, 'ok');"
        ord=$((ord + 1))
      done
    done
    for back in $(seq 1 30); do
      sql+="INSERT OR REPLACE INTO size_samples VALUES ('v$i', '$(date -u -d "-$back days" +%F)', $(( 23213893 + (30 - back) * 250000 )));"
    done
  done
  printf "%s COMMIT;\n" "$sql" | sqlite3 "$db"
}

measure() { # n -> "html css js total server_ms ttfb fcp dcl load"
  local n=$1 f last server json
  f=$(config "$n"); last=$(printf 'v%03d' "$n")
  start "$f" "$last"; stop; seed "$n"; start "$f" "$last"
  server=$(for _ in $(seq "$RUNS"); do curl -s -o /dev/null -w '%{time_total}\n' http://127.0.0.1:19848/; done \
    | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}')
  json=$(CHROMIUM=/usr/bin/chromium node tests/browser/status-page.js --bench http://127.0.0.1:19848/ "$RUNS")
  stop
  node -e '
    const r = JSON.parse(process.argv[1]);
    if (r.ventures !== Number(process.argv[2])) { console.error("rendered " + r.ventures + " ventures"); process.exit(1); }
    const m = r.median_ms, f = (x) => x === null ? "n/a" : x.toFixed(0);
    console.log([r.html_bytes, r.css_bytes, r.js_bytes, r.total_bytes, process.argv[3], f(m.ttfb), f(m.first_contentful_paint), f(m.dom_content_loaded), f(m.load)].join(" "));
  ' "$json" "$n" "$server"
}

read -r h1 c1 j1 t1 s1 tt1 fcp1 dcl1 l1 < <(measure 1)
read -r hn cn jn tn sn ttn fcpn dcln ln < <(measure "$VENTURES")

echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -r); $(date -u +%FT%TZ)"
echo "browser: $(/usr/bin/chromium --version 2>/dev/null | head -1), headless, 1280x900, cold context per load; medians of $RUNS loads"
echo
echo "| ventures | HTML bytes | CSS bytes | JS bytes | **page weight** | server ms (curl) | TTFB ms | **first contentful paint ms** | DOMContentLoaded ms | load ms |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| 1 | $h1 | $c1 | $j1 | $t1 | $s1 | $tt1 | $fcp1 | $dcl1 | $l1 |"
echo "| $VENTURES | $hn | $cn | $jn | $tn | $sn | $ttn | $fcpn | $dcln | $ln |"
awk -v h1="$h1" -v hn="$hn" -v n="$VENTURES" -v f1="$fcp1" -v fn="$fcpn" -v s1="$s1" -v sn="$sn" 'BEGIN {
  printf "\nHTML per venture: %.0f bytes at %d ventures vs %.0f at 1 (ratio %.2f); first contentful paint %d/1: %.2f; server time %d/1: %.2f\n",
    hn / n, n, h1, (hn / n) / h1, n, fn / f1, n, sn / s1 }'
