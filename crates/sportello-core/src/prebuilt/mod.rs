//! The engine's derived data (term tables, vocabulary and the index's postings) in a
//! compact binary form, so that a browser can open an engine without building it.
//!
//! `sportello build` stores it in the widget's bundle next to the knowledge base it was
//! derived from. It is a cache, never the source of truth: it declares its data-format
//! version ([`DATA_VERSION`]) and the analysis version it was derived with
//! ([`ANALYSIS_VERSION`]), and carries a fingerprint of the knowledge base and of the analysis
//! options; an engine built from it gives the same replies as one built from the knowledge
//! base (a test checks every dev question). Any later build of Sportello opens it while it
//! reads that data version and has that analysis version, whatever else changed in the code
//! (`tests/bundle_compat.rs` opens a bundle written at an earlier commit). A blob that does
//! not match, or that is damaged, is refused with an error, and the caller builds from the
//! knowledge base instead (natively) or asks for the bundle to be rebuilt (in the browser).
//!
//! Layout (integers as LEB128 varints, strings as length + UTF-8):
//! `MAGIC`, data version, analysis version, fingerprint and checksum of the rest (8 bytes LE
//! each), the term table (texts in id order), per entry the sorted term ids of its
//! phrasings/tags (or a mark saying they are the union of its phrasings' words and its tags
//! field's terms) and of its answer (delta-coded), per entry and phrasing its content words
//! (each its terms and its stem, by its place among them),
//! the vocabulary (sorted, front-coded: bytes shared with the previous word, then the rest),
//! then its counts, the known stems (ids of those in the term table, then the others,
//! front-coded), the analyzer's synonym table, the uncovered referral expressions and, per
//! index field, its token count, document lengths and postings: either explicit (term, then
//! document deltas and frequencies) or, for the phrase and answer fields when their documents
//! are those the tables imply (each phrasing's words, each answer's terms), the frequencies
//! only. Gzip makes little of ids and counts, so what can be derived is not stored. Data
//! version 4 (tables as they were, every list explicit) is still read.

pub use crate::analysis::ANALYSIS_VERSION;
use crate::analysis::{AnalysisOptions, SynonymRow};
use crate::config::MatchConfig;
use crate::index::{FieldId, FieldIndex, FIELDS};
use crate::kb::KnowledgeBase;
use crate::tables::Tables;

mod read;
mod write;

pub(crate) use read::decode;
pub use read::header_versions;
pub(crate) use write::encode;

pub(super) const MAGIC: &[u8; 4] = b"SPTB";
/// The data-format version this build writes: bump it whenever the layout or the meaning of
/// the tables changes (then regenerate `tests/fixtures/bundle-compat`, see
/// `tests/bundle_compat.rs`). Changes of the code that leave both alone keep it, and every
/// bundle already deployed keeps opening.
pub const DATA_VERSION: u32 = 5;
/// The data versions this build reads: its own, and version 4 (the layout before derived
/// postings and front-coded strings, in bundles of format 1) with the `format1` feature.
#[cfg(feature = "format1")]
pub const READS_DATA_VERSIONS: std::ops::RangeInclusive<u32> = 4..=DATA_VERSION;
/// The data versions this build reads: its own (no `format1` feature, as in the wasm).
#[cfg(not(feature = "format1"))]
pub const READS_DATA_VERSIONS: std::ops::RangeInclusive<u32> = DATA_VERSION..=DATA_VERSION;

/// Why a prebuilt blob was not used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrebuiltError {
    #[error("dati precalcolati non riconosciuti")]
    NotPrebuilt,
    #[error(
        "dati precalcolati in formato {found}, ma questa versione di Sportello ({}) legge {}",
        env!("CARGO_PKG_VERSION"),
        crate::bundle::versions_read(&READS_DATA_VERSIONS)
    )]
    Version { found: u32 },
    #[error(
        "dati precalcolati con l'analisi del testo versione {found}, ma questa versione di Sportello ({}) usa la versione {ANALYSIS_VERSION}",
        env!("CARGO_PKG_VERSION")
    )]
    Analysis { found: u32 },
    #[error("dati precalcolati di un'altra base di conoscenza o di altre opzioni di analisi")]
    Fingerprint,
    #[error("dati precalcolati danneggiati: {0}")]
    Damaged(&'static str),
    #[error("indice precalcolato non apribile: {0}")]
    Index(String),
}

/// What prebuilt data holds: the engine's tables (not yet finished), the analyzer's synonym
/// table (glossary and agency groups, as stems) and the index, per field.
#[derive(Debug)]
pub(crate) struct Prebuilt {
    pub tables: Tables,
    pub synonyms: Vec<SynonymRow>,
    pub index: [FieldIndex; FIELDS],
}

