//! The committed seed corpora (`fuzz/corpus/<target>/`), read by the proptest cases.

use std::path::PathBuf;

/// Every seed of `target`, sorted by file name; panics when there is none (a missing corpus
/// must fail the test, not shrink it to nothing).
pub(crate) fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "fuzz", "corpus", target]
        .iter()
        .collect();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("seed corpus {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("read seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seed in {}", dir.display());
    out
}

#[cfg(test)]
mod tests {
    use super::super::{run, TARGETS};
    use super::seeds;

    /// Every target has a cargo-fuzz file and a seed corpus, and runs on each of its seeds.
    #[test]
    fn every_target_has_a_fuzz_file_and_seeds() {
        for target in TARGETS {
            let file = format!(
                "{}/fuzz/fuzz_targets/{target}.rs",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(
                text.contains(&format!("backstop::fuzzing::{target}(data)")),
                "{file} does not call its target"
            );
            for (name, data) in seeds(target) {
                assert!(run(target, &data), "{target}/{name}: no such target");
            }
        }
        assert!(!run("no_such_target", b""));
    }
}
