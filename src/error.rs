//! Error kinds shared by every subsystem: the bounded `kind` label of `backstop_errors_total`.
//!
//! Each subsystem has its own `thiserror` enum; each of those maps onto one [`ErrorKind`] so
//! that metrics, logs and `check` speak the same small vocabulary. Error text never becomes a label.

use std::fmt;

/// The bounded set of pipeline error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorKind {
    /// A call exceeded its timeout.
    Timeout,
    /// A TCP connection could not be established or was lost.
    Connect,
    /// Authentication or authorisation failed.
    Auth,
    /// A query failed on the server.
    Query,
    /// A response or command output could not be parsed.
    Parse,
    /// An external command failed to start or exited non-zero.
    Command,
    /// An API rate limit was hit (HTTP 429).
    RateLimited,
    /// An HTTP call failed (5xx or unexpected status).
    Http,
    /// The durable store failed.
    Store,
    /// A misconfiguration detected at run time (e.g. a role that does not match).
    Config,
}

impl ErrorKind {
    /// All kinds, so that `backstop_errors_total` starts at 0 for each of them.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Auth,
        ErrorKind::Query,
        ErrorKind::Parse,
        ErrorKind::Command,
        ErrorKind::RateLimited,
        ErrorKind::Http,
        ErrorKind::Store,
        ErrorKind::Config,
    ];

    /// The `kind` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Auth => "auth",
            ErrorKind::Query => "query",
            ErrorKind::Parse => "parse",
            ErrorKind::Command => "command",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Http => "http",
            ErrorKind::Store => "store",
            ErrorKind::Config => "config",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
