//! The pgBackRest source: `info` (backups), `repo-ls` (WAL in the repository) and the stanza's
//! backup log (failed runs), polled by [`PgBackRestSource`].
//!
//! - [`command`]: runs `pgbackrest … --output=json` with a timeout and an output cap.
//! - [`info`], [`repo_ls`], [`backup_log`]: pure parsers of what it prints and logs.
//! - [`poller`]: the task, and how its results land in the snapshot.
//! - [`verify`]: `pgbackrest verify` and its text summary; [`verifier`]: the scheduled task that
//!   records and publishes it.

pub mod backup_log;
pub mod command;
#[cfg(test)]
mod fuzz_props;
pub mod info;
pub mod poller;
pub mod repo_ls;
pub mod verifier;
pub mod verify;

pub use command::PgBackRestCommand;
pub use info::{parse_info, StanzaInfo};
pub use poller::PgBackRestSource;
pub use repo_ls::parse_repo_ls;
pub use verifier::Verifier;
pub use verify::{parse_verify, VerifyReport};
