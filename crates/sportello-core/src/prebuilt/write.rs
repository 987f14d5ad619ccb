//! Writing prebuilt data (the layout is described in the parent module).

use super::{checksum, ANALYSIS_VERSION, DATA_VERSION, MAGIC};
use crate::analysis::SynonymRow;
use crate::index::{FieldIndex, FIELDS};
use crate::tables::Tables;

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

/// Encodes the tables with their fingerprint and a checksum of the payload (so that a damaged
/// blob is refused as a whole, before the index reader sees any of it).
pub(crate) fn encode(
    tables: &Tables,
    synonyms: &[SynonymRow],
    index: &[FieldIndex; FIELDS],
    fingerprint: u64,
) -> Vec<u8> {
    let payload = encode_payload(tables, synonyms, index);
    let mut w = Writer(Vec::with_capacity(payload.len() + 32));
    w.0.extend_from_slice(MAGIC);
    w.num(DATA_VERSION as u64);
    w.num(ANALYSIS_VERSION as u64);
    w.0.extend_from_slice(&fingerprint.to_le_bytes());
    w.0.extend_from_slice(&checksum(&payload).to_le_bytes());
    w.0.extend_from_slice(&payload);
    w.0
}

fn encode_payload(
    tables: &Tables,
    synonyms: &[SynonymRow],
    index: &[FieldIndex; FIELDS],
) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256 * 1024));
    w.texts(&tables.term_texts());
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
    let vocab = tables.vocab.counts();
    w.num(vocab.len() as u64);
    for (word, count) in &vocab {
        w.text(word);
        w.num(*count as u64);
    }
    let mut known_stems: Vec<String> = tables.known_stems.iter().cloned().collect();
    known_stems.sort_unstable();
    w.texts(&known_stems);
    w.num(synonyms.len() as u64);
    for row in synonyms {
        w.text(&row.head);
        w.text(&row.token);
        w.texts(&row.rest);
    }
    w.num(tables.referrals.len() as u64);
    for (stems, office) in &tables.referrals {
        w.num(*office as u64);
        w.texts(stems);
    }
    for field in index {
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
