//! The prebuilt decoder behind its checksum: the example KB's bundle with its prebuilt
//! payload (`bundle.bin`) replaced by the input and the checksum made to match, so that every
//! mutation reaches the table and index reader. It must refuse damaged data with an error;
//! what it accepts must answer without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::bundle;
use std::sync::OnceLock;

/// The example KB's bundle, written by `fuzz/seed.sh` (`sportello build`): `bundle.json`
/// and `bundle.bin`.
fn example() -> &'static (String, Vec<u8>) {
    static EXAMPLE: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let dir = env!("CARGO_MANIFEST_DIR");
        let json = std::fs::read_to_string(format!("{dir}/example-bundle.json"))
            .expect("fuzz/example-bundle.json: run fuzz/seed.sh first");
        let blob = std::fs::read(format!("{dir}/example-bundle.bin"))
            .expect("fuzz/example-bundle.bin: run fuzz/seed.sh first");
        (json, blob)
    })
}

fuzz_target!(|payload: &[u8]| {
    let (json, blob) = example();
    let data = sportello_core::prebuilt::with_payload(blob, payload);
    if let Ok(engine) = bundle::open(json, Some(&data)) {
        for q in [
            "quanto costa la carta d'identità",
            "orari biblioteca",
            "xyzzy",
        ] {
            let _ = engine.ask(q);
        }
    }
});
