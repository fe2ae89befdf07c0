//! proptest strategies shared by the fuzz proptests: arbitrary bytes, and seeds mutated the way
//! a structure-aware fuzzer does (cut, duplicate, splice tokens, flip bytes, swap numbers).

use proptest::prelude::*;

/// `cases` cases, with no failure-persistence files written into the source tree.
pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Longest arbitrary input generated (parsers also cut at [`super::MAX_INPUT`]).
const MAX_ARBITRARY: usize = 2048;

/// Arbitrary bytes, up to 2 KiB.
pub(crate) fn bytes() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..MAX_ARBITRARY)
}

/// Tokens a mutation may splice in: JSON/TOML punctuation, keywords, extreme numbers, odd text.
const TOKENS: [&str; 32] = [
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "=",
    "\n",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "9223372036854775807",
    "1e308",
    "-0.0",
    "\"\\u0000\"",
    "\u{feff}",
    "é",
    "\\",
    "[[ventures]]",
    "[agent]",
    "name = ",
    "\"type\":\"file\",\"size\":18446744073709551615,\"time\":1,",
    "ERROR: [055]: ",
    "stanza: demo\nstatus: ok\n",
    "9999-12-31T23:59:59Z",
    "\"status\":",
];

/// One edit of a seed.
#[derive(Debug, Clone)]
enum Edit {
    /// Removes `len` bytes at `at` (positions taken modulo the length).
    Cut { at: usize, len: usize },
    /// Repeats `len` bytes at `at` right after themselves.
    Duplicate { at: usize, len: usize },
    /// Inserts a token at `at`.
    Splice { at: usize, token: usize },
    /// XORs the byte at `at`.
    Flip { at: usize, mask: u8 },
    /// Replaces the digit run at or after `at` with a token.
    Number { at: usize, token: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(at, len)| Edit::Cut { at, len }),
        (any::<usize>(), 0usize..256).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Splice { at, token }),
        (any::<usize>(), 1u8..=255).prop_map(|(at, mask)| Edit::Flip { at, mask }),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Edit::Number { at, token }),
    ]
}

fn insert(data: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let tail = data.split_off(at);
    data.extend_from_slice(bytes);
    data.extend_from_slice(&tail);
}

fn apply(data: &mut Vec<u8>, edit: &Edit) {
    let n = data.len();
    let pos = |at: usize| if n == 0 { 0 } else { at % (n + 1) };
    match *edit {
        Edit::Cut { at, len } => {
            let at = pos(at);
            let end = (at + len).min(n);
            data.drain(at..end);
        }
        Edit::Duplicate { at, len } => {
            let at = pos(at);
            let end = (at + len).min(n);
            let copy = data[at..end].to_vec();
            insert(data, end, &copy);
        }
        Edit::Splice { at, token } => {
            let at = pos(at);
            insert(data, at, TOKENS[token].as_bytes());
        }
        Edit::Flip { at, mask } => {
            if n > 0 {
                data[at % n] ^= mask;
            }
        }
        Edit::Number { at, token } => {
            let at = pos(at);
            let Some(start) = data[at..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|i| at + i)
            else {
                return;
            };
            let end = data[start..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(n, |i| start + i);
            data.drain(start..end);
            insert(data, start, TOKENS[token].as_bytes());
        }
    }
    data.truncate(super::MAX_INPUT);
}

/// One of `seeds`, after 1 to 8 edits.
pub(crate) fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = seeds.len();
    (0..count, proptest::collection::vec(edit(), 1..8)).prop_map(move |(i, edits)| {
        let mut data = seeds[i].clone();
        for e in &edits {
            apply(&mut data, e);
        }
        data
    })
}

/// The seeds of `target` mutated (see [`mutated`]).
pub(crate) fn mutated_seeds(target: &str) -> impl Strategy<Value = Vec<u8>> {
    mutated(
        super::seeds::seeds(target)
            .into_iter()
            .map(|(_, d)| d)
            .collect(),
    )
}
