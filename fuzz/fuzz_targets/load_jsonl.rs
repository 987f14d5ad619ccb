//! JSONL on any bytes, then the checks across entries: diagnostics, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::load::{from_flat_file, parse_jsonl};

fuzz_target!(|data: &[u8]| {
    let (entries, diags) = parse_jsonl("kb.jsonl", data);
    let loaded = from_flat_file("kb", entries, diags);
    for d in &loaded.diagnostics {
        assert!(!d.file.is_empty());
    }
});
