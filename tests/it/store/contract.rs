//! The store contract: async checks taking a `&Store`, run unchanged against SQLite and
//! PostgreSQL. Each uses its own ventures so they can share one store; `prune` runs last.

use std::time::Duration;

use backstop::state::Role;
use backstop::store::*;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// A fixed base time with microseconds (what both backends keep).
pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_225_600 + seconds, 123_456_000)
        .single()
        .expect("time")
}

fn event(at: i64, venture: &str, kind: &str) -> NewEvent {
    NewEvent {
        at: t(at),
        venture: Some(venture.to_owned()),
        kind: kind.to_owned(),
        severity: "warning".into(),
        actor: "api:alice".into(),
        message: format!("{kind} at {at} — ünïcode"),
        details: serde_json::json!({"at": at, "nested": {"list": [1, 2.5, "x", null]}}),
    }
}

/// Events round-trip exactly, newest first, with every filter.
pub async fn events(store: &Store) {
    let mut stored = Vec::new();
    for (at, venture, kind) in [
        (10, "ev-a", "x"),
        (20, "ev-b", "y"),
        (30, "ev-a", "y"),
        (40, "ev-a", "x"),
    ] {
        let e = event(at, venture, kind);
        let id = store.append_event(&e).await.expect("append");
        stored.push(Event { id, event: e });
    }
    let mut global = NewEvent {
        venture: None,
        ..event(25, "-", "global")
    };
    global.details = serde_json::Value::Null;
    let gid = store.append_event(&global).await.expect("append global");
    let ev_a = |f: EventFilter| EventFilter {
        venture: Some("ev-a".into()),
        ..f
    };
    let all_a = store
        .events(&ev_a(EventFilter::default()))
        .await
        .expect("events");
    assert_eq!(
        all_a,
        vec![stored[3].clone(), stored[2].clone(), stored[0].clone()]
    );
    let window = ev_a(EventFilter {
        since: Some(t(10)),
        until: Some(t(40)),
        ..Default::default()
    });
    assert_eq!(
        store.events(&window).await.expect("window"),
        vec![stored[2].clone(), stored[0].clone()]
    );
    let kind_y = EventFilter {
        kind: Some("y".into()),
        ..Default::default()
    };
    assert_eq!(
        store.events(&kind_y).await.expect("kind"),
        vec![stored[2].clone(), stored[1].clone()]
    );
    let limited = ev_a(EventFilter {
        limit: Some(1),
        ..Default::default()
    });
    assert_eq!(
        store.events(&limited).await.expect("limit"),
        vec![stored[3].clone()]
    );
    let global_kind = EventFilter {
        kind: Some("global".into()),
        ..Default::default()
    };
    let got = store.events(&global_kind).await.expect("global");
    assert_eq!(
        got,
        vec![Event {
            id: gid,
            event: global
        }]
    );
}

/// Verifications: insert, period listing oldest first, last.
pub async fn verifications(store: &Store) {
    let mut want = Vec::new();
    for (i, outcome) in ["passed", "failed", "passed"].iter().enumerate() {
        let start = 100 * i as i64;
        let mut v = VerificationRecord {
            id: -1,
            venture: "ver".into(),
            started_at: t(start),
            finished_at: t(start + 50),
            outcome: outcome.to_string(),
            detail: format!("run {i}"),
        };
        v.id = store.insert_verification(&v).await.expect("insert");
        want.push(v);
    }
    let got = store
        .verifications("ver", t(0), t(300))
        .await
        .expect("list");
    assert_eq!(got, want);
    let got = store
        .verifications("ver", t(1), t(200))
        .await
        .expect("list");
    assert_eq!(got, want[1..2]);
    assert_eq!(
        store.last_verification("ver").await.expect("last"),
        Some(want[2].clone())
    );
    assert_eq!(store.last_verification("nobody").await.expect("last"), None);
}

