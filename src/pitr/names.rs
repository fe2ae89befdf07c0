//! Repository paths to WAL file names: what `pgbackrest repo-ls --recurse` lists under
//! `archive/<stanza>` becomes the name PostgreSQL gave the file.
//!
//! pgBackRest stores a segment as
//! `<pg-version>-<id>/<timeline+log id, 16 hex>/<segment>-<sha1, 40 hex>[.gz|.lz4|.zst|.bz2]`;
//! `.partial` segments keep their suffix before the checksum (`<segment>.partial-<sha1>.gz`);
//! `.history` files sit in the archive-id directory, and backup history files
//! (`<segment>.<offset>.backup`) next to the segments. Anything else (`archive.info`,
//! directories) is not a WAL file.

/// Compression extensions pgBackRest appends.
const COMPRESSION_EXTENSIONS: [&str; 4] = [".gz", ".lz4", ".zst", ".bz2"];

/// The WAL file name in a repository path or file name, or `None` when it is not a WAL file.
///
/// ```
/// use backstop::pitr::wal_name_from_path;
/// let path = "13-1/0000000100000000/000000010000000000000003-\
///             2b9c4c1cd4bd3b4a2b6a17a0bb1bbfa1f84a1e5c.gz";
/// assert_eq!(wal_name_from_path(path), Some("000000010000000000000003"));
/// assert_eq!(wal_name_from_path("13-1/00000002.history"), Some("00000002.history"));
/// assert_eq!(wal_name_from_path("archive.info"), None);
/// ```
pub fn wal_name_from_path(path: &str) -> Option<&str> {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let file = COMPRESSION_EXTENSIONS
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(file);
    let file = strip_checksum(file);
    is_wal_name(file).then_some(file)
}

/// Removes a trailing `-<40 hex>` checksum.
fn strip_checksum(file: &str) -> &str {
    match file.rsplit_once('-') {
        Some((name, sum)) if sum.len() == 40 && is_hex(sum) => name,
        _ => file,
    }
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_segment(text: &str) -> bool {
    text.len() == 24 && is_hex(text)
}

/// A segment, `.partial`, `.backup` or `.history` name (the shape only: the segment size
/// decides later whether the segment number is in range).
fn is_wal_name(name: &str) -> bool {
    if let Some(tli) = name.strip_suffix(".history") {
        return tli.len() == 8 && is_hex(tli);
    }
    if let Some(seg) = name.strip_suffix(".partial") {
        return is_segment(seg);
    }
    if let Some(rest) = name.strip_suffix(".backup") {
        return rest
            .split_once('.')
            .is_some_and(|(seg, off)| is_segment(seg) && off.len() == 8 && is_hex(off));
    }
    is_segment(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "2b9c4c1cd4bd3b4a2b6a17a0bb1bbfa1f84a1e5c";

    #[test]
    fn extraction_table() {
        let seg = "000000010000000000000003";
        let cases: Vec<(String, Option<&str>)> = vec![
            (seg.to_owned(), Some(seg)),
            (format!("{seg}-{SHA}"), Some(seg)),
            (format!("{seg}-{SHA}.gz"), Some(seg)),
            (format!("{seg}-{SHA}.lz4"), Some(seg)),
            (format!("{seg}-{SHA}.zst"), Some(seg)),
            (format!("{seg}-{SHA}.bz2"), Some(seg)),
            (format!("{seg}.gz"), Some(seg)),
            (format!("13-1/0000000100000000/{seg}-{SHA}.gz"), Some(seg)),
            (
                format!("archive/main/16-1/0000000100000000/{seg}-{SHA}.zst"),
                Some(seg),
            ),
            (
                format!("13-1/0000000100000000/{seg}.partial-{SHA}.gz"),
                Some("000000010000000000000003.partial"),
            ),
            (
                "13-1/0000000100000000/000000010000000000000002.00000028.backup".to_owned(),
                Some("000000010000000000000002.00000028.backup"),
            ),
            ("13-1/00000002.history".to_owned(), Some("00000002.history")),
            (
                format!("13-1/00000002.history-{SHA}.gz"),
                Some("00000002.history"),
            ),
            ("archive.info".to_owned(), None),
            ("archive.info.copy".to_owned(), None),
            ("13-1/0000000100000000".to_owned(), None),
            ("13-1".to_owned(), None),
            (format!("{seg}-{SHA}.xz"), None),
            (format!("{seg}-{}.gz", &SHA[..39]), None),
            ("00000001000000000000003G".to_owned(), None),
            ("2.history".to_owned(), None),
            ("000000010000000000000003.backup".to_owned(), None),
            (String::new(), None),
        ];
        for (path, want) in cases {
            assert_eq!(wal_name_from_path(&path), want, "{path}");
        }
    }
}
