//! A widget bundle (JSON) of any content: read back, opened from its prebuilt data as the
//! browser does (`bundle::open`), and asked a question when it opens. Errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::bundle;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = bundle::from_json(text);
    if let Ok(engine) = bundle::open(text) {
        let reply = engine.ask("quanto costa la carta d'identità");
        assert!((0.0..=1.0).contains(&reply.confidence()));
    }
});
