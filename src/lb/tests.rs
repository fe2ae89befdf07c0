//! The load-balancer endpoint semantics as a table over built snapshots, and stored roles
//! applied at start.

use chrono::{TimeZone, Utc};

use super::{primary, replica, stored, venture_primary, Verdict};
use crate::state::{EndpointObservation, EndpointState, ProbeState, Role, Snapshot, VentureState};
use crate::store::EndpointRoleRecord;

/// An endpoint: configured role, observed role (with timeline and lag when observed), fence,
/// last probe.
struct Ep {
    name: &'static str,
    configured: Role,
    observed: Option<(Role, u32, Option<u64>)>,
    fenced: bool,
    up: Option<bool>,
}

fn ep(name: &'static str, configured: Role) -> Ep {
    Ep {
        name,
        configured,
        observed: None,
        fenced: false,
        up: None,
    }
}

impl Ep {
    fn seen(mut self, role: Role, timeline: u32, lag: Option<u64>) -> Ep {
        self.observed = Some((role, timeline, lag));
        self.up = Some(true);
        self
    }
    fn fenced(mut self) -> Ep {
        self.fenced = true;
        self
    }
    fn down(mut self) -> Ep {
        self.up = Some(false);
        self
    }
    fn build(&self) -> EndpointState {
        let (role, observed) = match self.observed {
            Some((role, timeline, lag)) => (
                if self.fenced { Role::Fenced } else { role },
                Some(EndpointObservation {
                    in_recovery: role == Role::Standby,
                    timeline,
                    replication_lag_bytes: lag,
                    ..Default::default()
                }),
            ),
            None => (Role::Unknown, None),
        };
        EndpointState {
            name: self.name.to_owned(),
            configured_role: self.configured,
            role,
            fenced: self.fenced,
            probe: ProbeState {
                up: self.up,
                ..Default::default()
            },
            observed,
            ..Default::default()
        }
    }
}

