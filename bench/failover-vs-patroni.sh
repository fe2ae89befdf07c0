#!/usr/bin/env bash
# Automatic failover: backstop (`[ventures.failover] mode = "auto"`, defaults) against Patroni 3.0.2
# (Debian, defaults ttl 30 / loop_wait 10 / retry_timeout 10, etcd 3.4), measured the same way on the
# same machine in the same run. Prints a Markdown table with the machine and one row per system.
#
#   bench/failover-vs-patroni.sh                         # 10 kill trials and 50 blips per system
#   KILLS=10 BLIPS=50 BLIP_SECONDS=3 bench/failover-vs-patroni.sh
#   SYSTEMS=patroni bench/failover-vs-patroni.sh         # one side only (patroni | backstop)
#   HAPROXY_CHECK="inter 1s fastinter 250ms fall 2 rise 1" SYSTEMS=backstop bench/failover-vs-patroni.sh
#                                                        # HAProxy's checks as deploy/haproxy.cfg ships them
#
# Needs: root (PostgreSQL and Patroni run as the `postgres` user), PostgreSQL 15 binaries, HAProxy,
# python3-psycopg2, and `apt-get install -y patroni etcd-server etcd-client`. Uses 127.0.0.1 only,
# ports 15433-15444, 12379-12380, 15000-15001, 18008-18009, 19848; never touches the server on 5432.
#
# Both systems get the same harness:
# - a writer: a new connection through HAProxy every 100 ms (connect_timeout 2 s, statement_timeout
#   2 s), `INSERT INTO bench_writes(n) VALUES (k) RETURNING n, inet_server_port()`; every acknowledged
#   k is logged with the time of the acknowledgement and the server port that took it;
# - HAProxy with Patroni's template (`inter 3s fall 3 rise 2 on-marked-down shutdown-sessions`,
#   `timeout connect 4s`, `timeout check 5s`); only the health-check URL differs: Patroni's REST
#   `GET /primary`, backstop's `GET /health/bench/<server>/primary` on the agent's HTTP port;
# - kill trial: the primary *node* dies: for Patroni its patroni process gets SIGKILL, then
#   `pg_ctl stop -m immediate` on its PostgreSQL (killing PostgreSQL alone makes Patroni restart it
#   in place, which is crash recovery, not failover); for backstop, whose agent is not on the node,
#   only the `pg_ctl stop -m immediate`. Measured: seconds from just before `pg_ctl stop` to the
#   first write acknowledged by the other server through HAProxy. The kill comes 2-11 s (random)
#   after the pair is healthy, so it lands at a random phase of the HA loops. Afterwards the old
#   primary rejoins as a standby (Patroni: restart its patroni, which pg_rewinds it; backstop: fresh
#   pg_basebackup -R) and the roles alternate;
# - acknowledged writes lost: at the end of each part, every acknowledged k missing from the
#   current primary's bench_writes;
# - blip: SIGSTOP of every process of the primary's PostgreSQL for BLIP_SECONDS (3 s: shorter than
#   backstop's min_down 5 s and Patroni's ttl 30 s), then SIGCONT. Both controllers, the standby's
#   WAL receiver and the writer see the same frozen primary. A false failover is the standby leaving
#   recovery; checked after every blip and once more 45 s after the last one (longer than Patroni's
#   ttl + loop_wait, far longer than backstop's min_down).
#
# backstop side: two plain clusters (initdb --data-checksums, pg_basebackup -R), `backstop run` with
# both endpoints and `[ventures.failover] mode = "auto"` (every other failover key at its default).
# Its default cooldown (10m) forbids a second failover within 10 minutes, so each kill trial starts a
# fresh agent (fresh state file, config roles = the current roles); the blips run against one agent.
# If the build cannot fail over (config check rejects mode auto, the load-balancer endpoint does not
# answer 200 for the primary, or the first kill trial does not complete within 90 s), its row says
# so instead of figures.
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=${KILLS:-10}
BLIPS=${BLIPS:-50}
BLIP_SECONDS=${BLIP_SECONDS:-3}
SYSTEMS=${SYSTEMS:-patroni backstop}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
HAPROXY_PORT=${HAPROXY_PORT:-15000}
HAPROXY_CHECK=${HAPROXY_CHECK:-inter 3s fall 3 rise 2}
AGENT_PORT=19848
[[ $(id -u) == 0 ]] || { echo "run as root (PostgreSQL and Patroni run as the postgres user)" >&2; exit 1; }
for bin in haproxy patroni etcd etcdctl curl "$PGBIN/pg_ctl"; do
  command -v "$bin" >/dev/null || { echo "missing $bin: apt-get install -y patroni etcd-server etcd-client haproxy postgresql-15" >&2; exit 1; }
