//! cargo-fuzz target `retention`: [`backstop::fuzzing::retention`] on every input (seeds in
//! `fuzz/corpus/retention/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backstop::fuzzing::retention(data);
});
