//! cargo-fuzz target `config`: [`backstop::fuzzing::config`] on every input (seeds in
//! `fuzz/corpus/config/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = backstop::fuzzing::config(data);
});
