//! The semantic stage (`Engine::with_encoder`) on the example knowledge base, with a small
//! stand-in encoder whose vectors are bags of concepts: what the stage must do with any
//! encoder, whatever its model (the real model's figures are in docs/quality.md).

use sportello_core::{load, Encoder, Engine, MatchConfig, Reply};
use std::sync::Arc;

/// Words (Italian and English) grouped by concept; a text's vector counts its concepts, and
/// every other word weighs a little on one of [`OTHER`] axes chosen by its letters.
const CONCEPTS: &[&[&str]] = &[
    &[
        "perso",
        "persa",
        "smarrito",
        "smarrimento",
        "rubata",
        "furto",
        "lost",
        "stolen",
    ],
    &["carta", "identità", "identita", "cie", "id", "card"],
    &["costa", "costo", "prezzo", "cost", "price"],
    &["rifiuti", "spazzatura", "raccolta", "waste", "rubbish"],
    &["orari", "orario", "apre", "aperto", "hours", "open"],
];

const OTHER: usize = 64;

struct Concepts;

impl Encoder for Concepts {
    fn id(&self) -> &str {
        "concepts-test"
    }
    fn dim(&self) -> usize {
        CONCEPTS.len() + OTHER
    }
    fn embed_query(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim()];
        for w in text
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            match CONCEPTS.iter().position(|c| c.contains(&w)) {
                Some(i) => v[i] += 1.0,
                None => {
                    let h = w
                        .bytes()
                        .fold(7usize, |h, b| h.wrapping_mul(31) + b as usize);
                    v[CONCEPTS.len() + h % OTHER] += 0.3;
                }
            }
        }
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        v.iter().map(|x| x / n).collect()
    }
}

/// Returns vectors of the wrong size: the stage must not panic or misalign.
struct Broken;

impl Encoder for Broken {
    fn id(&self) -> &str {
        "broken"
    }
    fn dim(&self) -> usize {
        4
    }
    fn embed_query(&self, text: &str) -> Vec<f32> {
        vec![1.0; text.len() % 7]
    }
}

fn lexical() -> Engine {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../knowledge-base/comune-di-esempio"
    );
    Engine::new(load::load_path(path).unwrap().kb).unwrap()
}

/// The engine whose closeness comes from phrasings only (`semantic_answer` 0): the stand-in
/// encoder's answer vectors are bags of every concept an answer mentions.
fn phrasings_only() -> Engine {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../knowledge-base/comune-di-esempio"
    );
    let mut config = MatchConfig::default();
    config.set("semantic_answer", "0").unwrap();
    Engine::with_config(load::load_path(path).unwrap().kb, config).unwrap()
}

fn first_id(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Answer { id, .. } => Some(id.clone()),
        Reply::Clarify { options, .. } => options.first().map(|c| c.id.clone()),
        _ => None,
    }
}

#[test]
fn a_question_with_no_word_in_common_finds_its_entry_by_meaning() {
    let q = "I lost my ID, what now?";
    let plain = lexical();
    assert!(plain.semantic_model().is_none());
    assert_eq!(first_id(&plain.ask(q)), None, "lexically nothing matches");
    let semantic = phrasings_only().with_encoder(Arc::new(Concepts));
    assert_eq!(semantic.semantic_model(), Some("concepts-test"));
    let (reply, ranking) = semantic.ask_with_ranking(q, 5);
    assert_eq!(ranking[0].id, "cie-smarrimento-furto", "{ranking:?}");
    // Meaning alone gives at most half the confidence: never a wrong answer given as sure.
    assert!(!matches!(reply, Reply::Answer { .. }), "{reply:?}");
    assert!(ranking[0].confidence <= 0.5, "{ranking:?}");
}

#[test]
fn meaning_reorders_lexical_candidates_and_unrelated_questions_are_still_declined() {
    let semantic = phrasings_only().with_encoder(Arc::new(Concepts));
    // Lexically "carta d'identità" matches several entries; the lost-card meaning decides.
    let ranking = semantic.search("carta d'identità: l'ho smarrita, cosa faccio?", 3);
    assert_eq!(ranking[0].id, "cie-smarrimento-furto", "{ranking:?}");
    // No concept and no word of the KB: declined, with or without the stage.
    for q in [
        "qual è la ricetta della carbonara?",
        "what is the capital of Peru?",
    ] {
        let reply = semantic.ask(q);
        assert!(matches!(reply, Reply::Decline { .. }), "{q}: {reply:?}");
    }
}

#[test]
fn a_broken_encoder_does_not_panic_and_lexical_answers_stand() {
    let broken = lexical().with_encoder(Arc::new(Broken));
    let q = "quanto costa la carta d'identità?";
    assert_eq!(
        first_id(&broken.ask(q)),
        first_id(&lexical().ask(q)),
        "vectors of the wrong size carry no evidence"
    );
    let _ = broken.ask("");
    let _ = broken.ask(&"parola ".repeat(5000));
}

/// Counts the passages it is asked to embed.
struct CountingPassages(std::sync::atomic::AtomicUsize);

impl Encoder for CountingPassages {
    fn id(&self) -> &str {
        "counting"
    }
    fn dim(&self) -> usize {
        Concepts.dim()
    }
    fn embed_query(&self, text: &str) -> Vec<f32> {
        Concepts.embed_query(text)
    }
    fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.0
            .fetch_add(texts.len(), std::sync::atomic::Ordering::Relaxed);
        texts.iter().map(|t| Concepts.embed_query(t)).collect()
    }
}

#[test]
fn answers_are_embedded_on_the_passage_side_only_when_they_count() {
    let entries = lexical().kb().entries.len();
    let counting = Arc::new(CountingPassages(Default::default()));
    let with_answers = lexical().with_encoder(counting.clone());
    assert_eq!(
        counting.0.load(std::sync::atomic::Ordering::Relaxed),
        entries,
        "one passage per entry, by default"
    );
    assert!(!with_answers
        .search("ho perso la carta d'identità", 3)
        .is_empty());
    let counting = Arc::new(CountingPassages(Default::default()));
    let _ = phrasings_only().with_encoder(counting.clone());
    assert_eq!(counting.0.load(std::sync::atomic::Ordering::Relaxed), 0);
}
