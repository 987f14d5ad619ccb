//! Redaction on any text: no panic, no control character or escape left, and idempotent
//! (a redacted text has nothing more to redact).
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::redact::redact;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = redact(&text);
    assert!(!once.chars().any(char::is_control), "{once:?}");
    assert_eq!(redact(&once), once);
});
