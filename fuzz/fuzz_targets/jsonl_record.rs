#![no_main]
//! cargo-fuzz target `jsonl_record`: see `braid_bench::fuzz::jsonl_record`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| braid_bench::fuzz::jsonl_record(data));
