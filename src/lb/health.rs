//! The verdicts of the load-balancer endpoints (pure): [`primary`], [`replica`] and
//! [`venture_primary`].
//!
//! A venture has one primary: the unfenced endpoint whose [current role](super::current_role)
//! is primary. When several claim it (an old primary restarted without a fence, next to the
//! promoted standby), the one on the highest observed timeline wins — a promotion always moves
//! to a new timeline; when that does not decide, none is answered primary (split brain is
//! worse than no writes).

use crate::state::{EndpointState, Role, Snapshot, VentureState};

use super::current_role;

/// An answer of a health endpoint: the HTTP status and a short plain-text reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 200: route to it.
    Up(&'static str),
    /// 503: do not route to it.
    Down(&'static str),
    /// 404: no such venture or endpoint.
    Missing(&'static str),
}

impl Verdict {
    /// The HTTP status code.
    pub fn status(self) -> u16 {
        match self {
            Verdict::Up(_) => 200,
            Verdict::Down(_) => 503,
            Verdict::Missing(_) => 404,
        }
    }

    /// The reason (the response body).
    pub fn reason(self) -> &'static str {
        match self {
            Verdict::Up(r) | Verdict::Down(r) | Verdict::Missing(r) => r,
        }
    }
}

/// The venture's primary now, or why there is none (`no primary`, `several primaries`).
pub fn venture_primary(v: &VentureState) -> Result<&EndpointState, &'static str> {
    let claims: Vec<&EndpointState> = v
        .endpoints
        .iter()
        .filter(|e| current_role(e) == Role::Primary)
        .collect();
    match claims.as_slice() {
        [] => Err("no primary"),
        [one] => Ok(one),
        many => {
            let timeline = |e: &EndpointState| e.observed.as_ref().map(|o| o.timeline);
            let newest = many.iter().map(|e| timeline(e)).max().flatten();
            let mut on_newest = many
                .iter()
                .filter(|e| newest.is_some() && timeline(e) == newest);
            match (on_newest.next(), on_newest.next()) {
                (Some(one), None) => Ok(one),
                _ => Err("several primaries"),
            }
        }
    }
}

fn find<'a>(
    snap: &'a Snapshot,
    venture: &str,
    endpoint: &str,
) -> Result<(&'a VentureState, &'a EndpointState), Verdict> {
    let v = snap
        .venture(venture)
        .ok_or(Verdict::Missing("unknown venture"))?;
    let ep = v
        .endpoint(endpoint)
        .ok_or(Verdict::Missing("unknown endpoint"))?;
    Ok((v, ep))
}

/// `/health/{venture}/{endpoint}/primary`: 200 when the endpoint is the venture's primary now,
/// not fenced, and not confirmed down (the failover controller's hysteresis *and* a standby that
/// stopped hearing it, [`crate::failover::down`]; the agent's view alone never takes a primary
/// out of rotation, since the agent may be the one cut off).
pub fn primary(snap: &Snapshot, venture: &str, endpoint: &str) -> Verdict {
    let (v, ep) = match find(snap, venture, endpoint) {
        Ok(found) => found,
        Err(verdict) => return verdict,
    };
    match current_role(ep) {
        Role::Fenced => Verdict::Down("fenced"),
        Role::Standby => Verdict::Down("standby"),
        Role::Unknown => Verdict::Down("role unknown"),
        Role::Primary if ep.confirmed_down => Verdict::Down("down (confirmed by a standby)"),
        Role::Primary => match venture_primary(v) {
            Ok(p) if p.name == ep.name => Verdict::Up("primary"),
            Ok(_) => Verdict::Down("older timeline than the primary"),
            Err(reason) => Verdict::Down(reason),
        },
    }
}

/// `/health/{venture}/{endpoint}/replica[?max_lag=BYTES]`: 200 for an unfenced standby whose
/// last poll succeeded (or that was not polled yet) and, with `max_lag`, whose observed
/// replication lag is known and at most `max_lag` bytes.
pub fn replica(snap: &Snapshot, venture: &str, endpoint: &str, max_lag: Option<u64>) -> Verdict {
    let ep = match find(snap, venture, endpoint) {
        Ok((_, ep)) => ep,
        Err(verdict) => return verdict,
    };
    match current_role(ep) {
        Role::Fenced => return Verdict::Down("fenced"),
        Role::Primary => return Verdict::Down("primary"),
        Role::Unknown => return Verdict::Down("role unknown"),
        Role::Standby => {}
    }
    if ep.probe.up == Some(false) {
        return Verdict::Down("down");
    }
    let Some(max) = max_lag else {
        return Verdict::Up("standby");
    };
    match ep.observed.as_ref().and_then(|o| o.replication_lag_bytes) {
        None => Verdict::Down("lag unknown"),
        Some(lag) if lag > max => Verdict::Down("lagging"),
        Some(_) => Verdict::Up("standby"),
    }
}
