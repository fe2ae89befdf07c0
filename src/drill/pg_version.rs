//! PostgreSQL major versions for the logical drill (pure): `pg_dump --version` against the
//! source's `server_version_num`, and the scratch server against the source.
//!
//! pg_dump refuses a server of a newer major version ("aborting because of server version
//! mismatch"); the drill says so before it starts, naming both versions and what to install,
//! instead of failing halfway or silently skipping the dump.

use std::fmt;

/// A PostgreSQL major version: `15`, `17`, or `9.6` for the pre-10 scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Major {
    /// `server_version_num / 10000` from 10 on; `9` for 9.x.
    pub first: u32,
    /// `0` from 10 on; the minor part of the major for 9.x (`6` for 9.6).
    pub second: u32,
}

impl fmt::Display for Major {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first < 10 {
            write!(f, "{}.{}", self.first, self.second)
        } else {
            write!(f, "{}", self.first)
        }
    }
}

/// The major of a `server_version_num` (`150020` → 15, `90624` → 9.6).
pub fn major_of_num(num: i64) -> Option<Major> {
    let num = u32::try_from(num).ok().filter(|n| *n >= 10_000)?;
    if num >= 100_000 {
        Some(Major {
            first: num / 10_000,
            second: 0,
        })
    } else {
        Some(Major {
            first: num / 10_000,
            second: (num / 100) % 100,
        })
    }
}

/// The major of `pg_dump --version` output: `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`,
/// `pg_dump (PostgreSQL) 17beta1`, `pg_dump (PostgreSQL) 9.6.24`.
pub fn major_of_version_output(text: &str) -> Option<Major> {
    let line = text.lines().find(|l| l.contains("(PostgreSQL)"))?;
    let (_, rest) = line.split_once("(PostgreSQL)")?;
    let version = rest.split_whitespace().next()?;
    let mut parts = version.split('.');
    let digits = |s: &str| -> Option<u32> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        s[..end].parse().ok()
    };
    let first = digits(parts.next()?)?;
    if first >= 10 {
        return Some(Major { first, second: 0 });
    }
    let second = parts.next().and_then(digits)?;
    Some(Major { first, second })
}

/// `Err` with the message a drill fails with when `pg_dump` cannot dump `server`.
pub fn check_pg_dump(pg_dump: &str, dump: Major, server: Major) -> Result<(), String> {
    if dump >= server {
        return Ok(());
    }
    Err(format!(
        "{pg_dump} is PostgreSQL {dump}, older than the source server's PostgreSQL {server}: pg_dump cannot dump a newer server. Install pg_dump {server} or newer (apt-get install postgresql-client-{server}, from apt.postgresql.org) and set [ventures.drill] pg_dump to it, e.g. pg_dump = \"/usr/lib/postgresql/{server}/bin/pg_dump\""
    ))
}

/// `Err` when the scratch cluster's server is older than the source (the dump may use syntax
/// it does not know).
pub fn check_scratch(scratch: Major, source: Major) -> Result<(), String> {
    if scratch >= source {
        return Ok(());
    }
    Err(format!(
        "the local PostgreSQL server the drill restores into is {scratch}, older than the source's {source}: install postgresql-{source} (its initdb and pg_ctl are found through pg_config or /usr/lib/postgresql/{source}/bin)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(first: u32, second: u32) -> Major {
        Major { first, second }
    }

    #[test]
    fn versions_parse() {
        let cases = [
            (
                "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n",
                Some(m(15, 0)),
            ),
            ("pg_dump (PostgreSQL) 11.0", Some(m(11, 0))),
            ("pg_dump (PostgreSQL) 17beta1", Some(m(17, 0))),
            ("pg_dump (PostgreSQL) 9.6.24", Some(m(9, 6))),
            ("pg_dump (PostgreSQL) 9", None),
            ("something else 15.2", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(major_of_version_output(text), want, "{text}");
        }
        assert_eq!(major_of_num(150020), Some(m(15, 0)));
        assert_eq!(major_of_num(170000), Some(m(17, 0)));
        assert_eq!(major_of_num(90624), Some(m(9, 6)));
        assert_eq!(major_of_num(-1), None);
        assert_eq!(major_of_num(42), None);
        assert_eq!(m(9, 6).to_string(), "9.6");
        assert_eq!(m(15, 0).to_string(), "15");
        assert!(m(9, 6) < m(10, 0) && m(9, 5) < m(9, 6));
    }

    #[test]
    fn an_old_pg_dump_is_a_clear_error() {
        assert!(check_pg_dump("pg_dump", m(15, 0), m(15, 0)).is_ok());
        assert!(check_pg_dump("pg_dump", m(17, 0), m(15, 0)).is_ok());
        let e = check_pg_dump("/opt/pg_dump", m(11, 0), m(15, 0)).expect_err("older");
        for part in [
            "/opt/pg_dump is PostgreSQL 11",
            "server's PostgreSQL 15",
            "postgresql-client-15",
            "[ventures.drill] pg_dump",
        ] {
            assert!(e.contains(part), "{part} in {e}");
        }
        assert!(check_scratch(m(15, 0), m(15, 0)).is_ok());
        let e = check_scratch(m(15, 0), m(17, 0)).expect_err("older");
        assert!(e.contains("install postgresql-17"), "{e}");
    }
}