fn steps(n: usize) -> Vec<DrillStep> {
    ["restore", "replay", "validate", "cleanup"]
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, name)| DrillStep {
            name: name.to_string(),
            seconds: 1.25 * (i + 1) as f64,
            ok: i != 2,
            detail: format!("step {i}"),
        })
        .collect()
}

/// A finished drill result for tests and the crash child.
pub fn finish(at: DateTime<Utc>, outcome: &str) -> DrillFinish {
    DrillFinish {
        finished_at: at,
        outcome: outcome.into(),
        target_time: None,
        rto_seconds: Some(1234.5),
        rpo_seconds: Some(0.75),
        reason: (outcome != "passed").then(|| "validation failed".to_owned()),
        log_excerpt: Some("LOG:  redo done\nLOG:  database system is ready".into()),
        steps: steps(4),
    }
}

/// Drills: start/finish in one transaction with ordered steps, listing, last, running.
pub async fn drills(store: &Store) {
    let a = store
        .start_drill("dr", t(0), Some(t(-60)))
        .await
        .expect("start");
    let b = store.start_drill("dr", t(100), None).await.expect("start");
    let running = store.start_drill("dr", t(200), None).await.expect("start");
    let fa = finish(t(50), "passed");
    store.finish_drill(a, &fa).await.expect("finish a");
    let fb = DrillFinish {
        target_time: Some(t(90)),
        ..finish(t(150), "failed")
    };
    store.finish_drill(b, &fb).await.expect("finish b");
    let record = |id, started, target, f: &DrillFinish| DrillRecord {
        id,
        venture: "dr".into(),
        started_at: t(started),
        finished_at: Some(f.finished_at),
        outcome: f.outcome.clone(),
        target_time: target,
        rto_seconds: f.rto_seconds,
        rpo_seconds: f.rpo_seconds,
        reason: f.reason.clone(),
        log_excerpt: f.log_excerpt.clone(),
        steps: f.steps.clone(),
    };
    let ra = record(a, 0, Some(t(-60)), &fa);
    let rb = record(b, 100, Some(t(90)), &fb);
    let rr = DrillRecord {
        id: running,
        venture: "dr".into(),
        started_at: t(200),
        finished_at: None,
        outcome: "running".into(),
        target_time: None,
        rto_seconds: None,
        rpo_seconds: None,
        reason: None,
        log_excerpt: None,
        steps: vec![],
    };
    let all = store.drills("dr", t(0), t(1000)).await.expect("drills");
    assert_eq!(all, vec![ra.clone(), rb.clone(), rr.clone()]);
    assert_eq!(
        store.drills("dr", t(1), t(200)).await.expect("drills"),
        vec![rb.clone()]
    );
    assert_eq!(store.last_drill("dr").await.expect("last"), Some(rb));
    assert_eq!(store.running_drills().await.expect("running"), vec![rr]);
    for (id, why) in [(a, "already finished"), (987_654, "no such drill")] {
        let err = store.finish_drill(id, &fa).await.expect_err("not running");
        assert!(matches!(err, StoreError::DrillNotRunning { .. }), "{err}");
        assert!(err.to_string().contains(why), "{err}");
    }
    store
        .finish_drill(running, &finish(t(300), "aborted"))
        .await
        .expect("finish");
    assert!(store.running_drills().await.expect("running").is_empty());
}

/// The holder of the failovers of the contract: a human's (`manual:`), which needs no lease.
pub const HOLDER: &str = "manual:contract@test";

