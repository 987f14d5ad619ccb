//! The engine's derived data (term tables, vocabulary and the index's postings) in a
//! compact binary form, so that a browser can open an engine without building it.
//!
//! `sportello build` stores it in the widget's bundle next to the knowledge base it was
//! derived from. It is a cache, never the source of truth: it carries a fingerprint of the
//! knowledge base, of the analysis options and of this version of Sportello, and an engine
//! built from it gives the same replies as one built from the knowledge base (a test checks
//! every dev question). A blob that does not match, or that is damaged, is refused with an
//! error, and the caller builds from the knowledge base instead.
//!
//! Layout (integers as LEB128 varints, strings as length + UTF-8):
//! `MAGIC`, version, fingerprint and checksum of the rest (8 bytes LE each), the term table (texts in id order), per
//! entry the sorted term ids of its phrasings/tags and of its answer (delta-coded), per
//! entry and phrasing its content words, the vocabulary with counts, the known stems, the
//! analyzer's synonym table, the uncovered referral expressions and, per index field, its
//! token count, document lengths and postings (term, then document deltas and frequencies).

use crate::analysis::{AnalysisOptions, SynonymRow};
use crate::engine::{MatchConfig, PhrasingWord};
use crate::index::{FieldIndex, FIELDS};
use crate::kb::KnowledgeBase;

const MAGIC: &[u8; 4] = b"SPTB";
/// Bumped whenever the layout or the meaning of the tables changes.
const VERSION: u32 = 3;

/// Why a prebuilt blob was not used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrebuiltError {
    #[error("dati precalcolati non riconosciuti")]
    NotPrebuilt,
    #[error("dati precalcolati di un'altra versione ({found}, attesa {VERSION})")]
    Version { found: u32 },
    #[error(
        "dati precalcolati di un'altra base di conoscenza o di un'altra versione di Sportello"
    )]
    Fingerprint,
    #[error("dati precalcolati danneggiati: {0}")]
    Damaged(&'static str),
    #[error("indice precalcolato non apribile: {0}")]
    Index(String),
}

/// Everything the engine derives from the knowledge base's texts.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Tables {
    /// Term texts in id order.
    pub terms: Vec<String>,
    pub question_terms: Vec<Vec<u32>>,
    pub answer_terms: Vec<Vec<u32>>,
    /// Per entry and phrasing, its content words (their idf is not stored: read back as 0).
    pub phrasing_words: Vec<Vec<Vec<PhrasingWord>>>,
    /// Folded KB words with their number of occurrences, sorted.
    pub vocab: Vec<(String, u32)>,
    /// Stems of the KB words, sorted.
    pub known_stems: Vec<String>,
    /// The analyzer's synonym table (glossary and agency groups, as stems).
    pub synonyms: Vec<SynonymRow>,
    /// The other administrations' expressions (as stems) that no entry covers, with the
    /// index of their office in `OTHER_OFFICES`.
    pub referrals: Vec<(Vec<String>, u32)>,
    /// The index, per field: postings, lengths and token count.
    pub index: [FieldIndex; FIELDS],
}

/// A 64-bit hash that reads eight bytes at a time (little-endian words, so the same value on
/// every platform: the fingerprint is computed natively when the bundle is written and in
/// WebAssembly when it is read). Each step is a bijection of the state, so any one changed
/// word changes the result: a damaged byte is always caught.
struct WordHash(u64);

