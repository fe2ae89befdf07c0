//! [`connect`]: one PostgreSQL connection with connect and statement timeouts, TCP keepalive
//! and TCP user timeout, `application_name = backstop`, TLS per the DSN's `sslmode`.
//!
//! `sslmode=disable` connects in plain text; `prefer` and `require` use rustls without
//! certificate verification (libpq's semantics for those modes). Error messages never contain
//! the DSN or its password.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, Config};

use super::error::{classify, describe};
use super::{tls, PgError};
use crate::error::ErrorKind;
use crate::secret::Secret;

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// TCP connect + startup timeout (client side).
    pub connect_timeout: Duration,
    /// Server-side `statement_timeout` set on the session.
    pub statement_timeout: Duration,
    /// Idle time before TCP keepalive probes start.
    pub keepalives_idle: Duration,
    /// TCP user timeout: unacknowledged data for this long breaks the connection.
    pub tcp_user_timeout: Duration,
    /// `application_name` reported to the server.
    pub application_name: String,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            keepalives_idle: Duration::from_secs(30),
            tcp_user_timeout: Duration::from_secs(30),
            application_name: "backstop".to_owned(),
        }
    }
}

/// Parses a DSN (URL or `key=value` form) into a config with our options applied.
pub fn config(dsn: &Secret, opts: &ConnectOptions) -> Result<Config, PgError> {
    if dsn.expose().contains("sslmode=verify-") {
        return Err(PgError::InvalidDsn {
            reason: "sslmode verify-ca / verify-full is not supported yet; use sslmode=require \
                     (encrypted, certificate not verified)"
                .to_owned(),
        });
    }
    let mut config = Config::from_str(dsn.expose()).map_err(|e| PgError::InvalidDsn {
        reason: redact(&describe(&e), dsn, None),
    })?;
    config
        .connect_timeout(opts.connect_timeout)
        .keepalives(true)
        .keepalives_idle(opts.keepalives_idle)
        .tcp_user_timeout(opts.tcp_user_timeout)
        .application_name(&opts.application_name);
    Ok(config)
}

/// Connects, spawns the connection task and sets `statement_timeout` on the session.
pub async fn connect(dsn: &Secret, opts: &ConnectOptions) -> Result<Client, PgError> {
    let config = config(dsn, opts)?;
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let fail = |e: tokio_postgres::Error| PgError::Connect {
        kind: match classify(&e) {
            ErrorKind::Query => ErrorKind::Connect,
            k => k,
        },
        reason: redact(&describe(&e), dsn, password.as_deref()),
    };
    // The client-side bound also covers DNS and the TLS handshake.
    let bound = opts.connect_timeout + Duration::from_secs(1);
    let connecting = async {
        if config.get_ssl_mode() == SslMode::Disable {
            let (client, conn) = config.connect(tokio_postgres::NoTls).await.map_err(fail)?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %describe(&e), "postgres connection closed");
                }
            });
            Ok::<_, PgError>(client)
        } else {
            let (client, conn) = config
                .connect(tls::require_connector()?)
                .await
                .map_err(fail)?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %describe(&e), "postgres connection closed");
                }
            });
            Ok(client)
        }
    };
    let client = tokio::time::timeout(bound, connecting)
        .await
        .map_err(|_| PgError::Timeout {
            what: "connect",
            after: opts.connect_timeout,
        })??;
    let ms = opts.statement_timeout.as_millis().max(1);
    client
        .batch_execute(&format!("SET statement_timeout = {ms}"))
        .await
        .map_err(|e| PgError::query("SET statement_timeout", &e))?;
    Ok(client)
}

/// Removes the DSN, its password and anything that looks like one from an error text.
fn redact(text: &str, dsn: &Secret, password: Option<&str>) -> String {
    let mut out = text.to_owned();
    let mut secrets: Vec<String> = vec![dsn.expose().to_owned()];
    secrets.extend(password.map(str::to_owned));
    secrets.extend(password_in_dsn(dsn.expose()));
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret.as_str(), "[redacted]");
    }
    out
}

/// Best-effort extraction of a password from a DSN that may not even parse.
fn password_in_dsn(dsn: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, rest)) = dsn.split_once("://") {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if let Some((_, pw)) = userinfo.split_once(':') {
                found.push(pw.to_owned());
            }
        }
    }
    for part in dsn.split(['&', '?', ' ']) {
        if let Some(pw) = part.trim().strip_prefix("password=") {
            found.push(pw.trim_matches('\'').to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_passwords_in_both_forms() {
        assert_eq!(
            password_in_dsn("postgres://u:s3cr3t@h:5/db"),
            vec!["s3cr3t"]
        );
        assert_eq!(
            password_in_dsn("host=h password=s3cr3t user=u"),
            vec!["s3cr3t"]
        );
        assert_eq!(
            password_in_dsn("postgres://h/db?password=pw&x=1"),
            vec!["pw"]
        );
        let dsn = Secret::new("host=h password=s3cr3t");
        assert_eq!(redact("oops s3cr3t", &dsn, None), "oops [redacted]");
    }

    #[test]
    fn invalid_dsn_does_not_echo_it() {
        let dsn = Secret::new("postgres://u:s3cr3t-pw@h:notaport/db");
        let err = config(&dsn, &ConnectOptions::default()).unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        assert_eq!(err.kind(), ErrorKind::Config);
        let dsn = Secret::new("host=h password=s3cr3t-pw sslmode=verify-full");
        let err = config(&dsn, &ConnectOptions::default()).unwrap_err();
        assert!(err.to_string().contains("not supported yet"), "{err}");
        assert!(!err.to_string().contains("s3cr3t-pw"));
    }
}
