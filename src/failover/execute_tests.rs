//! The failover state machine against a real SQLite store and fake actions.

use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use crate::secret::Secret;
use crate::state::{Role, SharedState, Snapshot};
use crate::store::Store;

use super::actions::Actions;
use super::error::ControllerError;
use super::execute::{drive, Context};
use super::steps::{resume, Next, Stage};

#[derive(Default)]
struct Fake {
    calls: Mutex<Vec<String>>,
    in_recovery: Mutex<bool>,
    promote_answers: Option<bool>,
    fence_fails: bool,
}

impl Fake {
    fn standby() -> Self {
        Self {
            in_recovery: Mutex::new(true),
            promote_answers: Some(true),
            ..Default::default()
        }
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn log(&self, s: String) {
        self.calls.lock().unwrap().push(s);
    }
}

impl Actions for Fake {
    async fn fence(&self, endpoint: &str) -> Result<Option<String>, ControllerError> {
        self.log(format!("fence {endpoint}"));
        if self.fence_fails {
            return Err(ControllerError::FenceFailed {
                program: "fence".into(),
                status: "exit status: 1".into(),
                output: "no".into(),
            });
        }
        Ok(Some("ok".into()))
    }
    async fn in_recovery(&self, _: &str) -> Result<bool, ControllerError> {
        Ok(*self.in_recovery.lock().unwrap())
    }
    async fn promote(&self, endpoint: &str) -> Result<bool, ControllerError> {
        self.log(format!("promote {endpoint}"));
        if self.promote_answers == Some(true) {
            *self.in_recovery.lock().unwrap() = false;
        }
        Ok(self.promote_answers == Some(true))
    }
    async fn replay_state(&self, _: &str) -> Result<super::actions::ReplayState, ControllerError> {
        Ok(super::actions::ReplayState {
            streaming: false,
            flushed: Some(100),
            replayed: Some(100),
        })
    }
    async fn verify_writable(&self, endpoint: &str) -> Result<String, ControllerError> {
        if *self.in_recovery.lock().unwrap() {
            return Err(ControllerError::NotWritable {
                endpoint: endpoint.into(),
                detail: "in recovery".into(),
            });
        }
        Ok("txid 7".into())
    }
}

async fn store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite:{}", dir.path().join("s.db").display());
    Store::open(&Secret::new(url)).await.unwrap()
}

/// The holder id of the agent running the failovers here (SQLite: always leading).
const A: &str = "host:1:a:0";

fn ctx<'a>(store: &'a Store, state: &'a SharedState) -> Context<'a> {
    Context {
        store,
        state,
        holder: A,
        promote_wait: Duration::from_millis(300),
        recheck: Duration::from_millis(50),
        catch_up_to: None,
    }
}

#[tokio::test]
async fn completes_fence_promote_verify_switch() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let fake = Fake::standby();
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    let down = Utc::now() - chrono::TimeDelta::seconds(2);
    let done = drive(ctx(&store, &state), &fake, &rec, Next::Fence, down)
        .await
        .unwrap();
    assert_eq!(done.outcome, "completed", "{done:?}");
    assert!(done.duration_seconds.unwrap() >= 2.0);
    assert_eq!(fake.calls(), ["fence pg1", "promote pg2"]);
    let roles = store.endpoint_roles(Some("acme")).await.unwrap();
    let pg1 = roles.iter().find(|r| r.endpoint == "pg1").unwrap();
    let pg2 = roles.iter().find(|r| r.endpoint == "pg2").unwrap();
    assert!(pg1.fenced && pg1.role == Role::Fenced);
    assert!(!pg2.fenced && pg2.role == Role::Primary);
    let all = store
        .failovers(
            "acme",
            down - chrono::TimeDelta::hours(1),
            Utc::now() + chrono::TimeDelta::hours(1),
        )
        .await
        .unwrap();
    let states: Vec<_> = all[0].steps.iter().map(|s| s.state.as_str()).collect();
    assert_eq!(
        states,
        [
            "started",
            "fenced",
            "promoting",
            "promoted",
            "roles_switched"
        ]
    );
    assert_eq!(all[0].outcome.as_deref(), Some("completed"));
    assert!(store.in_flight_failover("acme").await.unwrap().is_none());
}

#[tokio::test]
async fn a_failed_fence_never_promotes() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let fake = Fake {
        fence_fails: true,
        ..Fake::standby()
    };
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    let done = drive(ctx(&store, &state), &fake, &rec, Next::Fence, Utc::now())
        .await
        .unwrap();
    assert_eq!(done.outcome, "failed");
    assert!(done.detail.contains("not promoting pg2"), "{}", done.detail);
    assert_eq!(fake.calls(), ["fence pg1"]);
    // The fence stays: the old primary is never reported primary again by itself.
    let roles = store.endpoint_roles(Some("acme")).await.unwrap();
    assert!(roles.iter().any(|r| r.endpoint == "pg1" && r.fenced));
}

#[tokio::test]
async fn promote_unknown_rechecks_and_never_promotes_twice() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let fake = Fake {
        promote_answers: Some(false),
        ..Fake::standby()
    };
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    let done = drive(ctx(&store, &state), &fake, &rec, Next::Fence, Utc::now())
        .await
        .unwrap();
    assert_eq!(done.outcome, "failed");
    assert_eq!(fake.calls(), ["fence pg1", "promote pg2"]);
}