/// A 64-bit hash that reads eight bytes at a time (little-endian words, so the same value on
/// every platform: the fingerprint is computed natively when the bundle is written and in
/// WebAssembly when it is read). Each step is a bijection of the state, so any one changed
/// word changes the result: a damaged byte is always caught.
pub(super) struct WordHash(pub(super) u64);

impl WordHash {
    pub(super) fn new() -> WordHash {
        WordHash(0xcbf2_9ce4_8422_2325)
    }
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
            self.word(rest.len() as u64);
        }
    }
    /// A string with its length, so that ("ab", "c") and ("a", "bc") differ.
    fn text(&mut self, s: &str) {
        self.bytes(&(s.len() as u64).to_le_bytes());
        self.bytes(s.as_bytes());
    }
}

/// Fingerprint of what the tables are derived from: the KB's texts and synonyms, the analysis
/// options and the declared versions (data format and analysis; not the build, so a later
/// build that declares the same versions opens the data). It runs no analysis, so that the
/// browser can check its data before any analysis code is needed.
pub(crate) fn fingerprint(
    kb: &KnowledgeBase,
    options: AnalysisOptions,
    config: &MatchConfig,
) -> u64 {
    fingerprint_with(kb, options, config, source_hash(kb))
}

/// The hash of the texts the tables are derived from that a bundle leaves out (answers in
/// Markdown, offices: the browser needs neither), which the bundle carries instead, so that
/// the browser checks its data against the whole KB.
pub fn source_hash(kb: &KnowledgeBase) -> u64 {
    let mut h = WordHash::new();
    for e in &kb.entries {
        h.text("entry");
        h.text(&e.answer);
        h.text(e.office.as_deref().unwrap_or(""));
    }
    h.0
}

/// [`fingerprint`] with the hash of the left-out texts given ([`source_hash`]): the ids,
/// questions, alternatives and tags, which a bundle carries, are hashed here.
pub(crate) fn fingerprint_with(
    kb: &KnowledgeBase,
    options: AnalysisOptions,
    config: &MatchConfig,
    source: u64,
) -> u64 {
    let mut h = WordHash::new();
    h.bytes(&DATA_VERSION.to_le_bytes());
    h.bytes(&ANALYSIS_VERSION.to_le_bytes());
    settings(&mut h, kb, options, config);
    for e in &kb.entries {
        h.text("entry");
        h.text(&e.id);
        h.text(&e.question);
        for a in &e.alternatives {
            h.text(a);
        }
        h.text("tags");
        for t in &e.tags {
            h.text(t);
        }
    }
    h.bytes(&source.to_le_bytes());
    h.0
}

/// The settings that change the derived data (the others apply when questions are asked)
/// and the agency's synonyms.
fn settings(h: &mut WordHash, kb: &KnowledgeBase, options: AnalysisOptions, config: &MatchConfig) {
    h.text(&format!(
        "{:?} ngrams={} glossary_typos={}",
        options,
        config.ngrams(),
        config.glossary_typos
    ));
    for group in &kb.agency.synonyms {
        h.text("group");
        for s in group {
            h.text(s);
        }
    }
}

/// The fingerprint of data version 4 (bundles of format 1, which carry every text).
#[cfg(feature = "format1")]
pub(crate) fn fingerprint_v4(
    kb: &KnowledgeBase,
    options: AnalysisOptions,
    config: &MatchConfig,
) -> u64 {
    let mut h = WordHash::new();
    h.bytes(&4u32.to_le_bytes());
    h.bytes(&ANALYSIS_VERSION.to_le_bytes());
    settings(&mut h, kb, options, config);
    for e in &kb.entries {
        h.text("entry");
        h.text(&e.id);
        h.text(&e.question);
        for a in &e.alternatives {
            h.text(a);
        }
        h.text("answer");
        h.text(&e.answer);
        for t in &e.tags {
            h.text(t);
        }
        h.text(e.office.as_deref().unwrap_or(""));
    }
    h.0
}

