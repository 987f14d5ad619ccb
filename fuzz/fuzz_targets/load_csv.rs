//! CSV on any bytes, then the checks across entries: diagnostics, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::load::{from_flat_file, parse_csv};

fuzz_target!(|data: &[u8]| {
    let (entries, diags) = parse_csv("kb.csv", data);
    let _ = from_flat_file("kb", entries, diags);
});
