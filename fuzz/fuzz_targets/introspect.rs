#![no_main]
//! cargo-fuzz target `introspect`: see `braid_bench::fuzz::introspect`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| braid_bench::fuzz::introspect(data));
