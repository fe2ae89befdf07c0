//! cargo-fuzz target `pgbackrest_repo_ls`: [`backstop::fuzzing::pgbackrest_repo_ls`] on every input (seeds in
//! `fuzz/corpus/pgbackrest_repo_ls/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = backstop::fuzzing::pgbackrest_repo_ls(data);
});
