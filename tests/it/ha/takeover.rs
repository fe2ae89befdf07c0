//! Two agents (separate processes) on a PostgreSQL state store watch one primary and standby.
//! The primary dies and the leading agent is SIGKILLed in the middle of its failover (while its
//! slow `fence_command` runs): the other agent takes the lease over, takes the failover over
//! (its holder id on the record) and completes it — one failover, one `pg_promote`, the
//! standby's timeline up by exactly one, steps from both agents with their holder ids.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backstop::leader::DEFAULT_TTL;
use backstop::secret::Secret;
use backstop::store::Store;

use super::{config_text_with, failovers, Ha};
use crate::harness::http::get;
use crate::harness::replica::Pair;
use crate::harness::{self};

/// An agent process, SIGKILLed when dropped (a failing test leaves nothing running).
struct AgentProcess {
    child: Child,
    listen: u16,
    log: PathBuf,
}

impl AgentProcess {
    fn spawn(root: &Path, name: &str, store_url: &str, fence: &str, pair: &Pair) -> Self {
        let listen = backstop::postgres::scratch::free_local_port().expect("port");
        let config = root.join(format!("{name}.toml"));
        std::fs::write(&config, config_text_with(listen, store_url, fence)).expect("config");
        let log = root.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .args(["run", "--config", config.to_str().expect("utf-8")])
            .env("ACME_PG1_DSN", pair.primary_dsn().expose())
            .env("ACME_PG2_DSN", pair.standby_dsn().expose())
            .env("BACKSTOP_LOG", "backstop=info")
            .env_remove("SENTRY_DSN")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn the agent");
        Self { child, listen, log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.listen))
    }

    fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn log_tail(&self) -> String {
        backstop::postgres::scratch::tail(&self.log, 30)
    }

    /// Whether its last probe of every endpoint succeeded (from its `/metrics`).
    async fn probes_up(&self) -> bool {
        let metrics = get(self.addr(), "/metrics", &[]).await.body;
        ["pg1", "pg2"].iter().all(|e| {
            metrics.contains(&format!(
                "backstop_probe_up{{venture=\"acme\",endpoint=\"{e}\"}} 1"
            ))
        })
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// The pid inside a leadership holder id (`host:pid:nanos:n`).
fn holder_pid(holder: &str) -> Option<u32> {
    holder.split(':').nth(1)?.parse().ok()
}

/// The live lease holder of `acme`, read from the store database.
async fn lease_holder(store_pg: &backstop::postgres::ScratchCluster) -> Option<String> {
    let client = store_pg.client().await.ok()?;
    let row = client
        .query_opt(
            "SELECT holder FROM backstop.leases
             WHERE venture = 'acme' AND expires_at > clock_timestamp()",
            &[],
        )
        .await
        .ok()??;
    row.try_get(0).ok()
}

/// The timeline of the WAL a server writes now (not callable during recovery).
async fn timeline(cluster: &backstop::postgres::ScratchCluster) -> i64 {
    let client = cluster.client().await.expect("connect");
    client
        .query_one(
            "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int8",
            &[],
        )
        .await
        .expect("timeline")
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_killed_mid_failover_the_other_agent_completes_it_once() {
    let mut ha = Ha::start().await;
    let store_pg = harness::started(ha.root.path(), "state", &[]).await;
    let timeline_before = timeline(&ha.pair.primary).await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
        store_pg.port()
    );
    // Every fence appends a line, then takes 4 s: long enough to SIGKILL the leader inside it.
    let fence_log = ha.root.path().join("fence.log");
    let fence = format!(
        "sh -c 'echo {{endpoint}} >> {}; sleep 4'",
        fence_log.display()
    );
    let mut agents = [
        AgentProcess::spawn(ha.root.path(), "a", &url, &fence, &ha.pair),
        AgentProcess::spawn(ha.root.path(), "b", &url, &fence, &ha.pair),
    ];
    let store = Store::open(&Secret::new(url.clone())).await.expect("store");

    // One of them leads; both see both endpoints up.
    let start = Instant::now();
    let leader = loop {
        let holder = lease_holder(&store_pg).await;
        let leader = holder
            .as_deref()
            .and_then(holder_pid)
            .and_then(|pid| agents.iter().position(|a| a.pid() == pid));
        if let Some(i) = leader {
            if agents[0].probes_up().await && agents[1].probes_up().await {
                break i;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no leader with both endpoints up (lease {holder:?}):\n{}\n{}",
            agents[0].log_tail(),
            agents[1].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let follower = 1 - leader;
    // A few probe rounds with both up arm the leader (it saw the primary's LSN and the standby
    // streaming); its probe interval is 200 ms.
    tokio::time::sleep(Duration::from_secs(1)).await;

    ha.pair.kill_primary().await;
    let killed_primary = Instant::now();
    // The leader begins the failover and runs its fence: SIGKILL it there.
    let begun = loop {
        let fencing = std::fs::read_to_string(&fence_log).is_ok_and(|t| t.contains("pg1"));
        if fencing {
            if let Some(f) = store.in_flight_failover("acme").await.expect("store") {
                break f;
            }
        }
        assert!(
            killed_primary.elapsed() < Duration::from_secs(20),
            "the leader never began the failover:\n{}",
            agents[leader].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    agents[leader].sigkill();
    let killed_leader = Instant::now();
    let holder_a = begun.holder.clone().expect("the failover names its holder");
    assert_eq!(holder_pid(&holder_a), Some(agents[leader].pid()));
    assert_eq!(begun.state, "started", "killed too late: {begun:?}");
    assert_eq!(
        super::failover::promote_requests(&ha.pair.standby.log_file()),
        0
    );

    // The follower takes over within a lease period (plus one renewal: it asks every ttl / 3)
    // and completes the failover (its own fence of 4 s, promote, verify, switch).
    let takeover_limit = DEFAULT_TTL + DEFAULT_TTL / 3 + Duration::from_secs(5);
    let done_limit = takeover_limit + Duration::from_secs(30);
    let record = loop {
        let all = failovers(&store).await;
        if let Some(done) = all.iter().find(|f| f.finished_at.is_some()) {
            break done.clone();
        }
        assert!(
            killed_leader.elapsed() < done_limit,
            "not finished {done_limit:?} after the leader died: {all:#?}\n{}",
            agents[follower].log_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let finished_after = killed_leader.elapsed();
    assert_eq!(record.outcome.as_deref(), Some("completed"), "{record:#?}");
    assert_eq!(record.id, begun.id);
    let holder_b = record.holder.clone().expect("holder");
    assert_eq!(holder_pid(&holder_b), Some(agents[follower].pid()));
    let steps: Vec<(&str, &str)> = record
        .steps
        .iter()
        .map(|s| (s.state.as_str(), s.holder.as_deref().unwrap_or("-")))
        .collect();
    let (a, b) = (holder_a.as_str(), holder_b.as_str());
    assert_eq!(
        steps,
        [
            ("started", a),
            ("started", b),
            ("fenced", b),
            ("promoting", b),
            ("promoted", b),
            ("roles_switched", b),
        ],
        "{record:#?}"
    );
    assert!(
        record.steps[1]
            .detail
            .contains(&format!("took over from {a}")),
        "{:?}",
        record.steps[1]
    );
    let took_over = (record.steps[1].at - record.steps[0].at)
        .to_std()
        .unwrap_or_default();
    eprintln!(
        "primary killed → leader killed {:?}; leader killed → failover done {finished_after:?}; \
         takeover step {took_over:?} after the leader's first step",
        killed_leader - killed_primary
    );
    assert!(
        took_over < takeover_limit,
        "takeover after {took_over:?} (limit {takeover_limit:?})"
    );

    // Nothing ran twice: one failover, one pg_promote, one new timeline. The fence ran once per
    // holder: the dead leader's was interrupted before it was recorded, so the new holder fenced
    // again (fencing is idempotent; promotion is what must happen once).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(failovers(&store).await.len(), 1);
    assert_eq!(
        super::failover::promote_requests(&ha.pair.standby.log_file()),
        1
    );
    assert_eq!(timeline(&ha.pair.standby).await, timeline_before + 1);
    let fences = std::fs::read_to_string(&fence_log).expect("fence log");
    assert_eq!(fences.lines().collect::<Vec<_>>(), ["pg1", "pg1"]);
    let metrics = get(agents[follower].addr(), "/metrics", &[]).await.body;
    for line in [
        "backstop_failovers_total{venture=\"acme\",outcome=\"completed\"} 1",
        "backstop_endpoint_fenced{venture=\"acme\",endpoint=\"pg1\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line}");
    }
    let primary = get(agents[follower].addr(), "/health/acme/pg2/primary", &[]).await;
    assert_eq!(primary.status, 200, "{}", primary.body);
}