impl WordHash {
    fn new() -> WordHash {
        WordHash(0xcbf2_9ce4_8422_2325)
    }
    fn word(&mut self, w: u64) {
        self.0 = (self.0 ^ w)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    fn bytes(&mut self, b: &[u8]) {
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
/// options, and the build of Sportello, a hash of this crate's source and of the locked
/// dependency versions (`build.rs`), so that data written by any other build (another version
/// of the analysis, the glossary or the stemmer) is refused. It runs no analysis, so that the
/// browser can check its data before any analysis code is needed.
pub(crate) fn fingerprint(
    kb: &KnowledgeBase,
    options: AnalysisOptions,
    config: &MatchConfig,
) -> u64 {
    let mut h = WordHash::new();
    h.text(env!("CARGO_PKG_VERSION"));
    h.text(env!("SPORTELLO_SOURCE_HASH"));
    h.bytes(&VERSION.to_le_bytes());
    // The settings that change the derived data (the others apply when questions are asked).
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

// --- writing ---

struct Writer(Vec<u8>);

impl Writer {
    fn num(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
    fn bytes(&mut self, b: &[u8]) {
        self.num(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    fn text(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    /// A list of strings: its length, then each.
    fn texts(&mut self, list: &[String]) {
        self.num(list.len() as u64);
        for s in list {
            self.text(s);
        }
    }
    /// Sorted ids, as differences.
    fn sorted_ids(&mut self, ids: &[u32]) {
        self.num(ids.len() as u64);
        let mut prev = 0u32;
        for &id in ids {
            self.num(id.wrapping_sub(prev) as u64);
            prev = id;
        }
    }
}

fn checksum(payload: &[u8]) -> u64 {
    let mut h = WordHash::new();
    h.bytes(payload);
    h.0
}

/// Encodes the tables with their fingerprint and a checksum of the payload (so that a damaged
/// blob is refused as a whole, before the index reader sees any of it).
pub(crate) fn encode(tables: &Tables, fingerprint: u64) -> Vec<u8> {
    let payload = encode_payload(tables);
    let mut w = Writer(Vec::with_capacity(payload.len() + 32));
    w.0.extend_from_slice(MAGIC);
    w.num(VERSION as u64);
    w.0.extend_from_slice(&fingerprint.to_le_bytes());
    w.0.extend_from_slice(&checksum(&payload).to_le_bytes());
    w.0.extend_from_slice(&payload);
    w.0
}

fn encode_payload(tables: &Tables) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 * 1024));
    w.texts(&tables.terms);
    for list in [&tables.question_terms, &tables.answer_terms] {
        w.num(list.len() as u64);
        for ids in list {
            w.sorted_ids(ids);
        }
    }
    w.num(tables.phrasing_words.len() as u64);
    for entry in &tables.phrasing_words {
        w.num(entry.len() as u64);
        for phrasing in entry {
            w.num(phrasing.len() as u64);
            for word in phrasing {
                w.sorted_ids(&word.terms);
                w.num(word.stem.map_or(0, |s| s as u64 + 1));
            }
        }
    }
    w.num(tables.vocab.len() as u64);
    for (word, count) in &tables.vocab {
        w.text(word);
        w.num(*count as u64);
    }
    w.texts(&tables.known_stems);
    w.num(tables.synonyms.len() as u64);
    for row in &tables.synonyms {
        w.text(&row.head);
        w.text(&row.token);
        w.texts(&row.rest);
    }
    w.num(tables.referrals.len() as u64);
    for (stems, office) in &tables.referrals {
        w.num(*office as u64);
        w.texts(stems);
    }
    for field in &tables.index {
        w.num(field.total_tokens);
        w.num(field.norms.len() as u64);
        for &n in &field.norms {
            w.num(n as u64);
        }
        let postings = |w: &mut Writer, (start, len): (u32, u32)| {
            let list = &field.postings[start as usize..(start + len) as usize];
            w.num(list.len() as u64);
            let mut prev = 0u32;
            for &(doc, tf) in list {
                w.num(doc.wrapping_sub(prev) as u64);
                w.num(tf as u64);
                prev = doc;
            }
        };
        // Terms by id (those the field has), then by text, sorted: the same index always
        // gives the same bytes.
        let ids: Vec<usize> = (0..field.by_id.len())
            .filter(|&i| field.by_id[i].1 > 0)
            .collect();
        w.num(ids.len() as u64);
        let mut prev = 0usize;
        for i in ids {
            w.num((i - prev) as u64);
            prev = i;
            postings(&mut w, field.by_id[i]);
        }
        let mut texts: Vec<(&String, &(u32, u32))> = field.by_text.iter().collect();
        texts.sort_unstable_by_key(|(t, _)| *t);
        w.num(texts.len() as u64);
        for (text, &range) in texts {
            w.text(text);
            postings(&mut w, range);
        }
    }
    w.0
}

// --- reading ---

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

/// No list in a blob can be longer than the blob itself: bounds allocations on damaged input.
fn check_len(len: u64, r: &Reader) -> Result<usize, PrebuiltError> {
    if len > (r.data.len() - r.at) as u64 {
        return Err(PrebuiltError::Damaged("lunghezza oltre la fine"));
    }
    Ok(len as usize)
}

impl<'a> Reader<'a> {
    fn num(&mut self) -> Result<u64, PrebuiltError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .data
                .get(self.at)
                .ok_or(PrebuiltError::Damaged("troncati"))?;
            self.at += 1;
            v |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(PrebuiltError::Damaged("numero troppo lungo"))
    }
    fn id(&mut self) -> Result<u32, PrebuiltError> {
        u32::try_from(self.num()?).map_err(|_| PrebuiltError::Damaged("identificativo"))
    }
    fn len(&mut self) -> Result<usize, PrebuiltError> {
        let n = self.num()?;
        check_len(n, self)
    }
    fn bytes(&mut self) -> Result<&'a [u8], PrebuiltError> {
        let n = self.len()?;
        let out = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }
    fn text(&mut self) -> Result<String, PrebuiltError> {
        std::str::from_utf8(self.bytes()?)
            .map(str::to_string)
            .map_err(|_| PrebuiltError::Damaged("testo non UTF-8"))
    }
    /// A list written by `Writer::texts`.
    fn texts(&mut self) -> Result<Vec<String>, PrebuiltError> {
        let n = self.len()?;
        (0..n).map(|_| self.text()).collect()
    }
    fn sorted_ids(&mut self, terms: usize) -> Result<Vec<u32>, PrebuiltError> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        let mut prev = 0u32;
        for _ in 0..n {
            prev = prev
                .checked_add(self.id()?)
                .ok_or(PrebuiltError::Damaged("identificativo"))?;
            if prev as usize >= terms {
                return Err(PrebuiltError::Damaged("termine inesistente"));
            }
            out.push(prev);
        }
        Ok(out)
    }
}

/// Decodes a blob written by [`encode`] for a knowledge base with this fingerprint and
/// `entries` entries. Every id is checked against the term table, so a damaged blob gives an
/// error, never a panic later.
pub(crate) fn decode(
    data: &[u8],
    fingerprint: u64,
    entries: usize,
) -> Result<Tables, PrebuiltError> {
    if data.len() < 4 || &data[..4] != MAGIC {
        return Err(PrebuiltError::NotPrebuilt);
    }
    let mut r = Reader { data, at: 4 };
    let version = r.num()?;
    if version != VERSION as u64 {
        return Err(PrebuiltError::Version {
            found: version.min(u32::MAX as u64) as u32,
        });
    }
    let mut word = || -> Result<u64, PrebuiltError> {
        let b = data
            .get(r.at..r.at + 8)
            .ok_or(PrebuiltError::Damaged("troncati"))?;
        r.at += 8;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    if word()? != fingerprint {
        return Err(PrebuiltError::Fingerprint);
    }
    let sum = word()?;
    if checksum(&data[r.at..]) != sum {
        return Err(PrebuiltError::Damaged("somma di controllo diversa"));
    }
    let mut t = Tables {
        terms: r.texts()?,
        ..Tables::default()
    };
    let terms = t.terms.len();
    for list in [&mut t.question_terms, &mut t.answer_terms] {
        let n = r.len()?;
        if n != entries {
            return Err(PrebuiltError::Damaged("numero di voci"));
        }
        *list = (0..n)
            .map(|_| r.sorted_ids(terms))
            .collect::<Result<_, _>>()?;
    }
    let n = r.len()?;
    if n != entries {
        return Err(PrebuiltError::Damaged("numero di voci"));
    }
    for _ in 0..n {
        let phrasings = r.len()?;
        let mut entry = Vec::with_capacity(phrasings);
        for _ in 0..phrasings {
            let count = r.len()?;
            let mut words = Vec::with_capacity(count);
            for _ in 0..count {
                let ids = r.sorted_ids(terms)?;
                let stem = match r.num()? {
                    0 => None,
                    s if (s - 1) < terms as u64 => Some((s - 1) as u32),
                    _ => return Err(PrebuiltError::Damaged("termine inesistente")),
                };
                words.push(PhrasingWord {
                    terms: ids,
                    stem,
                    idf: 0.0,
                });
            }
            entry.push(words);
        }
        t.phrasing_words.push(entry);
    }
    let n = r.len()?;
    for _ in 0..n {
        let word = r.text()?;
        let count = r.id()?;
        t.vocab.push((word, count));
    }
    t.known_stems = r.texts()?;
    let n = r.len()?;
    for _ in 0..n {
        let head = r.text()?;
        let token = r.text()?;
        let rest = r.texts()?;
        t.synonyms.push(SynonymRow { head, rest, token });
    }
    let n = r.len()?;
    for _ in 0..n {
        let office = r.id()?;
        let stems = r.texts()?;
        t.referrals.push((stems, office));
    }
    for field in t.index.iter_mut() {
        field.total_tokens = r.num()?;
        let n = r.len()?;
        field.norms = (0..n).map(|_| r.id()).collect::<Result<_, _>>()?;
        let postings = |r: &mut Reader, out: &mut Vec<(u32, u32)>| {
            let k = r.len()?;
            let start = out.len() as u32;
            let mut doc = 0u32;
            for _ in 0..k {
                doc = doc
                    .checked_add(r.id()?)
                    .ok_or(PrebuiltError::Damaged("documento"))?;
                out.push((doc, r.id()?));
            }
            Ok::<_, PrebuiltError>((start, k as u32))
        };
        field.by_id = vec![(0, 0); terms];
        let n = r.len()?;
        let mut id = 0usize;
        for _ in 0..n {
            id = id
                .checked_add(r.len()?)
                .filter(|&i| i < terms)
                .ok_or(PrebuiltError::Damaged("termine inesistente"))?;
            field.by_id[id] = postings(&mut r, &mut field.postings)?;
        }
        let n = r.len()?;
        for _ in 0..n {
            let text = r.text()?;
            let range = postings(&mut r, &mut field.postings)?;
            field.by_text.insert(text, range);
        }
    }
    if r.at != data.len() {
        return Err(PrebuiltError::Damaged("dati in più in fondo"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> Tables {
        Tables {
            terms: vec!["cart".into(), "identit".into(), "\u{1}cie".into()],
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
            vocab: vec![("carta".into(), 3), ("identita".into(), 1)],
            known_stems: vec!["cart".into(), "identit".into()],
            synonyms: vec![SynonymRow {
                head: "cart".into(),
                rest: vec!["identit".into()],
                token: "\u{1}cie".into(),
            }],
            referrals: vec![(vec!["passaport".into()], 0)],
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

    #[test]
    fn round_trip() {
        let t = tables();
        let blob = encode(&t, 42);
        assert_eq!(decode(&blob, 42, 1).unwrap(), t);
    }

    #[test]
    fn refuses_other_fingerprints_versions_and_entry_counts() {
        let blob = encode(&tables(), 42);
        assert_eq!(decode(&blob, 43, 1), Err(PrebuiltError::Fingerprint));
        assert!(matches!(
            decode(&blob, 42, 2),
            Err(PrebuiltError::Damaged(_))
        ));
        assert_eq!(decode(b"{\"x\":1}", 42, 1), Err(PrebuiltError::NotPrebuilt));
        let mut other = blob.clone();
        other[4] = 9;
        assert_eq!(
            decode(&other, 42, 1),
            Err(PrebuiltError::Version { found: 9 })
        );
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let blob = encode(&tables(), 42);
        // Every truncation and every single-byte change after the header.
        for cut in 0..blob.len() {
            assert!(decode(&blob[..cut], 42, 1).is_err(), "cut at {cut}");
        }
        for i in 5..blob.len() {
            for delta in [1u8, 0x80, 0x7f] {
                let mut b = blob.clone();
                b[i] = b[i].wrapping_add(delta);
                assert!(decode(&b, 42, 1).is_err(), "byte {i} + {delta}");
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
