#!/usr/bin/env bash
# A DR drill against a bare restore of the same backup: `backstop drill --venture bench --json`
# (restore, start, wait until promoted, validate, record, remove) against the anchor, a bare
# `pgbackrest restore --archive-mode=off` + minimal settings + `pg_ctl start` until
# `pg_is_in_recovery()` is false, alternating in the same run on the same backup and WAL.
# Prints Markdown tables with the machine, per-run times, medians and the ratio drill/anchor.
#
#   bench/drill-vs-restore.sh                 # SCALE=70 (about 1 GB), RUNS=3
#   SCALE=100 RUNS=5 bench/drill-vs-restore.sh
#
# Needs: root (the clusters run as the `postgres` OS user) or the `postgres` user itself,
# PostgreSQL 15 server and contrib (amcheck), pgbench, pgbackrest, jq. Everything lives in one
# temporary directory under ${TMPDIR:-/var/tmp} (about 2.5 GB at scale 70: source, repository,
# one restore at a time), removed on exit with every cluster and process it started. The system
# server on port 5432 is never used: every connection names its own port and socket directory.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-70}
RUNS=${RUNS:-3}
ATTEMPTS=${ATTEMPTS:-8} # per run, for drills that fail (each failure is listed in the output)
COMPRESS=${COMPRESS:-lz4}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
STANZA=bench
for bin in pgbench pgbackrest jq psql ss "$PGBIN/initdb" "$PGBIN/pg_ctl"; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y postgresql-15 postgresql-contrib pgbackrest jq iproute2" >&2; exit 1; }
done
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "the postgres OS user is missing: apt-get install -y postgresql-15" >&2; exit 1; }
  AS_PG=(runuser -u postgres --)
elif [ "$(id -un)" = postgres ]; then
  AS_PG=()
else
  echo "run as root or as postgres (the clusters must belong to the postgres OS user)" >&2; exit 1
fi
as_pg() { "${AS_PG[@]}" "$@"; }
log() { echo "bench: $*" >&2; }