#[tokio::test]
async fn a_crash_in_promoting_is_resumed_without_a_second_promotion() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    store
        .advance_failover(rec.id, rec.epoch, A, "fenced", "x")
        .await
        .unwrap();
    store
        .advance_failover(rec.id, rec.epoch, A, "promoting", "sending")
        .await
        .unwrap();
    let rec = store.in_flight_failover("acme").await.unwrap().unwrap();

    // The promotion took effect before the crash: verified and completed, no pg_promote.
    let promoted = Fake::standby();
    *promoted.in_recovery.lock().unwrap() = false;
    let next = resume(Stage::parse(&rec.state).unwrap(), Some(false));
    let done = drive(ctx(&store, &state), &promoted, &rec, next, rec.started_at)
        .await
        .unwrap();
    assert_eq!(done.outcome, "completed");
    assert!(promoted.calls().is_empty());

    // Still in recovery: waited for, then aborted, never promoted.
    let rec = store
        .begin_failover("acme", "pg2", "pg1", false, A)
        .await
        .unwrap();
    store
        .advance_failover(rec.id, rec.epoch, A, "promoting", "sending")
        .await
        .unwrap();
    let rec = store.in_flight_failover("acme").await.unwrap().unwrap();
    let stuck = Fake::standby();
    let next = resume(Stage::parse(&rec.state).unwrap(), Some(true));
    assert_eq!(next, Next::AwaitPromotion);
    let done = drive(ctx(&store, &state), &stuck, &rec, next, rec.started_at)
        .await
        .unwrap();
    assert_eq!(done.outcome, "aborted", "{done:?}");
    assert!(stuck.calls().is_empty());
}

#[tokio::test]
async fn a_crash_before_fencing_resumes_with_one_promotion() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    let fake = Fake::standby();
    let next = resume(Stage::parse(&rec.state).unwrap(), Some(true));
    let done = drive(ctx(&store, &state), &fake, &rec, next, rec.started_at)
        .await
        .unwrap();
    assert_eq!(done.outcome, "completed");
    assert_eq!(fake.calls(), ["fence pg1", "promote pg2"]);
}

/// [`Fake`] whose fence lets agent `b` take the failover over while it runs (as after this
/// agent's lease expired during a slow `fence_command`).
struct TakenOverDuringFence {
    inner: Fake,
    store: Store,
    record: crate::store::FailoverRecord,
}

impl Actions for TakenOverDuringFence {
    async fn fence(&self, endpoint: &str) -> Result<Option<String>, ControllerError> {
        let previous = self
            .store
            .take_over_failover(
                self.record.id,
                self.record.epoch,
                "host:2:b:0",
                Duration::from_secs(60),
                "b took over",
            )
            .await
            .unwrap();
        assert_eq!(previous.as_deref(), Some(A));
        self.inner.fence(endpoint).await
    }
    async fn in_recovery(&self, e: &str) -> Result<bool, ControllerError> {
        self.inner.in_recovery(e).await
    }
    async fn promote(&self, e: &str) -> Result<bool, ControllerError> {
        self.inner.promote(e).await
    }
    async fn replay_state(&self, e: &str) -> Result<super::actions::ReplayState, ControllerError> {
        self.inner.replay_state(e).await
    }
    async fn verify_writable(&self, e: &str) -> Result<String, ControllerError> {
        self.inner.verify_writable(e).await
    }
}

#[tokio::test]
async fn a_run_that_lost_its_failover_stops_before_the_next_stage_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let state = SharedState::new(Snapshot::default());
    let rec = store
        .begin_failover("acme", "pg1", "pg2", false, A)
        .await
        .unwrap();
    assert_eq!(rec.holder.as_deref(), Some(A));
    let fake = TakenOverDuringFence {
        inner: Fake::standby(),
        store: store.clone(),
        record: rec.clone(),
    };
    let err = drive(ctx(&store, &state), &fake, &rec, Next::Fence, Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ControllerError::Store(crate::store::StoreError::NotFailoverHolder { reason, .. }) if reason.contains("now held by host:2:b:0")),
        "{err}"
    );
    // The fence that was running finished; nothing after it: no `fenced` written, no promotion.
    assert_eq!(fake.inner.calls(), ["fence pg1"]);
    let rec = store.in_flight_failover("acme").await.unwrap().unwrap();
    assert_eq!(rec.state, "started");
    assert_eq!(rec.holder.as_deref(), Some("host:2:b:0"));
    let steps: Vec<_> = rec
        .steps
        .iter()
        .map(|s| (s.state.as_str(), s.holder.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        steps,
        [
            ("started", A),
            ("started", "host:2:b:0"),
            (super::execute::HOLDER_LOST, A)
        ]
    );
    assert!(
        rec.steps[2].detail.contains("stopped without acting"),
        "{:?}",
        rec.steps[2]
    );

    // The new holder resumes it from `started`: fence again (idempotent), one promotion.
    let b = Fake::standby();
    let ctx_b = Context {
        holder: "host:2:b:0",
        ..ctx(&store, &state)
    };
    let done = drive(
        ctx_b,
        &b,
        &rec,
        resume(Stage::Started, Some(true)),
        rec.started_at,
    )
    .await
    .unwrap();
    assert_eq!(done.outcome, "completed");
    assert_eq!(b.calls(), ["fence pg1", "promote pg2"]);
    // The old holder can no longer write anything.
    let err = store
        .advance_failover(rec.id, rec.epoch, A, "promoting", "late")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already finished"), "{err}");
}
