//! cargo-fuzz target `pgbackrest_backup_log`: [`backstop::fuzzing::pgbackrest_backup_log`] on every input (seeds in
//! `fuzz/corpus/pgbackrest_backup_log/`); the same function runs as proptest cases on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backstop::fuzzing::pgbackrest_backup_log(data);
});
