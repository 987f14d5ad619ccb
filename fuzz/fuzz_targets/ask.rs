//! `Engine::ask` on the example KB (opened from its bundle) with any text: one of the four kinds, a confidence in
//! [0, 1], and the same reply when asked again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::Engine;
use std::sync::OnceLock;

/// The example KB's bundle, written by `fuzz/seed.sh` (`sportello build`).
fn example_bundle() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/example-bundle.json");
        std::fs::read_to_string(path).expect("fuzz/example-bundle.json: run fuzz/seed.sh first")
    })
}

/// Its prebuilt data (`bundle.bin`).
fn example_data() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/example-bundle.bin");
        std::fs::read(path).expect("fuzz/example-bundle.bin: run fuzz/seed.sh first")
    })
}

/// The engine as the widget opens it (the replies are those of one built from the KB).
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        sportello_core::bundle::open(example_bundle(), Some(example_data()))
            .expect("example engine")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let e = engine();
    let reply = e.ask(&text);
    assert!(["answer", "clarify", "decline", "small_talk"].contains(&reply.kind()));
    assert!((0.0..=1.0).contains(&reply.confidence()));
    assert_eq!(reply, e.ask(&text));
});