/// Failovers: single flight, epochs per venture, compare-and-set, steps recorded.
pub async fn failovers(store: &Store) {
    let before = Utc::now() - chrono::Duration::seconds(1);
    let f1 = store
        .begin_failover("fo", "pg1", "pg2", false, HOLDER)
        .await
        .expect("begin");
    assert_eq!(
        (f1.epoch, f1.state.as_str(), f1.planned),
        (1, "started", false)
    );
    assert_eq!(
        (f1.from_endpoint.as_str(), f1.to_endpoint.as_str()),
        ("pg1", "pg2")
    );
    assert_eq!(
        (f1.finished_at, f1.outcome.clone(), f1.steps.len()),
        (None, None, 1)
    );
    assert_eq!(f1.holder.as_deref(), Some(HOLDER));
    assert_eq!(f1.steps[0].holder.as_deref(), Some(HOLDER));
    assert!(f1.started_at >= before && f1.started_at == f1.updated_at);
    let err = store
        .begin_failover("fo", "pg1", "pg2", true, HOLDER)
        .await
        .expect_err("single flight");
    assert!(
        matches!(&err, StoreError::FailoverInFlight { id, .. } if *id == f1.id),
        "{err}"
    );
    let err = store
        .advance_failover(f1.id, 2, HOLDER, "fenced", "x")
        .await
        .expect_err("wrong epoch");
    assert!(matches!(err, StoreError::FailoverStale { .. }), "{err}");
    for (state, detail) in [
        ("fenced", "fence_command ok"),
        ("promoted", "pg_promote true"),
    ] {
        store
            .advance_failover(f1.id, 1, HOLDER, state, detail)
            .await
            .expect("advance");
    }
    let live = store
        .in_flight_failover("fo")
        .await
        .expect("in flight")
        .expect("some");
    assert_eq!(live.state, "promoted");
    let states: Vec<_> = live
        .steps
        .iter()
        .map(|s| (s.state.as_str(), s.detail.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("started", "forced failover from pg1 to pg2"),
            ("fenced", "fence_command ok"),
            ("promoted", "pg_promote true")
        ]
    );
    assert!(live.steps.windows(2).all(|w| w[0].at <= w[1].at));
    store
        .finish_failover(f1.id, HOLDER, "completed")
        .await
        .expect("finish");
    assert_eq!(store.in_flight_failover("fo").await.expect("none"), None);
    let err = store
        .advance_failover(f1.id, 1, HOLDER, "late", "")
        .await
        .expect_err("finished");
    assert!(
        err.to_string().contains("already finished (completed)"),
        "{err}"
    );
    assert!(store.finish_failover(f1.id, HOLDER, "again").await.is_err());
    // Epochs increase per venture; a finished-and-replaced epoch can no longer advance.
    let f2 = store
        .begin_failover("fo", "pg2", "pg1", true, HOLDER)
        .await
        .expect("begin 2");
    store
        .finish_failover(f2.id, HOLDER, "aborted")
        .await
        .expect("abort 2");
    let f3 = store
        .begin_failover("fo", "pg2", "pg1", true, HOLDER)
        .await
        .expect("begin 3");
    assert_eq!((f2.epoch, f3.epoch), (2, 3));
    let err = store
        .advance_failover(f3.id, 2, HOLDER, "x", "")
        .await
        .expect_err("epoch moved");
    assert!(err.to_string().contains("epoch of fo is now 3"), "{err}");
    let other = store
        .begin_failover("fo-other", "a", "b", false, HOLDER)
        .await
        .expect("other venture");
    assert_eq!(other.epoch, 1);
    store
        .finish_failover(other.id, HOLDER, "completed")
        .await
        .expect("finish other");
    let all = store
        .failovers("fo", before, Utc::now() + chrono::Duration::seconds(1))
        .await
        .expect("list");
    assert_eq!(all.iter().map(|f| f.epoch).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[0].steps, live.steps);
    assert_eq!(all[0].outcome.as_deref(), Some("completed"));
    assert_eq!(
        all[2],
        store
            .in_flight_failover("fo")
            .await
            .expect("f3")
            .expect("f3")
    );
    store
        .finish_failover(f3.id, HOLDER, "completed")
        .await
        .expect("finish 3");
}

