//! A primary and a streaming standby ([`Pair`]): the primary with small WAL and fsync off, the
//! standby cloned with `pg_basebackup -R -X stream` on its own port and directory, both run as
//! the `postgres` OS user when we are root. Helpers kill and restart the primary, wait for
//! streaming and inject replay lag.

use std::path::Path;
use std::time::{Duration, Instant};

use backstop::postgres::ScratchCluster;
use backstop::secret::Secret;

use super::fast_settings;

/// Settings a primary needs to feed a standby (and the standby to answer reads).
const REPLICATION: &[(&str, &str)] = &[
    ("wal_level", "replica"),
    ("max_wal_senders", "10"),
    ("max_replication_slots", "10"),
    ("wal_keep_size", "64MB"),
    ("hot_standby", "on"),
    ("hot_standby_feedback", "on"),
];

/// A primary and one streaming standby.
#[derive(Debug)]
pub struct Pair {
    pub primary: ScratchCluster,
    pub standby: ScratchCluster,
}

#[allow(dead_code)]
impl Pair {
    /// `pg1` (primary) and `pg2` (standby) under `root`, streaming.
    pub async fn start(root: &Path) -> Pair {
        Pair::start_named(root, "pg1", "pg2").await
    }

    /// A primary and a standby with these names (also their `cluster_name` and the standby's
    /// `application_name`); returns once `pg_stat_replication` shows the standby streaming.
    pub async fn start_named(root: &Path, primary: &str, standby: &str) -> Pair {
        let mut settings: Vec<(&str, &str)> = REPLICATION.to_vec();
        settings.push(("cluster_name", primary));
        let opts = fast_settings(&settings);
        let mut primary_cluster = ScratchCluster::create(root, primary, &opts)
            .await
            .unwrap_or_else(|e| panic!("creating primary {primary}: {e}"));
        primary_cluster
            .start()
            .await
            .unwrap_or_else(|e| panic!("starting primary {primary}: {e}"));
        let standby_cluster = ScratchCluster::standby_of(
            &primary_cluster,
            root,
            standby,
            &fast_settings(REPLICATION),
        )
        .await
        .unwrap_or_else(|e| panic!("creating standby {standby}: {e}"));
        let pair = Pair {
            primary: primary_cluster,
            standby: standby_cluster,
        };
        pair.wait_streaming(Duration::from_secs(30)).await;
        pair
    }

    /// The primary's DSN (direct, trust auth).
    pub fn primary_dsn(&self) -> Secret {
        self.primary.dsn()
    }

    /// The standby's DSN (direct, trust auth).
    pub fn standby_dsn(&self) -> Secret {
        self.standby.dsn()
    }

    /// `pg_ctl stop -m immediate` on the primary: it dies without a checkpoint.
    pub async fn kill_primary(&mut self) {
        self.primary.kill().await.expect("kill primary");
    }

    /// Starts the primary again (after [`kill_primary`](Self::kill_primary)); it comes back as a
    /// primary unless something changed its data directory.
    pub async fn start_primary(&mut self) {
        self.primary.start().await.expect("start primary");
    }

    /// Waits until the primary's `pg_stat_replication` shows the standby `streaming`.
    pub async fn wait_streaming(&self, limit: Duration) {
        let start = Instant::now();
        loop {
            let last = match self.replication_state().await {
                Ok(Some(state)) if state == "streaming" => return,
                Ok(state) => format!("state {state:?}"),
                Err(e) => e,
            };
            assert!(
                start.elapsed() < limit,
                "standby {} not streaming within {limit:?}: {last}; standby log:\n{}",
                self.standby.name(),
                backstop::postgres::scratch::tail(&self.standby.log_file(), 20)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The standby's `pg_stat_replication.state` on the primary (`None` when not connected).
    pub async fn replication_state(&self) -> Result<Option<String>, String> {
        let client = self.primary.client().await.map_err(|e| e.to_string())?;
        let row = client
            .query_opt(
                "SELECT state FROM pg_stat_replication WHERE application_name = $1",
                &[&self.standby.name()],
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(row.map(|r| r.get::<_, String>(0)))
    }

    /// Bytes the standby has received but not replayed, as the primary sees it
    /// (`sent_lsn - replay_lsn`; `None` when not connected).
    pub async fn replay_lag_bytes(&self) -> Option<i64> {
        let client = self.primary.client().await.ok()?;
        let row = client
            .query_opt(
                "SELECT (pg_current_wal_lsn() - replay_lsn)::bigint FROM pg_stat_replication \
                 WHERE application_name = $1",
                &[&self.standby.name()],
            )
            .await
            .ok()??;
        row.get::<_, Option<i64>>(0)
    }

    /// Pauses WAL replay on the standby (it keeps receiving): writes on the primary become lag.
    pub async fn pause_replay(&self) {
        self.standby
            .exec("SELECT pg_wal_replay_pause()")
            .await
            .expect("pause replay");
    }

    /// Resumes WAL replay on the standby.
    pub async fn resume_replay(&self) {
        self.standby
            .exec("SELECT pg_wal_replay_resume()")
            .await
            .expect("resume replay");
    }

    /// Writes about `bytes` of WAL on the primary (a table `lag_filler`, created on first use).
    pub async fn write_wal(&self, bytes: u64) {
        let rows = bytes / 1000 + 1;
        self.primary
            .exec(&format!(
                "CREATE TABLE IF NOT EXISTS lag_filler (id bigint, pad text); \
                 INSERT INTO lag_filler SELECT g, repeat('x', 900) FROM generate_series(1, {rows}) g"
            ))
            .await
            .expect("write WAL on the primary");
    }

    /// Pauses replay, writes `bytes` of WAL on the primary and waits until the primary sees at
    /// least that much replay lag.
    pub async fn inject_lag(&self, bytes: u64) {
        self.pause_replay().await;
        self.write_wal(bytes).await;
        let start = Instant::now();
        loop {
            let lag = self.replay_lag_bytes().await.unwrap_or(0);
            if lag >= bytes as i64 {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "replay lag stayed at {lag} bytes (wanted {bytes})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
