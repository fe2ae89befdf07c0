//! [`from_dsn`]: an endpoint's host and port from its DSN, without user or password (pure).

use std::str::FromStr;

use tokio_postgres::config::Host;

use crate::secret::Secret;
use crate::state::EndpointAddress;

/// The first host (or `hostaddr`) and port of `dsn`; port 5432 when it names none; `None`
/// when the DSN does not parse or names no host.
pub fn from_dsn(dsn: &Secret) -> Option<EndpointAddress> {
    let c = tokio_postgres::Config::from_str(dsn.expose()).ok()?;
    let host = match (c.get_hosts().first(), c.get_hostaddrs().first()) {
        (Some(Host::Tcp(name)), _) => name.clone(),
        (Some(Host::Unix(path)), _) => path.display().to_string(),
        (None, Some(addr)) => addr.to_string(),
        (None, None) => return None,
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    Some(EndpointAddress { host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(dsn: &str) -> Option<(String, u16)> {
        from_dsn(&Secret::new(dsn.to_owned())).map(|a| (a.host, a.port))
    }

    #[test]
    fn host_and_port_without_credentials() {
        assert_eq!(
            addr("postgres://u:secret@db.example:6543/app"),
            Some(("db.example".into(), 6543))
        );
        assert_eq!(
            addr("host=10.0.0.5 user=u password=secret"),
            Some(("10.0.0.5".into(), 5432))
        );
        assert_eq!(addr("host=a,b port=5433,5434"), Some(("a".into(), 5433)));
        assert_eq!(addr("user=u"), None);
        assert_eq!(addr("host='unterminated"), None);
    }
}
