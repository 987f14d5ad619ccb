//! The prebuilt decoder behind its checksum: the example KB's bundle with its prebuilt
//! payload replaced by the input and the checksum made to match, so that every mutation
//! reaches the table and index reader. It must refuse damaged data with an error; what it
//! accepts must answer without panicking.
#![no_main]
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use sportello_core::bundle::{self, Bundle};
use std::sync::OnceLock;

/// The example KB's bundle, written by `fuzz/seed.sh` (`sportello build`).
fn example_bundle() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/example-bundle.json");
        std::fs::read_to_string(path).expect("fuzz/example-bundle.json: run fuzz/seed.sh first")
    })
}

fn example() -> &'static (Bundle, Vec<u8>) {
    static EXAMPLE: OnceLock<(Bundle, Vec<u8>)> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let bundle: Bundle = serde_json::from_str(example_bundle()).expect("bundle");
        let blob = base64::engine::general_purpose::STANDARD
            .decode(bundle.prebuilt.as_deref().expect("prebuilt data"))
            .expect("base64");
        (bundle, blob)
    })
}

fuzz_target!(|payload: &[u8]| {
    let (bundle, blob) = example();
    let mut b = bundle.clone();
    let data = sportello_core::prebuilt::with_payload(blob, payload);
    b.prebuilt = Some(base64::engine::general_purpose::STANDARD.encode(data));
    let text = serde_json::to_string(&b).expect("bundle serialises");
    if let Ok(engine) = bundle::open(&text) {
        for q in ["quanto costa la carta d'identità", "orari biblioteca", "xyzzy"] {
            let _ = engine.ask(q);
        }
    }
});
