//! Maps a key path such as `ventures[1].failover.mode` to its line in the TOML source.
//!
//! figment's errors carry the key path but not the position, so the source is parsed a second
//! time with `toml_edit`, which keeps spans. A path that is not in the file (a default, a
//! missing key) resolves to the line of its nearest ancestor that is.

use std::ops::Range;

use toml_edit::{Document, Item, Table, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Splits `ventures[1].failover.mode` into its segments.
pub(crate) fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key.to_string()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']').unwrap_or(stripped.len());
            match stripped[..end].parse() {
                Ok(i) => out.push(Segment::Index(i)),
                Err(_) => out.push(Segment::Key(stripped[..end].to_string())),
            }
            rest = stripped.get(end + 1..).unwrap_or("");
        }
    }
    out
}

/// Writes figment path pieces (`["ventures", "1", "name"]`) as `ventures[1].name`.
pub(crate) fn display_path(pieces: &[String]) -> String {
    let mut out = String::new();
    for piece in pieces {
        if !piece.is_empty() && piece.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{piece}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(piece);
        }
    }
    out
}

/// The parsed source, for line look-ups.
pub(crate) struct Locator<'s> {
    src: &'s str,
    doc: Document<&'s str>,
}

impl<'s> Locator<'s> {
    /// Parses `src`; a syntax error is returned with its 1-based line.
    pub(crate) fn new(src: &'s str) -> Result<Self, (Option<usize>, String)> {
        match Document::parse(src) {
            Ok(doc) => Ok(Self { src, doc }),
            Err(e) => {
                let line = e.span().map(|span| line_of(src, span.start));
                Err((line, e.message().trim().replace('\n', "; ")))
            }
        }
    }

    /// The 1-based line of `path`, or of its nearest ancestor present in the file.
    pub(crate) fn line(&self, path: &str) -> Option<usize> {
        let mut best: Option<Range<usize>> = None;
        let mut node = Node::Table(self.doc.as_table());
        for segment in segments(path) {
            let Some((span, next)) = node.step(&segment) else {
                break;
            };
            if span.is_some() {
                best = span;
            }
            node = next;
        }
        best.map(|span| line_of(self.src, span.start))
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A position in the document while walking a path.
enum Node<'a> {
    Table(&'a Table),
    Item(&'a Item),
    Value(&'a Value),
}

impl<'a> Node<'a> {
    /// Follows one segment: the span that names it (key or table header) and the node under it.
    fn step(&self, segment: &Segment) -> Option<(Option<Range<usize>>, Node<'a>)> {
        match (self, segment) {
            (Node::Table(table), Segment::Key(key)) => {
                let (k, item) = table.get_key_value(key)?;
                Some((k.span(), Node::Item(item)))
            }
            (Node::Item(item), _) => match item {
                Item::Table(table) => Node::Table(table).step(segment),
                Item::Value(value) => Node::Value(value).step(segment),
                Item::ArrayOfTables(array) => match segment {
                    Segment::Index(i) => {
                        let table = array.get(*i)?;
                        Some((table.span(), Node::Table(table)))
                    }
                    Segment::Key(_) => None,
                },
                Item::None => None,
            },
            (Node::Value(Value::InlineTable(table)), Segment::Key(key)) => {
                let (k, item) = table.get_key_value(key)?;
                Some((k.span(), Node::Item(item)))
            }
            (Node::Value(Value::Array(array)), Segment::Index(i)) => {
                let value = array.get(*i)?;
                Some((value.span(), Node::Value(value)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"[agent]
listen = "x"

[[ventures]]
name = "a"

[[ventures]]
name = "b"
retention = { daily = 7 }
failover.mode = "auto"
  [ventures.drill]
  tables = ["t1",
    "t2"]
"#;

    #[test]
    fn finds_keys_tables_and_ancestors() {
        let loc = Locator::new(SRC).expect("parses");
        assert_eq!(loc.line("agent.listen"), Some(2));
        assert_eq!(loc.line("agent"), Some(1));
        assert_eq!(loc.line("ventures[1]"), Some(7));
        assert_eq!(loc.line("ventures[1].name"), Some(8));
        assert_eq!(loc.line("ventures[1].retention.daily"), Some(9));
        assert_eq!(loc.line("ventures[1].failover.mode"), Some(10));
        assert_eq!(loc.line("ventures[1].drill.tables[1]"), Some(13));
        assert_eq!(loc.line("ventures[0].rpo"), Some(4));
        assert_eq!(loc.line("notify[0].kind"), None);
    }

    #[test]
    fn paths_round_trip() {
        let pieces: Vec<String> = ["ventures", "1", "failover", "mode"]
            .map(String::from)
            .into();
        assert_eq!(display_path(&pieces), "ventures[1].failover.mode");
        assert_eq!(
            segments("ventures[1].failover.mode"),
            vec![
                Segment::Key("ventures".into()),
                Segment::Index(1),
                Segment::Key("failover".into()),
                Segment::Key("mode".into()),
            ]
        );
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = Locator::new("[agent]\nlisten = \n").err().expect("fails");
        assert_eq!(err.0, Some(2));
    }
}
