//! PostgreSQL itself: connections with timeouts, the collector's queries, WAL arithmetic, and
//! throwaway scratch clusters for drills, tests and the demo.
//!
//! - [`connect`]: one connection with connect/statement timeouts, TCP keepalive and user timeout.
//! - [`wal`]: LSNs, WAL file names and archive lag (pure).
//! - [`queries`] and [`observe`]: one poll of an endpoint into a [`crate::state::EndpointObservation`].
//! - [`lag`]: combining primary and standby observations into replication lag (pure).
//! - [`collector`]: the per-endpoint poller tasks that publish into the [`crate::state::Snapshot`].
//! - [`scratch`]: [`scratch::ScratchCluster`], a local cluster run as the `postgres` OS user.

pub mod collector;
pub mod connect;
mod error;
pub mod lag;
pub mod observe;
pub mod queries;
pub mod scratch;
mod tls;
pub mod wal;

pub use collector::{poll_once, spawn_collectors, EndpointTarget};
pub use connect::{connect, ConnectOptions};
pub use error::PgError;
pub use observe::{database_size, observe};
pub use scratch::{ScratchCluster, ScratchOptions};
