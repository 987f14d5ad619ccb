//! Fingerprints this crate's source and the workspace's locked dependency versions, so that
//! prebuilt engine data (`src/prebuilt/`) written by one build of Sportello is refused by any
//! other: the browser then asks for the bundle to be rebuilt instead of running tables that
//! another version of the analysis derived.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let src = manifest.join("src");
    let mut paths = Vec::new();
    files(&src, &mut paths);
    paths.sort();
    // The workspace's lock file pins the stemmer and the index format; absent when the crate
    // is built on its own, then only the source counts.
    let lock = manifest.join("../../Cargo.lock");
    if lock.exists() {
        paths.push(lock.clone());
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for p in &paths {
        let rel = p.strip_prefix(&manifest).unwrap_or(p);
        feed(rel.to_string_lossy().replace('\\', "/").as_bytes());
        // Line endings do not change the code.
        let text = std::fs::read(p).unwrap_or_default();
        let text: Vec<u8> = text.into_iter().filter(|&b| b != b'\r').collect();
        feed(&(text.len() as u64).to_le_bytes());
        feed(&text);
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rustc-env=SPORTELLO_SOURCE_HASH={h:016x}");
}
