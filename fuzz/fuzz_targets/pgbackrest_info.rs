//! cargo-fuzz target `pgbackrest_info`: [`backstop::fuzzing::pgbackrest_info`] on every input (seeds in
//! `fuzz/corpus/pgbackrest_info/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = backstop::fuzzing::pgbackrest_info(data);
});
