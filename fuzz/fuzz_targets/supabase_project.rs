//! cargo-fuzz target `supabase_project`: [`backstop::fuzzing::supabase_project`] on every input (seeds in
//! `fuzz/corpus/supabase_project/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backstop::fuzzing::supabase_project(data);
});
