//! The WAL-receiver rule: does a standby still hear the primary?
//!
//! The agent alone cannot tell "the primary is dead" from "I am cut off from the primary"; the
//! standby can. `pg_stat_wal_receiver` on the standby has a `status` and the
//! `last_msg_receipt_time` of the last message from the primary. The primary counts as gone
//! from a standby's view only when its receiver is not streaming (no row: no receiver running;
//! `waiting`, `starting`, `restarting`, `stopping`, `stopped`) or has been streaming without any
//! message for longer than `min_down`. A receiver that streams with a recent message means the
//! primary is alive and only the agent's path to it is broken: no failover.
//!
//! The silence is measured at the observation (`observation.at − last_msg_receipt_time`), not
//! at `now`: messages after the observation are unknown. The receipt time is the standby's
//! clock and `at` the agent's; a standby clock ahead of the agent's shortens the silence (safe:
//! refuses), one behind lengthens it, so agent and databases must keep NTP time.
//!
//! Limits, both erring towards refusing or towards needing the heartbeat:
//! - A cascading standby streams from another standby; its receiver then says nothing about the
//!   primary, yet it still vetoes here (safe). Narrowing the veto to receivers whose sender is
//!   the primary needs `sender_host`/`sender_port` in the observation.
//! - On an idle primary the gap between messages is set by keepalives and status intervals
//!   (`wal_sender_timeout`, `wal_receiver_timeout`, `wal_receiver_status_interval`), which can
//!   be longer than a short `min_down`; a silent receiver then does not prove a silent primary.
//!   The venture heartbeat (`[ventures.heartbeat]`, one write every few seconds) keeps WAL
//!   flowing so that it does; `auto` ventures should enable it.

use std::time::Duration;

use crate::probe::elapsed;
use crate::state::EndpointObservation;

/// `pg_stat_wal_receiver.status` while connected to the upstream.
pub(crate) const STREAMING: &str = "streaming";

/// What one standby's WAL receiver says about the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiverView {
    /// No WAL receiver running (`pg_stat_wal_receiver` has no row).
    NoReceiver,
    /// A receiver in another status than `streaming` (the status is kept).
    NotStreaming(String),
    /// Streaming, but silent for longer than `min_down`.
    Silent(Duration),
    /// Streaming with a message within `min_down` (or none recorded yet, which is how a fresh
    /// connection looks): the primary is alive from the standby's view.
    Alive(Option<Duration>),
    /// The status is empty: the agent could not read it (needs `pg_read_all_stats`).
    Unreadable,
}

impl ReceiverView {
    /// Reads the observation's receiver against `min_down`.
    pub fn of(observation: &EndpointObservation, min_down: Duration) -> Self {
        let Some(receiver) = observation.wal_receiver.as_ref() else {
            return ReceiverView::NoReceiver;
        };
        match receiver.status.trim() {
            "" => ReceiverView::Unreadable,
            STREAMING => match receiver.last_msg_receipt_time {
                None => ReceiverView::Alive(None),
                Some(last) => {
                    let silence = elapsed(last, observation.at);
                    if silence > min_down {
                        ReceiverView::Silent(silence)
                    } else {
                        ReceiverView::Alive(Some(silence))
                    }
                }
            },
            other => ReceiverView::NotStreaming(other.to_owned()),
        }
    }

    /// The primary is gone from this standby's view.
    pub fn primary_gone(&self) -> bool {
        matches!(
            self,
            ReceiverView::NoReceiver | ReceiverView::NotStreaming(_) | ReceiverView::Silent(_)
        )
    }
}

impl std::fmt::Display for ReceiverView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::config::format_duration;
        match self {
            ReceiverView::NoReceiver => f.write_str("no WAL receiver running"),
            ReceiverView::NotStreaming(status) => write!(f, "WAL receiver status {status:?}"),
            ReceiverView::Silent(silence) => write!(
                f,
                "WAL receiver streaming but no message for {}",
                format_duration(*silence)
            ),
            ReceiverView::Alive(Some(silence)) => write!(
                f,
                "WAL receiver streaming, last message {} before the observation",
                format_duration(*silence)
            ),
            ReceiverView::Alive(None) => {
                f.write_str("WAL receiver streaming, no message time recorded yet")
            }
            ReceiverView::Unreadable => {
                f.write_str("WAL receiver status unreadable (grant pg_read_all_stats)")
            }
        }
    }
}