fn snap(eps: &[Ep]) -> Snapshot {
    Snapshot {
        ventures: crate::state::shared(vec![VentureState {
            name: "acme".into(),
            endpoints: eps.iter().map(Ep::build).collect(),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

use Role::{Primary as P, Standby as S};
use Verdict::{Down, Missing, Up};

#[test]
fn primary_endpoint_table() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Ep>, &str, Verdict)> = vec![
        ("before any probe: configured primary", vec![ep("pg1", P), ep("pg2", S)], "pg1", Up("primary")),
        ("before any probe: configured standby", vec![ep("pg1", P), ep("pg2", S)], "pg2", Down("standby")),
        ("observed primary", vec![ep("pg1", P).seen(P, 1, None), ep("pg2", S).seen(S, 1, Some(0))], "pg1", Up("primary")),
        ("observed standby", vec![ep("pg1", P).seen(P, 1, None), ep("pg2", S).seen(S, 1, Some(0))], "pg2", Down("standby")),
        ("a failed probe keeps the primary in rotation", vec![ep("pg1", P).seen(P, 1, None).down(), ep("pg2", S)], "pg1", Up("primary")),
        ("fenced before any probe", vec![ep("pg1", P).fenced(), ep("pg2", P)], "pg1", Down("fenced")),
        ("fence holds while it runs as primary", vec![ep("pg1", P).seen(P, 1, None).fenced(), ep("pg2", P).seen(P, 2, None)], "pg1", Down("fenced")),
        ("promoted standby after the fence", vec![ep("pg1", P).seen(P, 1, None).fenced(), ep("pg2", S).seen(P, 2, None)], "pg2", Up("primary")),
        ("observed promotion beats the configured role", vec![ep("pg1", P), ep("pg2", S).seen(P, 2, None)], "pg2", Up("primary")),
        ("unfenced old primary on an older timeline", vec![ep("pg1", P).seen(P, 1, None), ep("pg2", S).seen(P, 2, None)], "pg1", Down("older timeline than the primary")),
        ("newest timeline wins", vec![ep("pg1", P).seen(P, 1, None), ep("pg2", S).seen(P, 2, None)], "pg2", Up("primary")),
        ("two primaries on one timeline", vec![ep("pg1", P).seen(P, 1, None), ep("pg2", S).seen(P, 1, None)], "pg1", Down("several primaries")),
        ("never observed, no role", vec![ep("pg1", Role::Unknown)], "pg1", Down("role unknown")),
        ("unknown endpoint", vec![ep("pg1", P)], "pg9", Missing("unknown endpoint")),
    ];
    for (what, eps, endpoint, want) in cases {
        let s = snap(&eps);
        assert_eq!(primary(&s, "acme", endpoint), want, "{what}");
    }
    assert_eq!(
        primary(&snap(&[ep("pg1", P)]), "other", "pg1"),
        Missing("unknown venture")
    );
}

#[test]
fn replica_endpoint_table() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Ep, Option<u64>, Verdict)> = vec![
        ("before any probe: configured standby", ep("pg2", S), None, Up("standby")),
        ("before any probe with max_lag: lag unknown", ep("pg2", S), Some(1000), Down("lag unknown")),
        ("observed standby", ep("pg2", S).seen(S, 1, Some(10)), None, Up("standby")),
        ("within max_lag", ep("pg2", S).seen(S, 1, Some(1000)), Some(1000), Up("standby")),
        ("beyond max_lag", ep("pg2", S).seen(S, 1, Some(1001)), Some(1000), Down("lagging")),
        ("lag not observed", ep("pg2", S).seen(S, 1, None), Some(1000), Down("lag unknown")),
        ("last probe failed", ep("pg2", S).seen(S, 1, Some(0)).down(), None, Down("down")),
        ("fenced", ep("pg2", S).seen(S, 1, Some(0)).fenced(), None, Down("fenced")),
        ("primary", ep("pg2", P).seen(P, 1, None), None, Down("primary")),
        ("promoted", ep("pg2", S).seen(P, 2, None), None, Down("primary")),
    ];
    for (what, e, max_lag, want) in cases {
        let s = snap(&[ep("pg1", P), e]);
        assert_eq!(replica(&s, "acme", "pg2", max_lag), want, "{what}");
    }
    let s = snap(&[ep("pg1", P)]);
    assert_eq!(
        replica(&s, "acme", "nope", None),
        Missing("unknown endpoint")
    );
    assert_eq!(replica(&s, "nope", "pg1", None), Missing("unknown venture"));
}

#[test]
fn verdict_status_codes() {
    assert_eq!(
        (Up("x").status(), Down("x").status(), Missing("x").status()),
        (200, 503, 404)
    );
    assert_eq!(Down("fenced").reason(), "fenced");
}

#[test]
fn venture_primary_none_when_all_fenced_or_standby() {
    let s = snap(&[ep("pg1", P).fenced(), ep("pg2", S)]);
    assert_eq!(venture_primary(&s.ventures[0]).err(), Some("no primary"));
}

#[test]
fn stored_roles_and_fences_replace_the_configured_ones() {
    let at = Utc
        .with_ymd_and_hms(2026, 5, 1, 12, 0, 0)
        .single()
        .expect("time");
    let record = |endpoint: &str, role, fenced| EndpointRoleRecord {
        venture: "acme".into(),
        endpoint: endpoint.into(),
        role,
        fenced,
        epoch: 3,
        updated_at: at,
    };
    let mut s = snap(&[ep("pg1", P), ep("pg2", S)]);
    stored::apply(
        &mut s,
        &[
            record("pg1", Role::Fenced, true),
            record("pg2", P, false),
            record("gone", P, false),
            EndpointRoleRecord {
                venture: "other".into(),
                ..record("pg1", P, false)
            },
        ],
    );
    assert_eq!(primary(&s, "acme", "pg1"), Down("fenced"));
    assert_eq!(primary(&s, "acme", "pg2"), Up("primary"));
    let pg2 = s.ventures[0].endpoint("pg2").expect("pg2");
    assert_eq!(pg2.role_since, Some(at));
    // The fenced endpoint keeps its configured role underneath the fence.
    assert_eq!(
        s.ventures[0].endpoint("pg1").expect("pg1").configured_role,
        P
    );
}
