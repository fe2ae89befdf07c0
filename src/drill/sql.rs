//! SQL text helpers (pure): quoted identifiers for `[schema.]table` names from the
//! configuration, and the database a venture's DSN names.

use std::str::FromStr;

use crate::secret::Secret;

/// `name` as a quoted identifier (`"a""b"`).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `[schema.]table` as a quoted, qualified name: `"schema"."table"` or `"table"`.
pub fn qualified(name: &str) -> String {
    match name.split_once('.') {
        Some((schema, table)) => format!("{}.{}", ident(schema), ident(table)),
        None => ident(name),
    }
}

/// The schema part of `[schema.]table`, if any.
pub fn schema_of(name: &str) -> Option<&str> {
    name.split_once('.').map(|(s, _)| s)
}

/// The database a DSN connects to: its `dbname`, else its user, else `postgres` (libpq's rule).
pub fn dbname_of(dsn: &Secret) -> String {
    match tokio_postgres::Config::from_str(dsn.expose()) {
        Ok(c) => c
            .get_dbname()
            .or(c.get_user())
            .unwrap_or("postgres")
            .to_owned(),
        Err(_) => "postgres".to_owned(),
    }
}

/// A `key=value` DSN for the scratch cluster's Unix socket (trust authentication, no TLS).
pub fn socket_dsn(socket_dir: &std::path::Path, port: u16, dbname: &str) -> Secret {
    let quote = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    Secret::new(format!(
        "host={} port={port} user=postgres dbname={} sslmode=disable",
        quote(&socket_dir.display().to_string()),
        quote(dbname)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted() {
        assert_eq!(
            qualified("backstop.heartbeat"),
            "\"backstop\".\"heartbeat\""
        );
        assert_eq!(qualified("orders"), "\"orders\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(schema_of("a.b"), Some("a"));
        assert_eq!(schema_of("b"), None);
    }

    #[test]
    fn dbname_follows_libpq() {
        let db = |s: &str| dbname_of(&Secret::new(s));
        assert_eq!(db("postgres://u:pw@h/app"), "app");
        assert_eq!(db("host=h user=alice"), "alice");
        assert_eq!(db("host=h"), "postgres");
        assert_eq!(db("not a dsn ::"), "postgres");
    }

    #[test]
    fn socket_dsn_parses_back() {
        let dsn = socket_dsn(std::path::Path::new("/tmp/x y/sock"), 5433, "it's");
        let c = tokio_postgres::Config::from_str(dsn.expose()).expect("parses");
        assert_eq!(c.get_dbname(), Some("it's"));
        assert_eq!(c.get_ports(), &[5433]);
        assert!(matches!(
            &c.get_hosts()[0],
            tokio_postgres::config::Host::Unix(p) if p == std::path::Path::new("/tmp/x y/sock")
        ));
    }
}
