//! Who drives a failover (its *holder*), and whether a holder may still act on it or take it
//! over (pure; both backends read a [`HolderView`] in the transaction that changes the record).
//!
//! An agent's failover is held by its leadership holder id ([`crate::leader::holder_id`]) and is
//! *leased*: the agent may act on it only while the record names it **and** it holds the
//! venture's lease (PostgreSQL: a live lease row; SQLite: always, one agent per file). A human's
//! failover (`backstop failover`, the API) is held by a `manual:` holder, which needs no lease.
//!
//! Before every stage (fence, promote, verify, switch roles) the holder is checked
//! ([`may_act`]); an agent that lost its lease, or whose record another holder took, stops at
//! once without acting. The leader takes over an unfinished failover ([`may_take_over`]) when it
//! holds the lease itself (so a leased holder that is not it has lost the lease), or when a
//! manual holder left the record untouched for `stale_after` (the CLI died).

use std::time::Duration;

/// The prefix of holders that need no lease (a human's failover).
pub const MANUAL_PREFIX: &str = "manual:";

/// A manual holder id for `actor` (`cli`, `api:<who>`), unique to this process.
pub fn manual_holder(actor: &str) -> String {
    format!("{MANUAL_PREFIX}{actor}@{}", crate::leader::holder_id())
}

/// Whether `holder` must hold the venture's lease to act (an agent, not a human).
pub fn is_leased(holder: &str) -> bool {
    !holder.starts_with(MANUAL_PREFIX)
}

/// The venture's leadership lease as the store sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseView {
    /// The backend has no shared lease (SQLite: one agent per file, always the leader).
    Unshared,
    /// No lease row: never taken, or released.
    Absent,
    /// A lease row: its holder and whether it is unexpired (by the database clock).
    Held {
        /// The lease holder.
        holder: String,
        /// `expires_at` is still ahead.
        live: bool,
    },
}

/// What decides whether a holder may act on a failover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderView {
    /// The holder recorded on the failover (`None`: recorded before holders existed).
    pub record_holder: Option<String>,
    /// The venture's lease.
    pub lease: LeaseView,
    /// Time since the record last changed.
    pub idle: Duration,
}

/// Whether `me` holds the lease of `venture` now (manual holders need none).
pub fn holds_lease(lease: &LeaseView, me: &str, venture: &str) -> Result<(), String> {
    if !is_leased(me) {
        return Ok(());
    }
    match lease {
        LeaseView::Unshared => Ok(()),
        LeaseView::Held { holder, live: true } if holder == me => Ok(()),
        LeaseView::Held {
            holder,
            live: false,
        } if holder == me => Err(format!(
            "this agent's lease of {venture} expired (not renewed in time)"
        )),
        LeaseView::Held { holder, .. } => {
            Err(format!("the lease of {venture} is held by {holder}"))
        }
        LeaseView::Absent => Err(format!(
            "this agent holds no lease of {venture} (released or never taken)"
        )),
    }
}

/// Whether `me` may carry out the next stage of the failover it began or took over.
pub fn may_act(view: &HolderView, me: &str, venture: &str) -> Result<(), String> {
    match view.record_holder.as_deref() {
        Some(h) if h == me => {}
        Some(other) => return Err(format!("the failover is now held by {other}")),
        None => return Err("the failover has no holder recorded: take it over first".into()),
    }
    holds_lease(&view.lease, me, venture)
}

/// Whether `me` (an agent) may take over the unfinished failover: it holds the lease, and the
/// recorded holder is itself, none, an agent (which therefore lost the lease), or a manual
/// holder idle for at least `stale_after`.
pub fn may_take_over(
    view: &HolderView,
    me: &str,
    venture: &str,
    stale_after: Duration,
) -> Result<(), String> {
    if !is_leased(me) {
        return Err("a manual failover never takes over another one".into());
    }
    holds_lease(&view.lease, me, venture)?;
    match view.record_holder.as_deref() {
        Some(h) if !is_leased(h) && view.idle < stale_after => Err(format!(
            "it is run by {h}, which changed it {}s ago (taken over after {}s without a change)",
            view.idle.as_secs(),
            stale_after.as_secs()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(record: Option<&str>, lease: LeaseView, idle_s: u64) -> HolderView {
        HolderView {
            record_holder: record.map(str::to_owned),
            lease,
            idle: Duration::from_secs(idle_s),
        }
    }

    fn held(holder: &str, live: bool) -> LeaseView {
        LeaseView::Held {
            holder: holder.into(),
            live,
        }
    }

    #[test]
    fn acting_needs_the_record_and_the_live_lease() {
        let table: [(HolderView, &str, Result<(), &str>); 9] = [
            (view(Some("a"), held("a", true), 0), "a", Ok(())),
            (view(Some("a"), LeaseView::Unshared, 0), "a", Ok(())),
            (
                view(Some("b"), held("a", true), 0),
                "a",
                Err("now held by b"),
            ),
            (
                view(None, held("a", true), 0),
                "a",
                Err("no holder recorded"),
            ),
            (
                view(Some("a"), held("a", false), 0),
                "a",
                Err("lease of acme expired"),
            ),
            (
                view(Some("a"), held("b", true), 0),
                "a",
                Err("lease of acme is held by b"),
            ),
            (
                view(Some("a"), LeaseView::Absent, 0),
                "a",
                Err("holds no lease"),
            ),
            // A human's failover needs no lease, only the record.
            (
                view(Some("manual:cli@x"), held("b", true), 0),
                "manual:cli@x",
                Ok(()),
            ),
            (
                view(Some("a"), held("a", true), 0),
                "manual:cli@x",
                Err("now held by a"),
            ),
        ];
        for (v, me, want) in table {
            let got = may_act(&v, me, "acme");
            match (want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(part), Err(why)) => assert!(why.contains(part), "{v:?} {me}: {why}"),
                _ => panic!("{v:?} {me}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn takeover_by_the_lease_holder_only() {
        let stale = Duration::from_secs(120);
        let table: [(HolderView, &str, Result<(), &str>); 8] = [
            // The dead leader's failover: the lease moved to b.
            (view(Some("a"), held("b", true), 0), "b", Ok(())),
            (view(Some("b"), held("b", true), 0), "b", Ok(())),
            (view(None, held("b", true), 0), "b", Ok(())),
            (view(Some("a"), LeaseView::Unshared, 0), "b", Ok(())),
            // b must hold the lease itself.
            (view(Some("a"), held("a", true), 0), "b", Err("held by a")),
            (view(Some("a"), held("b", false), 0), "b", Err("expired")),
            // A human's failover is left alone until it went quiet.
            (
                view(Some("manual:cli@x"), held("b", true), 30),
                "b",
                Err("run by manual:cli@x"),
            ),
            (
                view(Some("manual:cli@x"), held("b", true), 120),
                "b",
                Ok(()),
            ),
        ];
        for (v, me, want) in table {
            let got = may_take_over(&v, me, "acme", stale);
            match (want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(part), Err(why)) => assert!(why.contains(part), "{v:?} {me}: {why}"),
                _ => panic!("{v:?} {me}: want {want:?}, got {got:?}"),
            }
        }
        assert!(may_take_over(
            &view(None, LeaseView::Unshared, 0),
            "manual:x",
            "acme",
            stale
        )
        .is_err());
    }

    #[test]
    fn manual_holders_are_recognised() {
        let h = manual_holder("api:ops");
        assert!(h.starts_with("manual:api:ops@") && !is_leased(&h), "{h}");
        assert!(is_leased(&crate::leader::holder_id()));
    }
}
