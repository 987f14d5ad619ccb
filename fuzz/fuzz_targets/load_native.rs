//! The native format's parsers (agency.toml, an entry's TOML front matter and Markdown,
//! smalltalk.toml) on any bytes: problems are diagnostics, never panics. The first byte
//! chooses the parser.
#![no_main]
use libfuzzer_sys::fuzz_target;
use sportello_core::load::{parse_agency, parse_entry_file, parse_smalltalk};

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            let (entry, _diags) = parse_entry_file("entries/voce.md", "voce", bytes);
            if let Some(e) = entry {
                assert_eq!(e.id, "voce");
            }
        }
        1 => {
            let _ = parse_agency("agency.toml", "ente", bytes);
        }
        _ => {
            let _ = parse_smalltalk("smalltalk.toml", bytes);
        }
    }
});
