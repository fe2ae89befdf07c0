//! cargo-fuzz target `supabase_backups`: [`backstop::fuzzing::supabase_backups`] on every input (seeds in
//! `fuzz/corpus/supabase_backups/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = backstop::fuzzing::supabase_backups(data);
});