/// Two agents (two stores on the same database) begin at once: exactly one wins.
pub async fn concurrent_begin(a: &Store, b: &Store) {
    for round in 0..5 {
        let venture = format!("race-{round}");
        let (ra, rb) = tokio::join!(
            a.begin_failover(&venture, "pg1", "pg2", false, HOLDER),
            b.begin_failover(&venture, "pg1", "pg2", false, HOLDER)
        );
        let (won, lost) = match (ra, rb) {
            (Ok(w), Err(l)) | (Err(l), Ok(w)) => (w, l),
            other => panic!("exactly one begin must win: {other:?}"),
        };
        assert!(
            matches!(&lost, StoreError::FailoverInFlight { id, .. } if *id == won.id),
            "{lost}"
        );
        assert_eq!(won.epoch, 1);
        a.finish_failover(won.id, HOLDER, "completed")
            .await
            .expect("finish");
    }
}

/// Recoveries, size samples, overrides with audit, endpoint roles, sends.
pub async fn the_rest(store: &Store) {
    let mut r = RecoveryRecord {
        id: 0,
        venture: "rec".into(),
        requested_at: t(10),
        target_time: t(-3600),
        method: "pgbackrest".into(),
        executed: true,
        outcome: "restored".into(),
        detail: "into /srv/restore".into(),
        rto_seconds: None,
    };
    r.id = store.insert_recovery(&r).await.expect("recovery");
    assert_eq!(
        store.recoveries("rec", t(0), t(11)).await.expect("list"),
        vec![r.clone()]
    );
    // An in-place restore: recorded when requested, finished with its measured RTO.
    let mut s = RecoveryRecord {
        requested_at: t(10) + chrono::TimeDelta::microseconds(1),
        method: "supabase-restore-pitr".into(),
        outcome: "requested".into(),
        detail: "restore-pitr to 1767222000".into(),
        rto_seconds: Some(0.5),
        ..r.clone()
    };
    s.id = store.insert_recovery(&s).await.expect("requested");
    assert!(store
        .finish_recovery(s.id, "recovered", "ACTIVE_HEALTHY, probed", Some(312.25))
        .await
        .expect("finish"));
    assert!(!store
        .finish_recovery(s.id + 1_000, "recovered", "-", None)
        .await
        .expect("finish unknown"));
    s.outcome = "recovered".into();
    s.detail = "ACTIVE_HEALTHY, probed".into();
    s.rto_seconds = Some(312.25);
    assert_eq!(
        store.recoveries("rec", t(0), t(11)).await.expect("list"),
        vec![r.clone(), s.clone()]
    );
    assert!(store
        .finish_recovery(s.id, "failed", "RESTORE_FAILED", None)
        .await
        .expect("finish again"));
    let listed = store.recoveries("rec", t(10), t(11)).await.expect("list");
    assert_eq!(listed[1].rto_seconds, None);
    assert_eq!(listed[1].outcome, "failed");
    assert!(store
        .recoveries("rec", t(11), t(20))
        .await
        .expect("list")
        .is_empty());

    let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).expect("day");
    for (d, bytes) in [(3, 300), (1, 100), (2, 150), (2, 200)] {
        store
            .upsert_size_sample("size", day(d), bytes)
            .await
            .expect("sample");
    }
    let samples = store.size_samples("size", day(2)).await.expect("samples");
    let sample = |d, bytes| SizeSample {
        venture: "size".into(),
        day: day(d),
        bytes,
    };
    assert_eq!(samples, vec![sample(2, 200), sample(3, 300)]);

    let mut o = ObjectiveOverride {
        venture: "obj".into(),
        rpo_seconds: Some(60),
        rto_seconds: None,
        pitr_window_seconds: Some(7 * 86400),
        backup_max_age_seconds: None,
        retention: None,
        set_by: "api:alice".into(),
        set_at: t(5),
    };
    store.set_override(&o).await.expect("set");
    o.rto_seconds = Some(3600);
    o.retention = Some(backstop::config::RetentionPolicy {
        last: 3,
        daily: 14,
        yearly: -1,
        ..Default::default()
    });
    o.set_by = "api:bob".into();
    store.set_override(&o).await.expect("replace");
    assert_eq!(store.overrides().await.expect("overrides"), vec![o.clone()]);
    // A retention-only override (every duration from the configuration) round-trips too.
    let only_retention = ObjectiveOverride {
        venture: "obj-ret".into(),
        rpo_seconds: None,
        pitr_window_seconds: None,
        retention: Some(backstop::config::RetentionPolicy::default()),
        ..o.clone()
    };
    store.set_override(&only_retention).await.expect("set");
    assert_eq!(
        store.overrides().await.expect("overrides"),
        vec![o.clone(), only_retention]
    );
    assert!(store
        .clear_override("obj-ret", "api:carol")
        .await
        .expect("clear"));
    assert!(store
        .clear_override("obj", "api:carol")
        .await
        .expect("clear"));
    assert!(!store
        .clear_override("obj", "api:carol")
        .await
        .expect("clear again"));
    assert!(store.overrides().await.expect("overrides").is_empty());
    let audit = store
        .events(&EventFilter {
            venture: Some("obj".into()),
            ..Default::default()
        })
        .await
        .expect("audit");
    let kinds: Vec<_> = audit
        .iter()
        .map(|e| (e.event.kind.as_str(), e.event.actor.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("objective_override_cleared", "api:carol"),
            ("objective_override_set", "api:bob"),
            ("objective_override_set", "api:alice")
        ]
    );
    assert_eq!(audit[1].event.details["rto_seconds"], 3600);
    assert_eq!(
        audit[1].event.details["retention"],
        serde_json::json!({"last": 3, "hourly": 0, "daily": 14, "weekly": 0, "monthly": 0, "yearly": -1})
    );
    assert!(
        audit[1]
            .event
            .message
            .contains("retention config → { last = 3, daily = 14, yearly = -1 }"),
        "{:?}",
        audit[1]
    );
    // Each audit says old → new: the override it replaced or removed.
    assert_eq!(audit[2].event.details["previous"], serde_json::Value::Null);
    assert!(
        audit[2].event.message.contains("rpo config → 60s"),
        "{:?}",
        audit[2]
    );
    assert_eq!(audit[1].event.details["previous"]["set_by"], "api:alice");
    assert!(
        audit[1].event.message.contains("rto config → 3600s"),
        "{:?}",
        audit[1]
    );
    assert!(
        !audit[1].event.message.contains("rpo"),
        "unchanged: {:?}",
        audit[1]
    );
    assert_eq!(audit[0].event.details["previous"]["set_by"], "api:bob");
    assert!(
        audit[0].event.message.contains("rpo 60s → config")
            && audit[0].event.message.contains("rto 3600s → config")
            && audit[0]
                .event
                .message
                .contains("retention { last = 3, daily = 14, yearly = -1 } → config"),
        "{:?}",
        audit[0]
    );

    let role = |venture: &str, endpoint: &str, role, fenced| EndpointRoleRecord {
        venture: venture.into(),
        endpoint: endpoint.into(),
        role,
        fenced,
        epoch: 2,
        updated_at: t(7),
    };
    store
        .set_endpoint_role(&role("ro", "pg1", Role::Primary, false))
        .await
        .expect("role");
    store
        .set_endpoint_role(&role("ro", "pg2", Role::Standby, false))
        .await
        .expect("role");
    store
        .set_endpoint_role(&role("ro", "pg1", Role::Fenced, true))
        .await
        .expect("replace");
    store
        .set_endpoint_role(&role("ro-2", "x", Role::Unknown, false))
        .await
        .expect("role");
    let got = store.endpoint_roles(Some("ro")).await.expect("roles");
    assert_eq!(
        got,
        vec![
            role("ro", "pg1", Role::Fenced, true),
            role("ro", "pg2", Role::Standby, false)
        ]
    );
    assert_eq!(store.endpoint_roles(None).await.expect("all").len(), 3);

    let send = |at, outcome: &str, status| SendRecord {
        at: t(at),
        receiver: "pagerduty#0".into(),
        venture: Some("snd".into()),
        event: "failover".into(),
        action: "trigger".into(),
        severity: "critical".into(),
        outcome: outcome.into(),
        attempts: 3,
        status,
        error: (outcome != "delivered").then(|| "HTTP 503".to_owned()),
    };
    for s in [
        send(1, "failed", Some(503)),
        send(3, "dropped", None),
        send(2, "delivered", Some(202)),
    ] {
        store.record_send(&s).await.expect("send");
    }
    assert_eq!(
        store.sends(2).await.expect("sends"),
        vec![send(3, "dropped", None), send(2, "delivered", Some(202))]
    );
}

