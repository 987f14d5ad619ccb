//! A widget bundle (`bundle.json`) of any content: read back, opened from prebuilt data as
//! the browser does (`bundle::open`: without, as a format 1 bundle carries its own, and with
//! the example's `bundle.bin`), and asked a question when it opens. Errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::bundle;
use std::sync::OnceLock;

/// The example KB's prebuilt data, written by `fuzz/seed.sh` (`sportello build`).
fn example_data() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/example-bundle.bin");
        std::fs::read(path).expect("fuzz/example-bundle.bin: run fuzz/seed.sh first")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = bundle::from_json(text);
    for prebuilt in [None, Some(example_data())] {
        if let Ok(engine) = bundle::open(text, prebuilt) {
            let reply = engine.ask("quanto costa la carta d'identità");
            assert!((0.0..=1.0).contains(&reply.confidence()));
        }
    }
});
