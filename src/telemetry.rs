//! Logging and error reporting: tracing (text or JSON) and Sentry when `SENTRY_DSN` is set.
//!
//! Log lines carry fields (`venture`, `endpoint`, `source`, `kind`) rather than prose, and the
//! pollers log one line per state change, not one per poll. Sentry receives error-level events
//! through its tracing integration; secrets never reach either (they are [`crate::secret::Secret`]).

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use crate::config::LogFormat;

/// Keeps Sentry flushing until dropped at exit.
#[must_use = "dropping the guard stops Sentry reporting"]
pub struct TelemetryGuard {
    _sentry: Option<sentry::ClientInitGuard>,
}

/// Installs the global tracing subscriber. `BACKSTOP_LOG` (or `RUST_LOG`) sets the filter;
/// the default is `default_level` (`info` for the agent, `warn` for one-shot commands). Safe to
/// call once per process; later calls are ignored.
pub fn init(format: LogFormat, default_level: &str) -> TelemetryGuard {
    let filter = EnvFilter::try_from_env("BACKSTOP_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default_level));
    let fmt_layer = match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_target(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .boxed(),
    };
    let sentry_guard = sentry_init();
    // Error-level events become Sentry events; warnings and below stay breadcrumbs-free.
    let sentry_layer = sentry_guard.as_ref().map(|_| {
        sentry::integrations::tracing::ErrorLayer::new()
            .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
    });
    // `try_init` fails only when a subscriber exists already (tests): keep the existing one.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(sentry_layer)
        .try_init();
    TelemetryGuard {
        _sentry: sentry_guard,
    }
}

fn sentry_init() -> Option<sentry::ClientInitGuard> {
    let dsn = std::env::var("SENTRY_DSN")
        .ok()
        .filter(|d| !d.trim().is_empty())?;
    let mut options = sentry::ClientOptions::default();
    options.release = Some(format!("backstop@{}", crate::VERSION).into());
    options.environment = std::env::var("SENTRY_ENVIRONMENT").ok().map(Into::into);
    // Never attach request bodies, IPs or other personal data.
    options.send_default_pii = false;
    let guard = sentry::init((dsn, options));
    if guard.is_enabled() {
        Some(guard)
    } else {
        // An unparsable DSN disables Sentry; say so without echoing the DSN (it holds a key).
        eprintln!("backstop: SENTRY_DSN is set but not a valid Sentry DSN; error reporting is off");
        None
    }
}