/// Prune removes finished history before the cutoff and keeps running/in-flight rows.
pub async fn prune(store: &Store) {
    let running = store
        .start_drill("pr", t(-1000), None)
        .await
        .expect("running drill");
    let live = store
        .begin_failover("pr", "a", "b", false, HOLDER)
        .await
        .expect("in flight");
    let done = store
        .start_drill("pr", t(-1000), None)
        .await
        .expect("drill");
    store
        .finish_drill(done, &finish(t(-900), "passed"))
        .await
        .expect("finish");
    let far = Utc::now() + chrono::Duration::days(3650);
    let counts = store.prune(far).await.expect("prune");
    assert!(
        counts.events >= 4 && counts.sends == 3 && counts.drills >= 3,
        "{counts:?}"
    );
    assert!(
        counts.failovers >= 9 && counts.verifications == 3 && counts.recoveries == 2,
        "{counts:?}"
    );
    assert!(counts.size_samples >= 3, "{counts:?}");
    let left = store.drills("pr", t(-2000), far).await.expect("drills");
    assert_eq!(left.iter().map(|d| d.id).collect::<Vec<_>>(), [running]);
    assert_eq!(
        store
            .in_flight_failover("pr")
            .await
            .expect("live")
            .map(|f| f.id),
        Some(live.id)
    );
    assert_eq!(store.running_drills().await.expect("running").len(), 1);
    assert!(store
        .events(&EventFilter::default())
        .await
        .expect("events")
        .is_empty());
    assert_eq!(
        store.prune(far).await.expect("again"),
        PruneCounts::default()
    );
}