/// Per term id, the documents a field holds when its postings are those the tables imply:
/// each phrasing document has its content words' terms ([`FieldId::Phrase`]), each entry's
/// body document its answer's terms ([`FieldId::Answer`]). Documents are laid out as the
/// index lays them out: per entry its phrasings, then its body.
pub(super) fn implied_docs(
    phrasing_words: &[Vec<Vec<crate::tables::PhrasingWord>>],
    answer_terms: &[Vec<u32>],
    field: usize,
    terms: usize,
) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); terms];
    let mut doc = 0u32;
    // Documents come in order: a term is added once per document.
    let mut add = |t: u32, doc: u32| {
        if let Some(list) = out.get_mut(t as usize) {
            if list.last() != Some(&doc) {
                list.push(doc);
            }
        }
    };
    for (e, phrasings) in phrasing_words.iter().enumerate() {
        for words in phrasings {
            if field == FieldId::Phrase as usize {
                for w in words {
                    for &t in &w.terms {
                        add(t, doc);
                    }
                }
            }
            doc += 1;
        }
        if field == FieldId::Answer as usize {
            for &t in answer_terms.get(e).map_or(&[][..], Vec::as_slice) {
                add(t, doc);
            }
        }
        doc += 1;
    }
    out
}

/// Per entry, the terms of its documents in the phrase and tags fields (its phrasings' words
/// and its tags), sorted: what its question terms are, when the mark says so.
pub(super) fn implied_question_terms(
    phrasing_words: &[Vec<Vec<crate::tables::PhrasingWord>>],
    index: &[FieldIndex; FIELDS],
) -> Vec<Vec<u32>> {
    // The entry of each document: its phrasings', then its body's.
    let entry_of: Vec<usize> = (0..phrasing_words.len())
        .flat_map(|e| std::iter::repeat_n(e, phrasing_words[e].len() + 1))
        .collect();
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); phrasing_words.len()];
    let fields = [
        &index[FieldId::Phrase as usize],
        &index[FieldId::Tags as usize],
    ];
    let terms = fields.iter().map(|f| f.by_id.len()).max().unwrap_or(0);
    // Terms in increasing order: each list comes out sorted, a repeat only right after itself.
    for t in 0..terms as u32 {
        for f in fields {
            for &(d, _) in f.list(crate::index::TermKey::Id(t)) {
                if let Some(list) = entry_of.get(d as usize).and_then(|&e| out.get_mut(e)) {
                    if list.last() != Some(&t) {
                        list.push(t);
                    }
                }
            }
        }
    }
    out
}

pub(super) fn checksum(payload: &[u8]) -> u64 {
    let mut h = WordHash::new();
    h.bytes(payload);
    h.0
}

