//! Parsing `pgbackrest repo-ls --recurse --output=json archive/<stanza>` (pure) into the WAL
//! files present in the repository.
//!
//! pgBackRest 2.45 prints one JSON object keyed by path relative to the listed directory:
//! `{".":{"type":"path"},"15-1/0000000100000000/000000010000000000000007-<sha1>[.gz]":
//! {"type":"file","size":1048576,"time":1795775749},…}`. Entries are read one at a time (no
//! intermediate map); directories, links, `archive.info` and anything that is not a WAL file name
//! are skipped. Names lose pgBackRest's `-<sha1>` and compression suffixes.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::super::error::SourceError;
use crate::state::ArchivedFile;

const WHAT: &str = "pgbackrest repo-ls output";

/// Compression extensions pgBackRest appends (`compress-type`).
const COMPRESSION: [&str; 4] = [".gz", ".lz4", ".zst", ".bz2"];

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "type")]
    kind: String,
    size: Option<u64>,
    time: Option<i64>,
}

/// Parses the listing into WAL files (in listing order) and their total size in bytes.
pub fn parse_repo_ls(json: &str) -> Result<(Vec<ArchivedFile>, u64), SourceError> {
    if json.trim().is_empty() {
        return Err(SourceError::parse(WHAT, "empty output"));
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let files = de
        .deserialize_map(Files)
        .and_then(|files| de.end().map(|()| files))
        .map_err(|e| SourceError::parse(WHAT, e))??;
    let total = files
        .iter()
        .try_fold(0u64, |sum, f| sum.checked_add(f.size))
        .ok_or_else(|| SourceError::parse(WHAT, "file sizes add up past 2^64 bytes"))?;
    Ok((files, total))
}

struct Files;

impl<'de> Visitor<'de> for Files {
    type Value = Result<Vec<ArchivedFile>, SourceError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object keyed by path")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut files = Vec::new();
        while let Some(path) = map.next_key::<String>()? {
            let Some((archive_id, name)) = wal_name(&path) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let entry: RawEntry = map.next_value()?;
            if entry.kind != "file" {
                continue;
            }
            let (Some(size), Some(time)) = (entry.size, entry.time) else {
                return Ok(Err(SourceError::parse(
                    WHAT,
                    format!("{path}: a file without size or time"),
                )));
            };
            let Some(time) = DateTime::<Utc>::from_timestamp(time, 0) else {
                return Ok(Err(SourceError::parse(
                    WHAT,
                    format!("{path}: time {time}"),
                )));
            };
            files.push(ArchivedFile {
                archive_id: archive_id.to_owned(),
                name,
                size,
                time,
                path,
            });
        }
        Ok(Ok(files))
    }
}

/// The archive id and PostgreSQL file name of a listed path, when it names a WAL file:
/// `15-1/0000000100000000/000000010000000000000007-<sha1>.gz` → (`15-1`,
/// `000000010000000000000007`); `15-1/00000002.history` → (`15-1`, `00000002.history`).
pub fn wal_name(path: &str) -> Option<(&str, String)> {
    let (archive_id, rest) = path.split_once('/')?;
    let file = rest.rsplit('/').next()?;
    let file = COMPRESSION
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(file);
    let file = match file.rsplit_once('-') {
        Some((name, sha)) if sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()) => name,
        _ => file,
    };
    is_wal_name(file).then(|| (archive_id, file.to_owned()))
}

fn hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A segment, `.partial`, `.backup` or `.history` file name.
fn is_wal_name(name: &str) -> bool {
    if let Some(tli) = name.strip_suffix(".history") {
        return hex(tli, 8);
    }
    if let Some(seg) = name.strip_suffix(".partial") {
        return hex(seg, 24);
    }
    if let Some(rest) = name.strip_suffix(".backup") {
        return rest
            .split_once('.')
            .is_some_and(|(seg, off)| hex(seg, 24) && hex(off, 8));
    }
    hex(name, 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = include_str!("testdata/repo-ls-2.45.json");

    #[test]
    fn real_245_listing() {
        let (files, total) = parse_repo_ls(REAL).expect("parses");
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names.len(), 9, "{names:?}");
        assert_eq!(names[0], "000000010000000000000006");
        assert!(names.contains(&"000000010000000000000007.00000028.backup"));
        assert!(files.iter().all(|f| f.archive_id == "15-1"));
        assert_eq!(total, 6 * 1048576 + 3 * 368);
        assert_eq!(files[0].time.timestamp(), 1795775744);
    }

    #[test]
    fn names_lose_checksums_and_compression() {
        let sha = "3edde8f6c1c6dd2fce3275dcfe5b4e68549a9012";
        for (path, want) in [
            (
                format!("15-1/0000000100000000/000000010000000000000006-{sha}.gz"),
                Some("000000010000000000000006"),
            ),
            (
                format!("15-1/0000000100000000/000000010000000000000006-{sha}.zst"),
                Some("000000010000000000000006"),
            ),
            (
                format!("15-1/0000000100000000/000000010000000000000006.partial-{sha}.lz4"),
                Some("000000010000000000000006.partial"),
            ),
            ("15-2/00000002.history".to_owned(), Some("00000002.history")),
            (
                "15-1/0000000100000000/000000010000000000000006.00000028.backup".to_owned(),
                Some("000000010000000000000006.00000028.backup"),
            ),
            ("archive.info".to_owned(), None),
            ("15-1/0000000100000000".to_owned(), None),
            ("15-1/0000000100000000/notes.txt".to_owned(), None),
            (
                format!("15-1/0000000100000000/00000001000000000000000G-{sha}"),
                None,
            ),
        ] {
            assert_eq!(wal_name(&path).map(|(_, n)| n).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn malformed_listings_are_parse_errors() {
        for bad in [
            "",
            "[]",
            "{",
            "{\"15-1/x/000000010000000000000006\":{\"type\":\"file\"}}",
            "{\"15-1/x/000000010000000000000006\":{\"type\":\"file\",\"size\":-1,\"time\":1}}",
            "{} trailing",
        ] {
            let err = parse_repo_ls(bad).expect_err(bad);
            assert_eq!(err.kind(), crate::error::ErrorKind::Parse, "{bad}");
        }
        let (files, total) = parse_repo_ls("{\".\":{\"type\":\"path\"}}").expect("empty archive");
        assert!(files.is_empty());
        assert_eq!(total, 0);
    }
}