/// Leadership on PostgreSQL: one holder wins; the other wins after expiry; renewal works.
pub async fn leadership(a: &Store, b: &Store) {
    let ttl = Duration::from_millis(600);
    assert!(a.try_lead("lead", "agent-a", ttl).await.expect("a"));
    assert!(!b.try_lead("lead", "agent-b", ttl).await.expect("b refused"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(a.try_lead("lead", "agent-a", ttl).await.expect("a renews"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!b
        .try_lead("lead", "agent-b", ttl)
        .await
        .expect("renewed lease holds"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(b
        .try_lead("lead", "agent-b", ttl)
        .await
        .expect("b after expiry"));
    assert!(!a.try_lead("lead", "agent-a", ttl).await.expect("a lost it"));
    b.release("lead", "agent-b").await.expect("release");
    assert!(a
        .try_lead("lead", "agent-a", ttl)
        .await
        .expect("a after release"));
    assert!(a
        .try_lead("other", "agent-b", ttl)
        .await
        .expect("per venture"));
}

/// Runs the whole contract on `a`, with `b` a second store on the same database.
/// Holders: a failover records who drives it and who wrote each step; an agent acts on it only
/// while the record names it and it holds the venture's lease (`shared_lease`: PostgreSQL;
/// SQLite always grants it); the lease holder takes over, a human's failover only once stale.
pub async fn failover_holders(a: &Store, b: &Store, shared_lease: bool) {
    let (ha, hb) = ("host:1:a:0", "host:2:b:0");
    let ttl = Duration::from_millis(1500);
    let lost = |e: StoreError, part: &str| match &e {
        StoreError::NotFailoverHolder { reason, .. } if reason.contains(part) => {}
        _ => panic!("want NotFailoverHolder with {part:?}, got {e}"),
    };
    if shared_lease {
        lost(
            a.begin_failover("ho", "pg1", "pg2", false, ha)
                .await
                .expect_err("no lease"),
            "holds no lease of ho",
        );
        assert!(a.try_lead("ho", ha, ttl).await.expect("lead"));
    }
    let f = a
        .begin_failover("ho", "pg1", "pg2", false, ha)
        .await
        .expect("begin with the lease");
    assert_eq!(f.holder.as_deref(), Some(ha));
    a.check_failover(f.id, f.epoch, ha)
        .await
        .expect("a holds it");
    if shared_lease {
        // b does not hold the lease: it can neither take over nor act.
        lost(
            b.take_over_failover(f.id, f.epoch, hb, Duration::ZERO, "b")
                .await
                .expect_err("b has no lease"),
            &format!("lease of ho is held by {ha}"),
        );
        a.advance_failover(f.id, f.epoch, ha, "fenced", "by a")
            .await
            .expect("a advances");
        // a's lease runs out (not renewed): a must stop even before anyone takes over.
        tokio::time::sleep(ttl + Duration::from_millis(200)).await;
        lost(
            a.check_failover(f.id, f.epoch, ha)
                .await
                .expect_err("expired"),
            "lease of ho expired",
        );
        assert!(b.try_lead("ho", hb, ttl).await.expect("b leads"));
    } else {
        a.advance_failover(f.id, f.epoch, ha, "fenced", "by a")
            .await
            .expect("a advances");
    }
    let before = b
        .take_over_failover(f.id, f.epoch, hb, Duration::from_secs(600), "b took over")
        .await
        .expect("the lease holder takes over");
    assert_eq!(before.as_deref(), Some(ha));
    lost(
        a.check_failover(f.id, f.epoch, ha)
            .await
            .expect_err("taken over"),
        &format!("now held by {hb}"),
    );
    lost(
        a.advance_failover(f.id, f.epoch, ha, "promoting", "late")
            .await
            .expect_err("a may not write"),
        &format!("now held by {hb}"),
    );
    lost(
        a.finish_failover(f.id, ha, "completed")
            .await
            .expect_err("a may not finish"),
        "now held by",
    );
    a.note_failover(f.id, ha, "holder_lost", "a stopped")
        .await
        .expect("note");
    b.advance_failover(f.id, f.epoch, hb, "promoting", "by b")
        .await
        .expect("b advances");
    b.finish_failover(f.id, hb, "completed")
        .await
        .expect("b finishes");
    let now = Utc::now();
    let done = a
        .failovers("ho", now - chrono::Duration::hours(1), now)
        .await
        .expect("list")
        .pop()
        .expect("one");
    assert_eq!(done.holder.as_deref(), Some(hb));
    let steps: Vec<_> = done
        .steps
        .iter()
        .map(|s| (s.state.as_str(), s.holder.as_deref().unwrap_or("-")))
        .collect();
    assert_eq!(
        steps,
        [
            ("started", ha),
            ("fenced", ha),
            ("fenced", hb),
            ("holder_lost", ha),
            ("promoting", hb)
        ]
    );

    // A human's failover needs no lease; the leader leaves it alone until it went stale.
    let manual = "manual:cli@host:3:c:0";
    let m = a
        .begin_failover("ho", "pg2", "pg1", true, manual)
        .await
        .expect("manual begin");
    lost(
        b.take_over_failover(m.id, m.epoch, hb, Duration::from_secs(600), "b")
            .await
            .expect_err("not stale"),
        &format!("run by {manual}"),
    );
    a.advance_failover(m.id, m.epoch, manual, "fenced", "human")
        .await
        .expect("the human goes on");
    if shared_lease {
        assert!(b.try_lead("ho", hb, ttl).await.expect("b renews"));
    }
    b.take_over_failover(m.id, m.epoch, hb, Duration::ZERO, "stale")
        .await
        .expect("stale: taken over");
    b.finish_failover(m.id, hb, "aborted").await.expect("abort");
    if shared_lease {
        b.release("ho", hb).await.expect("release");
    }
}

pub async fn all(a: &Store, b: &Store) {
    events(a).await;
    verifications(a).await;
    drills(a).await;
    failovers(a).await;
    the_rest(a).await;
    concurrent_begin(a, b).await;
    prune(a).await;
}