/// For fuzzing the decoder behind its checksum: `blob` (as `encode` wrote it) with its
/// payload replaced by `payload` and the checksum recomputed, so that a mutated payload
/// reaches the table and index reader instead of being refused whole.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn with_payload(blob: &[u8], payload: &[u8]) -> Vec<u8> {
    // Magic, data and analysis versions (LEB128 each), fingerprint, checksum.
    let mut at = MAGIC.len();
    for _ in 0..2 {
        while blob.get(at).is_some_and(|b| b & 0x80 != 0) {
            at += 1;
        }
        at += 1;
    }
    let fingerprint_end = (at + 8).min(blob.len());
    let mut out = blob[..fingerprint_end].to_vec();
    out.extend_from_slice(&checksum(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::typo::Vocabulary;
    use crate::tables::PhrasingWord;

    fn prebuilt() -> Prebuilt {
        let term_ids = ["cart", "identit", "\u{1}cie"]
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let tables = Tables {
            term_ids,
            question_terms: vec![vec![0, 1, 2]],
            answer_terms: vec![vec![1]],
            phrasing_words: vec![vec![vec![
                PhrasingWord {
                    terms: vec![0, 2],
                    stem: Some(0),
                    idf: 0.0,
                },
                PhrasingWord {
                    terms: vec![1],
                    stem: None,
                    idf: 0.0,
                },
            ]]],
            vocab: Vocabulary::from_counts(vec![("carta".into(), 3), ("identita".into(), 1)]),
            known_stems: ["cart", "identit"].iter().map(|s| s.to_string()).collect(),
            referrals: vec![(vec!["passaport".into()], 0)],
            entry_df: Vec::new(),
            entries: 0,
        };
        Prebuilt {
            tables,
            synonyms: vec![SynonymRow {
                head: "cart".into(),
                rest: vec!["identit".into()],
                token: "\u{1}cie".into(),
            }],
            index: [
                FieldIndex {
                    postings: vec![(0, 2), (3, 1), (1, 1)],
                    by_id: vec![(0, 2), (0, 0), (2, 1)],
                    by_text: Default::default(),
                    norms: vec![4, 0, 0, 9],
                    total_tokens: 13,
                },
                FieldIndex {
                    by_id: vec![(0, 0); 3],
                    ..FieldIndex::default()
                },
                FieldIndex {
                    postings: vec![(1, 1)],
                    by_id: vec![(0, 0), (0, 1), (0, 0)],
                    by_text: Default::default(),
                    norms: vec![0, 1, 0, 0],
                    total_tokens: 1,
                },
                FieldIndex {
                    postings: vec![(2, 1)],
                    by_id: vec![(0, 0); 3],
                    by_text: [("cart".to_string(), (0, 1))].into_iter().collect(),
                    norms: vec![0, 0, 3, 0],
                    total_tokens: 3,
                },
            ],
        }
    }

    fn encoded(p: &Prebuilt, fingerprint: u64) -> Vec<u8> {
        encode(&p.tables, &p.synonyms, &p.index, fingerprint)
    }

    #[test]
    fn round_trip() {
        let p = prebuilt();
        let blob = encoded(&p, 42);
        let back = decode(&blob, |_| 42, 1).unwrap();
        assert_eq!(back.index, p.index);
        assert_eq!(back.synonyms, p.synonyms);
        assert_eq!(back.tables.term_ids, p.tables.term_ids);
        assert_eq!(back.tables.phrasing_words, p.tables.phrasing_words);
        assert_eq!(back.tables.vocab.counts(), p.tables.vocab.counts());
        assert_eq!(back.tables.known_stems, p.tables.known_stems);
        assert_eq!(back.tables.referrals, p.tables.referrals);
        assert_eq!(encoded(&back, 42), blob);
    }

    #[test]
    fn refuses_other_fingerprints_versions_and_entry_counts() {
        let blob = encoded(&prebuilt(), 42);
        assert!(matches!(
            decode(&blob, |_| 43, 1),
            Err(PrebuiltError::Fingerprint)
        ));
        assert!(matches!(
            decode(&blob, |_| 42, 2),
            Err(PrebuiltError::Damaged(_))
        ));
        assert!(matches!(
            decode(b"{\"x\":1}", |_| 42, 1),
            Err(PrebuiltError::NotPrebuilt)
        ));
        let mut other = blob.clone();
        other[4] = 9;
        assert!(matches!(
            decode(&other, |_| 42, 1),
            Err(PrebuiltError::Version { found: 9 })
        ));
        let mut other = blob.clone();
        other[5] = ANALYSIS_VERSION as u8 + 1;
        assert!(matches!(
            decode(&other, |_| 42, 1),
            Err(PrebuiltError::Analysis { found }) if found == ANALYSIS_VERSION + 1
        ));
    }

    #[test]
    fn the_header_declares_both_versions() {
        let blob = encoded(&prebuilt(), 42);
        assert_eq!(&blob[..4], MAGIC);
        assert_eq!(
            header_versions(&blob),
            Some((DATA_VERSION, ANALYSIS_VERSION))
        );
        assert_eq!(header_versions(b"SPT"), None);
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let blob = encoded(&prebuilt(), 42);
        // Every truncation and every single-byte change after the header.
        for cut in 0..blob.len() {
            assert!(decode(&blob[..cut], |_| 42, 1).is_err(), "cut at {cut}");
        }
        for i in 5..blob.len() {
            for delta in [1u8, 0x80, 0x7f] {
                let mut b = blob.clone();
                b[i] = b[i].wrapping_add(delta);
                assert!(decode(&b, |_| 42, 1).is_err(), "byte {i} + {delta}");
            }
        }
    }

    #[test]
    fn fingerprint_follows_the_texts_and_options() {
        let mut kb = KnowledgeBase::from_entries(vec![crate::kb::Entry {
            id: "a".into(),
            question: "Quanto costa?".into(),
            answer: "Poco.".into(),
            ..Default::default()
        }]);
        let o = AnalysisOptions::default();
        let c = MatchConfig::default();
        let base = fingerprint(&kb, o, &c);
        assert_eq!(base, fingerprint(&kb, o, &c));
        let grams = MatchConfig {
            ngram_weight: 0.5,
            ..c
        };
        assert_ne!(base, fingerprint(&kb, o, &grams));
        let no_glossary = MatchConfig {
            glossary_typos: false,
            ..c
        };
        assert_ne!(base, fingerprint(&kb, o, &no_glossary));
        let other = AnalysisOptions {
            stemming: false,
            ..o
        };
        assert_ne!(base, fingerprint(&kb, other, &c));
        kb.agency.synonyms = vec![vec!["vigili".into(), "polizia locale".into()]];
        assert_ne!(base, fingerprint(&kb, o, &c));
        kb.agency.synonyms.clear();
        assert_eq!(base, fingerprint(&kb, o, &c));
        kb.entries[0].answer = "Molto.".into();
        assert_ne!(base, fingerprint(&kb, o, &c));
    }
}
