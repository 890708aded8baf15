#![no_main]
//! cargo-fuzz target `request_body`: see `braid_bench::fuzz::request_body`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| braid_bench::fuzz::request_body(data));
