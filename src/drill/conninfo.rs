//! A venture's DSN as libpq `key='value'` connection info for `pg_dump`, without its password
//! (pure). The password goes to the child through `PGPASSWORD` (its environment is readable
//! only by its own user), never on the command line where `ps` shows it.
//!
//! The connection info is rebuilt from the parsed DSN rather than edited as text, so no form of
//! password (URL userinfo, `?password=`, `password=` with or without quotes) survives. Only keys
//! that [`crate::postgres::connect()`] accepts can be in the DSN, and each is carried over.

use std::str::FromStr;
use std::time::Duration;

use tokio_postgres::config::{Host, SslMode, TargetSessionAttrs};

use crate::secret::Secret;

/// Connection info without the password, and the password.
pub struct ClientConninfo {
    /// `key='value' …` for `pg_dump --dbname`.
    pub conninfo: String,
    /// The DSN's password, for `PGPASSWORD`.
    pub password: Option<Secret>,
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Splits `dsn` into password-free connection info and the password; `None` when it does not
/// parse (the source connection reports that first, without echoing the DSN).
pub fn split_password(dsn: &Secret, application_name: &str) -> Option<ClientConninfo> {
    let c = tokio_postgres::Config::from_str(dsn.expose()).ok()?;
    let mut parts: Vec<(&str, String)> = Vec::new();
    let hosts: Vec<String> = c
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() {
        parts.push(("host", hosts.join(",")));
    }
    if !c.get_hostaddrs().is_empty() {
        let addrs: Vec<String> = c.get_hostaddrs().iter().map(|a| a.to_string()).collect();
        parts.push(("hostaddr", addrs.join(",")));
    }
    if !c.get_ports().is_empty() {
        let ports: Vec<String> = c.get_ports().iter().map(|p| p.to_string()).collect();
        parts.push(("port", ports.join(",")));
    }
    if let Some(user) = c.get_user() {
        parts.push(("user", user.to_owned()));
    }
    if let Some(db) = c.get_dbname() {
        parts.push(("dbname", db.to_owned()));
    }
    if let Some(options) = c.get_options() {
        parts.push(("options", options.to_owned()));
    }
    let sslmode = match c.get_ssl_mode() {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    };
    parts.push(("sslmode", sslmode.to_owned()));
    if c.get_target_session_attrs() == TargetSessionAttrs::ReadWrite {
        parts.push(("target_session_attrs", "read-write".to_owned()));
    }
    let connect_timeout = c
        .get_connect_timeout()
        .copied()
        .unwrap_or(Duration::from_secs(10));
    parts.push((
        "connect_timeout",
        connect_timeout.as_secs().max(1).to_string(),
    ));
    parts.push(("application_name", application_name.to_owned()));
    let conninfo = parts
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect::<Vec<_>>()
        .join(" ");
    let password = c
        .get_password()
        .map(|p| Secret::new(String::from_utf8_lossy(p).into_owned()))
        .filter(|p| !p.expose().is_empty());
    Some(ClientConninfo { conninfo, password })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_leaves_the_conninfo_in_every_form() {
        let cases = [
            "postgres://app:s3cr%40t@db.example.com:6543/postgres?sslmode=require",
            "postgresql://app@db.example.com/postgres?password=s3cr%40t",
            "host=db.example.com port=6543 user=app password='s3cr@t' dbname=postgres sslmode=require",
            "host=db.example.com user=app password=s3cr@t",
        ];
        for dsn in cases {
            let split = split_password(&Secret::new(dsn), "backstop-drill").expect(dsn);
            assert!(
                !split.conninfo.contains("s3cr"),
                "{dsn}: {}",
                split.conninfo
            );
            assert!(!split.conninfo.contains("password"), "{}", split.conninfo);
            assert_eq!(
                split.password.as_ref().map(Secret::expose),
                Some("s3cr@t"),
                "{dsn}"
            );
            assert!(
                split.conninfo.contains("host='db.example.com'"),
                "{}",
                split.conninfo
            );
            assert!(split.conninfo.contains("user='app'"), "{}", split.conninfo);
        }
        let plain = split_password(
            &Secret::new("host=/tmp/x port=5433 user=postgres dbname='it\\'s' sslmode=disable"),
            "a",
        )
        .expect("parses");
        assert_eq!(
            plain.conninfo,
            "host='/tmp/x' port='5433' user='postgres' dbname='it\\'s' sslmode='disable' connect_timeout='10' application_name='a'"
        );
        assert!(plain.password.is_none());
        assert!(split_password(&Secret::new("postgres://u:pw@h:notaport/db"), "a").is_none());
    }
}