done
/usr/bin/python3 -c 'import psycopg2' || { echo "missing python3-psycopg2: apt-get install -y python3-psycopg2" >&2; exit 1; }

out=$(mktemp -d /var/tmp/backstop-bench-failover.XXXXXX)
chmod 755 "$out"; chown postgres: "$out"
declare -A PIDS=()    # name -> pid of every long-running process we start
cleanup() {
  set +e
  for name in "${!PIDS[@]}"; do kill -CONT "${PIDS[$name]}" 2>/dev/null; kill "${PIDS[$name]}" 2>/dev/null; done
  sleep 1
  for name in "${!PIDS[@]}"; do kill -9 "${PIDS[$name]}" 2>/dev/null; done
  for d in "$out"/*/; do
    [[ -f $d/postmaster.pid ]] || continue
    kill -CONT $(head -1 "$d/postmaster.pid") 2>/dev/null
    as_pg "$PGBIN/pg_ctl" stop -D "$d" -m immediate >/dev/null 2>&1
  done
  wait 2>/dev/null
  if [[ -n ${KEEP:-} ]]; then echo "kept $out" >&2; else rm -rf "$out"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups env HOME="$out")   # execs: $! is the process
as_pg() { "${AS_PG[@]}" "$@"; }
now() { date +%s.%N; }
log() { echo "[$(date -u +%T)] $*" >&2; }
psql_at() { # port sql
  PGCONNECT_TIMEOUT=2 psql -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2" 2>/dev/null || true
}
in_recovery() { psql_at "$1" "SELECT pg_is_in_recovery()"; } # t | f | empty (down)
is_primary() { [[ $(in_recovery "$1") == f ]]; }
wait_until() { # seconds description command...
  local secs=$1 deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@"; do
    (( $(date +%s) < deadline )) || { log "timed out after ${secs}s waiting for: $what"; return 1; }
    sleep 0.2
  done
}
streaming_to() { [[ $(psql_at "$1" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 1 ]]; }
pg_pids() { # data dir -> postmaster and its children
  local pm; pm=$(head -1 "$1/postmaster.pid" 2>/dev/null) || return 0
  echo "$pm" $(ps -o pid= --ppid "$pm")
}

# ---------------------------------------------------------------------------------- the writer
cat >"$out/writer.py" <<'PY'
import sys, time, psycopg2
port, log_path = int(sys.argv[1]), sys.argv[2]
k = int(sys.argv[3])
with open(log_path, "a", buffering=1) as log:
    nxt = time.time()
    while True:
        k += 1
        try:
            c = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                 connect_timeout=2, options="-c statement_timeout=2000",
                                 keepalives=1, keepalives_idle=1, keepalives_interval=1, keepalives_count=2)
            try:
                c.autocommit = True
                cur = c.cursor()
                cur.execute("INSERT INTO bench_writes(n) VALUES (%s) RETURNING n, inet_server_port()", (k,))
                n, sport = cur.fetchone()
                log.write(f"{n} {time.time():.3f} {sport}\n")
            finally:
                c.close()
        except Exception:
            pass
        nxt += 0.1
        delay = nxt - time.time()
        if delay > 0:
            time.sleep(delay)
        else:
            nxt = time.time()
PY
WRITER_K=0
start_writer() { # log file
  /usr/bin/python3 "$out/writer.py" "$HAPROXY_PORT" "$1" "$WRITER_K" & PIDS[writer]=$!
}
stop_writer() {
  kill "${PIDS[writer]}" 2>/dev/null; wait "${PIDS[writer]}" 2>/dev/null || true; unset 'PIDS[writer]'
  WRITER_K=$(( WRITER_K + 1000000 ))   # the next writer never reuses a k
}
first_ack_after() { # log t0 port_not -> ack time of the first write after t0 by another server
  awk -v t0="$1" -v old="$3" '$2 > t0 && $3 != old {print $2; exit}' "$2"
}
lost_writes() { # log primary_port -> acknowledged k's missing on the primary
  psql_at "$2" "SELECT n FROM bench_writes" | sort -u >"$out/present"
  awk '{print $1}' "$1" | sort -u | comm -23 - "$out/present" | wc -l
}

# --------------------------------------------------------------------------------- HAProxy
start_haproxy() { # check-lines server-lines
  cat >"$out/haproxy.cfg" <<CFG
global
    maxconn 200
    stats socket $out/haproxy.sock mode 600 level admin
defaults
    mode tcp
    retries 2
    timeout client 30m
    timeout connect 4s
    timeout server 30m
    timeout check 5s
listen primary
    bind 127.0.0.1:$HAPROXY_PORT
$1
    http-check expect status 200
    default-server $HAPROXY_CHECK on-marked-down shutdown-sessions
$2
CFG
  haproxy -f "$out/haproxy.cfg" -db >"$out/haproxy.log" 2>&1 & PIDS[haproxy]=$!
}
stop_haproxy() { kill "${PIDS[haproxy]}" 2>/dev/null; wait "${PIDS[haproxy]}" 2>/dev/null || true; unset 'PIDS[haproxy]'; }
through_haproxy_ok() { [[ $(psql_at $HAPROXY_PORT "SELECT NOT pg_is_in_recovery()") == t ]]; }

# ------------------------------------------------------------------------- the shared trials
# A side defines: side_ports (the two PostgreSQL ports), side_dir PORT (data dir),
# side_kill PORT (the node dies), side_rejoin PORT (rebuild/restart it as a standby of the other),
# side_before_trial / side_after_trial (optional hooks). Results land in R_* variables.
primary_port() { local p; for p in $(side_ports); do is_primary "$p" && { echo "$p"; return 0; }; done; return 0; }
other_port() { local p; for p in $(side_ports); do [[ $p != "$1" ]] && echo "$p"; done; return 0; }
pair_healthy() {
  local p s; p=$(primary_port); [[ -n $p ]] || return 1
  s=$(other_port "$p"); [[ $(in_recovery "$s") == t ]] && streaming_to "$p" && through_haproxy_ok
}

kill_trials() { # sets R_KILL_TIMES (space separated) R_KILL_FAILED; R_GAVE_UP if the first trial timed out and $1 says give up
  local give_up_first=${1:-}
  R_KILL_TIMES=""; R_PROMO_TIMES=""; R_KILL_FAILED=0; R_GAVE_UP=""
  local log=$out/writes-kill.log; : >"$log"; start_writer "$log"
  local i p s t0 t1 secs
  for i in $(seq "$KILLS"); do
    wait_until 180 "a healthy pair (primary, streaming standby, writable through HAProxy)" pair_healthy
    side_before_trial
    sleep $(( 2 + RANDOM % 10 )).$(( RANDOM % 10 ))
    p=$(primary_port); s=$(other_port "$p")
    t0=$(now)
    side_kill "$p"
    local limit=${KILL_TIMEOUT:-150}; [[ -n $give_up_first && $i == 1 ]] && limit=90
    t1=""; local tp=""
    local deadline=$(( ${t0%.*} + limit ))
    while (( $(date +%s) < deadline )); do
      [[ -z $tp ]] && is_primary "$s" && tp=$(now)   # the standby left recovery (promotion done)
      t1=$(first_ack_after "$t0" "$log" "$p"); [[ -n $t1 ]] && break; sleep 0.2
    done
    [[ -z $tp && -n $t1 ]] && tp=$t1
    if [[ -z $t1 ]]; then
      log "kill trial $i: no write through HAProxy within ${limit}s"
      R_KILL_FAILED=$(( R_KILL_FAILED + 1 ))
      if [[ -n $give_up_first && $i == 1 ]]; then stop_writer; R_GAVE_UP=1; return 0; fi
      # the pair is broken; try to bring it back for the next trial
      [[ -z $(primary_port) ]] && { log "no primary left: stopping the kill trials"; break; }
    else
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
      R_KILL_TIMES+="$secs "
      R_PROMO_TIMES+="$(awk -v a="$t0" -v b="$tp" 'BEGIN {printf "%.1f", b - a}') "
      log "kill trial $i: primary :$p died, :$s promoted after $(awk -v a="$t0" -v b="$tp" 'BEGIN {printf "%.1f", b - a}')s, first write through HAProxy on :$s after ${secs}s"
    fi
    side_after_trial
    side_rejoin "$p"
  done
  wait_until 180 "a healthy pair" pair_healthy || true
  sleep 1
  stop_writer
  R_KILL_LOST=$(lost_writes "$log" "$(primary_port)")
  R_KILL_ACKED=$(wc -l <"$log")
}

blip_trials() { # sets R_BLIP_FAILOVERS R_BLIP_LOST R_BLIPS_DONE
  R_BLIP_FAILOVERS=0; R_BLIPS_DONE=0
  local log=$out/writes-blip.log; : >"$log"
  wait_until 180 "a healthy pair" pair_healthy
  side_before_blips
  start_writer "$log"
  local i p s pids
  for i in $(seq "$BLIPS"); do
    sleep $(( 2 + RANDOM % 3 )).$(( RANDOM % 10 ))
    p=$(primary_port); s=$(other_port "$p")
    [[ -n $p && -n $s ]] || { log "blip $i: no primary/standby pair"; break; }
    pids=$(pg_pids "$(side_dir "$p")")
    kill -STOP $pids 2>/dev/null || true   # a backend may exit between listing and stopping
    sleep "$BLIP_SECONDS"
    kill -CONT $pids 2>/dev/null || true
    R_BLIPS_DONE=$i
    sleep 1
    if [[ $(in_recovery "$s") == f ]]; then
      R_BLIP_FAILOVERS=$(( R_BLIP_FAILOVERS + 1 )); log "blip $i: FALSE FAILOVER: :$s was promoted"
      side_rejoin "$p"; wait_until 180 "a healthy pair" pair_healthy || break
    fi
    (( i % 10 )) || log "blip $i done ($R_BLIP_FAILOVERS false failovers so far)"
  done
  local before=$(primary_port)
  sleep 45   # a late failover (lease expiry) would show up by now
  if [[ $(primary_port) != "$before" ]]; then
    R_BLIP_FAILOVERS=$(( R_BLIP_FAILOVERS + 1 )); log "late FALSE FAILOVER after the last blip"
  fi
  stop_writer
  R_BLIP_LOST=$(lost_writes "$log" "$(primary_port)")
  R_BLIP_ACKED=$(wc -l <"$log")
  side_after_blips
}

stats() { # "x y z" -> "median max"
  tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) {print "- -"; exit}
    m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.1f %.1f\n", m, v[NR] }'
}
ROWS=(); TIMES=()
add_row() { # system
  local med max pmed pmax; read -r med max < <(stats "$R_KILL_TIMES"); read -r pmed pmax < <(stats "$R_PROMO_TIMES")
  local n; n=$(wc -w <<<"$R_KILL_TIMES")
  local kills="$n"; (( R_KILL_FAILED )) && kills="$n (+$R_KILL_FAILED without a write in ${KILL_TIMEOUT:-150} s)"
  TIMES+=("$1: first write $R_KILL_TIMES; promoted $R_PROMO_TIMES")
  ROWS+=("| $1 | $kills | $med | $max | $pmed | $R_KILL_LOST of $R_KILL_ACKED | $R_BLIPS_DONE × ${BLIP_SECONDS} s | $R_BLIP_FAILOVERS | $R_BLIP_LOST of $R_BLIP_ACKED |")
}

# ------------------------------------------------------------------------------- Patroni side
P_PORTS=(15433 15434); P_REST=(18008 18009)
patroni_side() {
  log "patroni: etcd, two Patroni nodes, HAProxy"
  mkdir -p "$out/etcd"
  etcd --name bench --data-dir "$out/etcd" \
    --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379 \
    --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380 \
    --initial-cluster bench=http://127.0.0.1:12380 >"$out/etcd.log" 2>&1 & PIDS[etcd]=$!
  wait_until 30 "etcd" etcdctl --endpoints=127.0.0.1:12379 endpoint health >/dev/null 2>&1
  local i
  for i in 1 2; do
    cat >"$out/patroni$i.yml" <<YML
scope: bench
namespace: /service/
name: node$i
log:
  dir: $out/log$i
restapi:
  listen: 127.0.0.1:${P_REST[i-1]}
  connect_address: 127.0.0.1:${P_REST[i-1]}
etcd3:
  hosts: 127.0.0.1:12379
bootstrap:
  dcs:            # Patroni's defaults, spelled out
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
  initdb:
  - encoding: UTF8
  - data-checksums
  pg_hba:
  - local all all trust
  - host all all 127.0.0.1/32 trust
  - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${P_PORTS[i-1]}
  connect_address: 127.0.0.1:${P_PORTS[i-1]}
  data_dir: $out/node$i
  bin_dir: $PGBIN
  pgpass: $out/pgpass$i
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  authentication:
    superuser: {username: postgres, password: bench}
    replication: {username: replicator, password: bench}
    rewind: {username: postgres, password: bench}
  parameters:
    unix_socket_directories: '$out'
YML
    mkdir -p "$out/log$i"; chown postgres: "$out/log$i" "$out/patroni$i.yml"
  done
  patroni_start 1
  wait_until 90 "node1 bootstrapped as primary" is_primary 15433
  patroni_start 2
  wait_until 120 "node2 streaming" streaming_to 15433
  psql_at 15433 "CREATE TABLE bench_writes (n bigint PRIMARY KEY, at timestamptz DEFAULT now())" >/dev/null
  start_haproxy "    option httpchk GET /primary" \
"    server node1 127.0.0.1:15433 maxconn 100 check port 18008
    server node2 127.0.0.1:15434 maxconn 100 check port 18009"
  kill_trials
  blip_trials
  add_row "Patroni $(patroni --version | awk '{print $2}') (ttl 30, loop_wait 10, retry_timeout 10; etcd $(etcd --version | awk '/etcd Version/ {print $3}'))"
  stop_haproxy
  for i in 1 2; do kill "${PIDS[patroni$i]}" 2>/dev/null || true; done
  for i in 1 2; do wait "${PIDS[patroni$i]}" 2>/dev/null || true; unset "PIDS[patroni$i]"; done
  kill "${PIDS[etcd]}"; wait "${PIDS[etcd]}" 2>/dev/null || true; unset 'PIDS[etcd]'
}
patroni_start() { "${AS_PG[@]}" patroni "$out/patroni$1.yml" >>"$out/patroni$1.out" 2>&1 & PIDS[patroni$1]=$!; }
node_of() { [[ $1 == 15433 ]] && echo 1 || echo 2; }
patroni_side_hooks() {
  side_ports() { echo "${P_PORTS[@]}"; }
  side_dir() { echo "$out/node$(node_of "$1")"; }
  side_kill() { # the node dies: its patroni, then its PostgreSQL
    local n; n=$(node_of "$1")
    kill -9 "${PIDS[patroni$n]}"; wait "${PIDS[patroni$n]}" 2>/dev/null || true; unset "PIDS[patroni$n]"
    as_pg "$PGBIN/pg_ctl" stop -D "$out/node$n" -m immediate >/dev/null
  }
  side_rejoin() { # restart its patroni: it pg_rewinds (or re-clones) and follows the new leader
    local n; n=$(node_of "$1")
    if [[ -z ${PIDS[patroni$n]:-} ]]; then patroni_start "$n"; fi
  }
  side_before_trial() { :; }; side_after_trial() { :; }
  side_before_blips() { :; }; side_after_blips() { :; }
}

# ------------------------------------------------------------------------------ backstop side
B_PORTS=(15443 15444)
export BENCH_DSN_PG1="postgres://postgres@127.0.0.1:15443/postgres?sslmode=disable"
export BENCH_DSN_PG2="postgres://postgres@127.0.0.1:15444/postgres?sslmode=disable"
backstop_side() {
  log "backstop: build, two clusters, HAProxy on the agent's health endpoints"
  nice -n 10 cargo build --release --locked -q
  local b=target/release/backstop
  as_pg "$PGBIN/initdb" -D "$out/b1" -U postgres -A trust --data-checksums >/dev/null
  cat >>"$out/b1/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$out'
wal_log_hints = on
CONF
  echo "host replication all 127.0.0.1/32 trust" >>"$out/b1/pg_hba.conf"
  b_start 15443
  psql_at 15443 "CREATE TABLE bench_writes (n bigint PRIMARY KEY, at timestamptz DEFAULT now())" >/dev/null
  b_clone 15444 15443
  wait_until 60 "b2 streaming" streaming_to 15443
  start_haproxy "    option httpchk
    http-check send meth GET uri-lf /health/bench/%[srv_name]/primary" \
"    server pg1 127.0.0.1:15443 maxconn 100 check addr 127.0.0.1 port $AGENT_PORT
    server pg2 127.0.0.1:15444 maxconn 100 check addr 127.0.0.1 port $AGENT_PORT"

  B_UNAVAILABLE=""
  b_agent_start
  if ! "$b" --config "$out/backstop.toml" config check >"$out/config-check.out" 2>&1; then
    B_UNAVAILABLE="\`backstop config check\` rejects the config: $(head -1 "$out/config-check.out")"
  elif ! wait_until 30 "backstop's /health/bench/pg1/primary to answer 200" agent_health_ok; then
    B_UNAVAILABLE="GET /health/bench/pg1/primary on the agent answers $(agent_health_code) instead of 200"
  else
    kill_trials give_up_first
    [[ -z $R_GAVE_UP ]] || B_UNAVAILABLE="the first kill trial had no write through HAProxy within 90 s"
  fi
  if [[ -n $B_UNAVAILABLE ]]; then
    log "backstop: $B_UNAVAILABLE"
    ROWS+=("| backstop $("$b" --version 2>/dev/null | awk '{print $2}') | backstop: failover controller not available in this build ($B_UNAVAILABLE) | | | | | | | |")
  else
    blip_trials
    add_row "backstop $("$b" --version | awk '{print $2}') (mode auto, probe_interval 1s, failure_threshold 3, min_down 5s)"
  fi
  b_agent_stop; stop_haproxy
  for p in "${B_PORTS[@]}"; do as_pg "$PGBIN/pg_ctl" stop -D "$(b_dir $p)" -m fast >/dev/null 2>&1 || true; done
}
agent_health_code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AGENT_PORT/health/bench/pg1/primary" || true; }
agent_health_ok() { [[ $(agent_health_code) == 200 ]]; }
b_dir() { [[ $1 == 15443 ]] && echo "$out/b1" || echo "$out/b2"; }
b_name() { [[ $1 == 15443 ]] && echo pg1 || echo pg2; }
b_start() { as_pg "$PGBIN/pg_ctl" start -w -D "$(b_dir "$1")" -o "-p $1" -l "$(b_dir "$1").log" >/dev/null; }
b_clone() { # port source_port: a fresh standby
  rm -rf "$(b_dir "$1")"
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$2" -U postgres -D "$(b_dir "$1")" -R -X stream -c fast
  b_start "$1"
}
b_agent_start() { # config with the current roles, a fresh state file
  local p s; p=$(primary_port); s=$(other_port "$p")
  rm -f "$out"/state.db*
  cat >"$out/backstop.toml" <<TOML
[agent]
listen = "127.0.0.1:$AGENT_PORT"
state = "sqlite:$out/state.db"
poll_interval = "1s"

[[ventures]]
name = "bench"
  [[ventures.endpoints]]
  name = "$(b_name "$p")"
  dsn_env = "BENCH_DSN_$(b_name "$p" | tr a-z A-Z)"
  role = "primary"
  [[ventures.endpoints]]
  name = "$(b_name "$s")"
  dsn_env = "BENCH_DSN_$(b_name "$s" | tr a-z A-Z)"
  role = "standby"

  [ventures.failover]
  mode = "auto"
TOML
  nice -n 10 target/release/backstop --config "$out/backstop.toml" run >>"$out/backstop.log" 2>&1 & PIDS[backstop]=$!
  wait_until 30 "backstop /readyz" curl -fs "http://127.0.0.1:$AGENT_PORT/readyz" -o /dev/null || true
}
b_agent_stop() { kill "${PIDS[backstop]}" 2>/dev/null; wait "${PIDS[backstop]}" 2>/dev/null || true; unset 'PIDS[backstop]'; }
backstop_side_hooks() {
  side_ports() { echo "${B_PORTS[@]}"; }
  side_dir() { b_dir "$1"; }
  side_kill() { as_pg "$PGBIN/pg_ctl" stop -D "$(b_dir "$1")" -m immediate >/dev/null; }
  side_rejoin() { # the old primary comes back as a standby of the new one (fresh clone)
    local new; new=$(primary_port)
    as_pg "$PGBIN/pg_ctl" stop -D "$(b_dir "$1")" -m immediate >/dev/null 2>&1 || true
    if [[ -n $new ]]; then b_clone "$1" "$new"; fi
  }
  side_before_trial() { # a fresh agent (cooldown 10m would refuse the next trial), warmed up
    [[ -n ${PIDS[backstop]:-} ]] || b_agent_start
    wait_until 60 "the agent's health endpoint to route to the primary" through_haproxy_ok || true
    sleep 5   # baseline: a healthy primary and a streaming standby seen for several probes
  }
  # The fresh agent starts right after the trial, before the rejoin: HAProxy's checks go to the
  # agent, and with fast checks (fall 2, fastinter) a stopped agent takes the primary out before
  # the next trial's "writable through HAProxy" could see it.
  side_after_trial() { b_agent_stop; b_agent_start; }
  side_before_blips() { side_before_trial; }
  side_after_blips() { :; }
}

# --------------------------------------------------------------------------------- the run
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%FT%TZ)
for sys in $SYSTEMS; do
  case $sys in
    patroni) patroni_side_hooks; patroni_side ;;
    backstop) backstop_side_hooks; backstop_side ;;
    *) echo "unknown system $sys (patroni | backstop)" >&2; exit 1 ;;
  esac
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

pgver=$("$PGBIN/postgres" --version | awk '{print $3}')
echo
echo "| machine | |"
echo "| --- | --- |"
echo "| CPU | $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo) |"
echo "| RAM | $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) |"
echo "| kernel | $(uname -r) |"
echo "| PostgreSQL | $pgver |"
echo "| Patroni | $(patroni --version | awk '{print $2}') ($(dpkg-query -W -f='${Version}' patroni 2>/dev/null)) |"
echo "| etcd | $(etcd --version | awk '/etcd Version/ {print $3}') ($(dpkg-query -W -f='${Version}' etcd-server 2>/dev/null)) |"
echo "| HAProxy | $(haproxy -v | awk 'NR==1 {print $3}') ($HAPROXY_CHECK, on-marked-down shutdown-sessions) |"
echo "| load average | before $load_before, after $load_after |"
echo "| run | $started to $(date -u +%FT%TZ); KILLS=$KILLS BLIPS=$BLIPS BLIP_SECONDS=$BLIP_SECONDS |"
echo
echo "| system | kill trials | median s (kill → first write through HAProxy) | max s | median s (kill → standby promoted) | acknowledged writes lost (kill trials) | blips | false failovers | acknowledged writes lost (blips) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
if (( ${#TIMES[@]} )); then
  echo "kill trial seconds, in order:"
  printf -- '- %s\n' "${TIMES[@]}"
fi