cargo build --release --locked -q
backstop=$PWD/target/release/backstop

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/backstop-bench.XXXXXX")
chmod 755 "$tmp"
cd "$tmp" # the postgres OS user cannot read the worktree: its programs start here
child=
agent=
# A process and all its descendants (a drill's pgbackrest runs in its own process group).
tree() { local p; echo "$1"; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$p"; done; }
cleanup() {
  set +e
  local pids="" p
  for p in $agent $child; do pids="$pids $(tree "$p")"; done
  if [ -n "${pids// /}" ]; then
    kill -TERM $pids 2>/dev/null
    for _ in $(seq 50); do kill -0 $pids 2>/dev/null || break; sleep 0.2; done
    kill -KILL $pids 2>/dev/null
    wait 2>/dev/null
  fi
  # Every cluster started here has its postmaster.pid under $tmp (source, anchors, drills).
  while IFS= read -r pid_file; do
    as_pg "$PGBIN/pg_ctl" -D "$(dirname "$pid_file")" -m immediate -w -t 60 stop >/dev/null 2>&1
  done < <(find "$tmp" -maxdepth 6 -name postmaster.pid 2>/dev/null)
  cd / && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in the background and waits for it, so that an interrupted bench can stop it
# and its descendants (the trap runs during `wait`, not after a foreground command).
run() {
  setsid "$@" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=
  return "$rc"
}
now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk -v d="${DIGITS:-1}" '{a[NR] = $1} END {printf "%." d "f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
f1() { awk -v x="$1" 'BEGIN {printf "%.1f", x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}'; }
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    [ -z "$(ss -Hltn "sport = :$p")" ] && { echo "$p"; return; }
  done
}
server_dir() { mkdir -p "$1" && chown postgres: "$1" 2>/dev/null || true; chmod 700 "$1"; }

# --- source cluster, archiving to a local pgBackRest repository --------------------------------
port=$(free_port)
sock=$tmp/sock
pgbr=$tmp/pgbackrest
mkdir -p "$pgbr" && chmod 755 "$pgbr"
for d in "$sock" "$pgbr/repo" "$pgbr/log" "$pgbr/lock" "$tmp/src" "$tmp/logs"; do server_dir "$d"; done
conf=$pgbr/pgbackrest.conf
cat >"$conf" <<CONF
[global]
repo1-path=$pgbr/repo
repo1-retention-full=1
log-path=$pgbr/log
lock-path=$pgbr/lock
start-fast=y
archive-async=n
compress-type=$COMPRESS
log-level-console=warn
log-level-file=info

[$STANZA]
pg1-path=$tmp/src/data
pg1-port=$port
pg1-socket-path=$sock
CONF
chmod 644 "$conf"
# The agent's pgBackRest command: pgbackrest as the cluster's owner (never root-owned log files).
wrapper=$pgbr/pgbackrest-as-postgres
if [ "$(id -u)" = 0 ]; then
  printf '#!/bin/sh\nexec runuser -u postgres -- pgbackrest "$@"\n' >"$wrapper"
else
  printf '#!/bin/sh\nexec pgbackrest "$@"\n' >"$wrapper"
fi
chmod 755 "$wrapper"

log "initdb and start the source cluster on port $port (socket $sock)"
as_pg "$PGBIN/initdb" -D "$tmp/src/data" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
cat >>"$tmp/src/data/postgresql.conf" <<PGCONF

# bench/drill-vs-restore.sh
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
archive_mode = on
archive_command = 'pgbackrest --config=$conf --stanza=$STANZA archive-push %p'
archive_timeout = 60s
PGCONF
as_pg "$PGBIN/pg_ctl" -D "$tmp/src/data" -l "$tmp/src/server.log" -w -t 60 start >/dev/null
q() { psql -XAtq -v ON_ERROR_STOP=1 -h "$sock" -p "$port" -U postgres -d postgres -c "$1"; }
as_pg pgbackrest --config="$conf" --stanza="$STANZA" stanza-create

log "pgbench -i -s $SCALE"
t=$(now)
run pgbench -i -q -s "$SCALE" -h "$sock" -p "$port" -U postgres postgres 2>"$tmp/pgbench.log"
init_s=$(since "$t")
db_bytes=$(q "SELECT pg_database_size('postgres')")
db_size=$(q "SELECT pg_size_pretty(pg_database_size('postgres'))")
cluster_size=$(q "SELECT pg_size_pretty(sum(pg_database_size(datname))) FROM pg_database")
btree_size=$(q "SELECT pg_size_pretty(sum(pg_relation_size(c.oid))) FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree'")
btree_count=$(q "SELECT count(*) FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree'")
accounts_heap=$(q "SELECT pg_size_pretty(pg_relation_size('pgbench_accounts'))")
accounts_pkey=$(q "SELECT pg_size_pretty(pg_relation_size('pgbench_accounts_pkey'))")
accounts_rows=$(q "SELECT count(*) FROM pgbench_accounts")
log "database postgres: $db_size ($accounts_rows rows in pgbench_accounts, heap $accounts_heap, pkey $accounts_pkey); pgbench -i took ${init_s}s"
[ "$db_bytes" -ge 1000000000 ] || log "warning: the database is smaller than 1 GB; raise SCALE"

# --- the agent: a few heartbeats before the backup ----------------------------------------------
agent_port=$(free_port)
cat >"$tmp/backstop.toml" <<TOML
[agent]
listen = "127.0.0.1:$agent_port"
state = "sqlite:$tmp/state.db"
scratch_dir = "$tmp/scratch"
poll_interval = "5s"

[[ventures]]
name = "bench"

  [[ventures.endpoints]]
  name = "pg1"
  dsn_env = "BENCH_PG_DSN"

  [ventures.backups]
  kind = "pgbackrest"
  stanza = "$STANZA"
  config = "$conf"
  command = "$wrapper"
  poll_interval = "1m"

  [ventures.heartbeat]
  enabled = true
  interval = "1s"

  [ventures.drill]
  tables = ["pgbench_accounts"]
  timeout = "2h"
TOML
export BENCH_PG_DSN="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
log "backstop run (heartbeat every 1s) until the heartbeat table has a row"
setsid "$backstop" --config "$tmp/backstop.toml" run >"$tmp/agent.log" 2>&1 &
agent=$!
for _ in $(seq 300); do
  [ -n "$(q "SELECT to_regclass('backstop.heartbeat')")" ] && [ -n "$(q "SELECT max(at) FROM backstop.heartbeat")" ] && break
  kill -0 "$agent" 2>/dev/null || { cat "$tmp/agent.log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$(q "SELECT max(at) FROM backstop.heartbeat" 2>/dev/null)" ] || { log "no heartbeat after 60s"; cat "$tmp/agent.log" >&2; exit 1; }

log "pgbackrest backup --type=full"
t=$(now)
run "${AS_PG[@]}" pgbackrest --config="$conf" --stanza="$STANZA" backup --type=full
backup_s=$(since "$t")
# The agent stops here, and `check` archives the current WAL segment: every run below restores
# the same backup and replays the same WAL.
kill -TERM "$agent"; wait "$agent" || true; agent=
as_pg pgbackrest --config="$conf" --stanza="$STANZA" check
info=$(as_pg pgbackrest --config="$conf" --stanza="$STANZA" info --output=json)
backup_label=$(jq -r '.[0].backup[-1].label' <<<"$info")
backup_size=$(jq -r '.[0].backup[-1].info.size' <<<"$info" | awk '{printf "%.2f GB", $1/1e9}')
backup_repo=$(jq -r '.[0].backup[-1].info.repository.size' <<<"$info" | awk '{printf "%.2f GB", $1/1e9}')
log "backup $backup_label: $backup_size, $backup_repo in the repository ($COMPRESS); took ${backup_s}s"

# --- alternating runs ---------------------------------------------------------------------------
anchor() { # $1 = run number; sets a_restore a_start a_total
  local dir=$tmp/anchor.$1 asock=$tmp/anchor-sock aport t0 t1
  server_dir "$asock"
  server_dir "$dir"
  aport=$(free_port)
  t0=$(now)
  run "${AS_PG[@]}" pgbackrest --config="$conf" --stanza="$STANZA" restore --archive-mode=off --pg1-path="$dir"
  a_restore=$(since "$t0")
  t1=$(now)
  cat >>"$dir/postgresql.auto.conf" <<ANCHOR
port = '$aport'
listen_addresses = ''
unix_socket_directories = '$asock'
archive_mode = 'off'
ANCHOR
  as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$tmp/logs/anchor.$1.log" -w -t 3600 start >/dev/null
  until [ "$(psql -XAtq -h "$asock" -p "$aport" -U postgres -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
    [ -f "$dir/postmaster.pid" ] || { log "the anchor's server exited"; tail -20 "$tmp/logs/anchor.$1.log" >&2; exit 1; }
    sleep 0.1
  done
  a_start=$(since "$t1")
  a_total=$(since "$t0")
  as_pg "$PGBIN/pg_ctl" -D "$dir" -m immediate -w -t 60 stop >/dev/null
  rm -rf "$dir"
}

drill() { # $1 = run number; sets d_wall and the drill's JSON in $tmp/drill.$1.json
  # A failed drill is retried (up to $ATTEMPTS attempts) and reported below, never hidden: the
  # medians are over passed drills only.
  local t0 rc attempt reason
  for attempt in $(seq "$ATTEMPTS"); do
    rc=0
    t0=$(now)
    run "$backstop" --config "$tmp/backstop.toml" drill --venture bench --json >"$tmp/drill.$1.json" 2>"$tmp/drill.$1.err" || rc=$?
    d_wall=$(since "$t0")
    [ "$rc" = 0 ] && return
    reason=$(jq -r '.reason // empty' "$tmp/drill.$1.json" 2>/dev/null || true)
    log "run $1: drill attempt $attempt failed after ${d_wall}s (exit $rc): ${reason:-$(tail -1 "$tmp/drill.$1.err")}"
    FAILED+=("run $1, attempt $attempt, after $(f1 "$d_wall") s: ${reason:-exit $rc}")
  done
  cat "$tmp/drill.$1.json" "$tmp/drill.$1.err" >&2
  exit 1
}
step() { jq -r --arg n "$2" '[.steps[] | select(.name == $n) | .seconds][0] // 0' "$tmp/drill.$1.json"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -a FAILED=()
declare -a A_RESTORE A_START A_TOTAL D_WALL D_RTO D_PREP D_RESTORE D_REPLAY D_VALIDATE D_CLEANUP D_OTHER RATIO
for i in $(seq "$RUNS"); do
  log "run $i/$RUNS: anchor (bare pgbackrest restore + start)"
  anchor "$i"
  log "run $i/$RUNS: anchor ${a_total}s (restore ${a_restore}s, start+promote ${a_start}s); drill"
  drill "$i"
  A_RESTORE+=("$a_restore"); A_START+=("$a_start"); A_TOTAL+=("$a_total"); D_WALL+=("$d_wall")
  D_RTO+=("$(jq -r '.rto_seconds' "$tmp/drill.$i.json")")
  D_PREP+=("$(step "$i" prepare)"); D_RESTORE+=("$(step "$i" restore)"); D_REPLAY+=("$(step "$i" replay)")
  D_VALIDATE+=("$(step "$i" validate)"); D_CLEANUP+=("$(step "$i" cleanup)")
  D_OTHER+=("$(jq -r --argjson w "$d_wall" '$w - ([.steps[].seconds] | add)' "$tmp/drill.$i.json")")
  RATIO+=("$(awk -v d="$d_wall" -v a="$a_total" 'BEGIN {printf "%.2f", d / a}')")
  log "run $i/$RUNS: drill ${d_wall}s ($(jq -r .outcome "$tmp/drill.$i.json"))"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
# How much of the validate step the biggest index alone costs: the same check on the source
# (after the runs, so the backup and the drills never see the extension).
q "CREATE EXTENSION IF NOT EXISTS amcheck"
t=$(now)
q "SELECT bt_index_check('pgbench_accounts_pkey', true)" >/dev/null
pkey_check_s=$(since "$t")
validate_detail=$(jq -r '.steps[] | select(.name == "validate") | .detail' "$tmp/drill.$RUNS.json")
indexes_checked=$(sed -n 's/^\([0-9]*\) btree indexes in \([0-9]*\) databases.*/\1 btree indexes in \2 databases/p' <<<"$validate_detail")


m_a_restore=$(median "${A_RESTORE[@]}"); m_a_start=$(median "${A_START[@]}"); m_a_total=$(median "${A_TOTAL[@]}")
m_wall=$(median "${D_WALL[@]}"); m_rto=$(median "${D_RTO[@]}"); m_prep=$(median "${D_PREP[@]}")
m_restore=$(median "${D_RESTORE[@]}"); m_replay=$(median "${D_REPLAY[@]}"); m_validate=$(median "${D_VALIDATE[@]}")
m_cleanup=$(median "${D_CLEANUP[@]}"); m_other=$(median "${D_OTHER[@]}")
extra=$(awk -v w="$m_wall" -v a="$m_a_total" 'BEGIN {printf "%.1f", w - a}')
share() { awk -v x="$1" -v e="$extra" 'BEGIN {printf "%.0f%%", (e > 0 ? 100 * x / e : 0)}'; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f", a - b}'; }

echo "## backstop drill vs. bare pgBackRest restore + start ($(date -u +%F))"
echo
echo "| machine | |"
echo "| --- | --- |"
echo "| CPU | $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo) |"
echo "| RAM | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |"
echo "| kernel | $(uname -r) |"
echo "| PostgreSQL | $("$PGBIN/postgres" --version | sed 's/^postgres (PostgreSQL) //') |"
echo "| pgBackRest | $(pgbackrest version | sed 's/^pgBackRest //') (compress-type=$COMPRESS, process-max=1) |"
echo "| data | pgbench scale $SCALE: database $db_size (cluster $cluster_size), pgbench_accounts heap $accounts_heap + pkey $accounts_pkey, database postgres has $btree_count btree indexes ($btree_size, catalogs included) |"
echo "| backup | full $backup_label: $backup_size, $backup_repo in the repository; backup took $(f1 "$backup_s") s |"
echo "| load average | before $load_before, after $load_after |"
echo "| command | \`SCALE=$SCALE RUNS=$RUNS bench/drill-vs-restore.sh\` |"
echo
echo "Anchor: \`pgbackrest restore --archive-mode=off\` + port/socket settings + \`pg_ctl start -w\` until \`pg_is_in_recovery()\` is false."
echo "Drill: \`backstop drill --venture bench --json\` wall time (process start to exit) and its own phases."
echo
echo "| run | anchor restore s | anchor start+promote s | **anchor total s** | drill prepare s | drill restore s | drill replay s | drill validate s | drill cleanup s | drill RTO s | **drill wall s** | drill/anchor |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for i in $(seq 0 $((RUNS - 1))); do
  echo "| $((i + 1)) | $(f1 "${A_RESTORE[$i]}") | $(f1 "${A_START[$i]}") | $(f1 "${A_TOTAL[$i]}") | $(f1 "${D_PREP[$i]}") | $(f1 "${D_RESTORE[$i]}") | $(f1 "${D_REPLAY[$i]}") | $(f1 "${D_VALIDATE[$i]}") | $(f1 "${D_CLEANUP[$i]}") | $(f1 "${D_RTO[$i]}") | $(f1 "${D_WALL[$i]}") | ${RATIO[$i]} |"
done
echo "| **median** | $m_a_restore | $m_a_start | **$m_a_total** | $m_prep | $m_restore | $m_replay | $m_validate | $m_cleanup | $m_rto | **$m_wall** | **$(ratio "$m_wall" "$m_a_total")** (of the medians) |"
echo
echo "**Ratio (medians): drill wall / anchor = $(ratio "$m_wall" "$m_a_total")**; drill RTO (start to validated, no cleanup) / anchor = $(ratio "$m_rto" "$m_a_total"); median of the per-run ratios = $(DIGITS=2 median "${RATIO[@]}")."
echo
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "Failed drill attempts (retried; not in the medians): ${#FAILED[@]} of $((${#FAILED[@]} + RUNS))"
  echo
  for f in "${FAILED[@]}"; do echo "- $f"; done
  echo
fi
echo "Where the drill's extra $extra s go (median of each part, so the parts need not add up exactly; share of the extra time):"
echo
echo "| part | s | share |"
echo "| --- | ---: | ---: |"
echo "| validate: bt_index_check(heapallindexed) on $indexes_checked, heartbeat, count(*) of pgbench_accounts | $m_validate | $(share "$m_validate") |"
echo "| prepare: count(*) of pgbench_accounts on the source | $m_prep | $(share "$m_prep") |"
echo "| cleanup: stop the scratch cluster, remove $db_size | $m_cleanup | $(share "$m_cleanup") |"
echo "| restore, drill − anchor | $(delta "$m_restore" "$m_a_restore") | $(share "$(delta "$m_restore" "$m_a_restore")") |"
echo "| start and promote (drill replay step) − anchor | $(delta "$m_replay" "$m_a_start") | $(share "$(delta "$m_replay" "$m_a_start")") |"
echo "| rest: process start, store, recording (wall − steps) | $m_other | $(share "$m_other") |"
echo
echo "\`bt_index_check('pgbench_accounts_pkey', true)\` alone (reads the $accounts_pkey index and the $accounts_heap heap), timed once on the source after the runs: $(f1 "$pkey_check_s") s of the validate step's $m_validate s."
