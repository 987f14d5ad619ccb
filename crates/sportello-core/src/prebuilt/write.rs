//! Writing prebuilt data (the layout is described in the parent module).

use super::{
    checksum, implied_docs, implied_question_terms, ANALYSIS_VERSION, DATA_VERSION, MAGIC,
};
use crate::analysis::SynonymRow;
use crate::index::{FieldId, FieldIndex, FIELDS};
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
    /// Sorted strings, each as the number of bytes it shares with the previous one and the
    /// rest (neighbours in a sorted list share most of their bytes).
    fn front_coded<'s>(&mut self, list: impl ExactSizeIterator<Item = &'s str>) {
        self.num(list.len() as u64);
        let mut prev: &[u8] = &[];
        for s in list {
            let s = s.as_bytes();
            let mut shared = prev.iter().zip(s).take_while(|(a, b)| a == b).count();
            // At a character boundary, so that the reader checks each part as text.
            while std::str::from_utf8(&s[..shared]).is_err() {
                shared -= 1;
            }
            debug_assert!(shared <= prev.len());
            self.num(shared as u64);
            self.bytes(&s[shared..]);
            prev = s;
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
    let term_texts = tables.term_texts();
    let terms = term_texts.len();
    w.texts(&term_texts);
    // The question terms, unless they are what the phrase and tags fields imply.
    if implied_question_terms(&tables.phrasing_words, index) == tables.question_terms {
        w.num(1);
    } else {
        w.num(0);
        w.num(tables.question_terms.len() as u64);
        for ids in &tables.question_terms {
            w.sorted_ids(ids);
        }
    }
    w.num(tables.answer_terms.len() as u64);
    for ids in &tables.answer_terms {
        w.sorted_ids(ids);
    }
    w.num(tables.phrasing_words.len() as u64);
    for entry in &tables.phrasing_words {
        w.num(entry.len() as u64);
        for phrasing in entry {
            w.num(phrasing.len() as u64);
            for word in phrasing {
                w.sorted_ids(&word.terms);
                // The stem is nearly always one of the word's terms: its place among them.
                let len = word.terms.len() as u64;
                w.num(match word.stem {
                    None => 0,
                    Some(s) => match word.terms.iter().position(|&t| t == s) {
                        Some(i) => i as u64 + 1,
                        None => len + 1 + s as u64,
                    },
                });
            }
        }
    }
    let vocab = tables.vocab.counts();
    w.front_coded(vocab.iter().map(|(word, _)| word.as_str()));
    for (_, count) in &vocab {
        w.num(*count as u64);
    }
    // The known stems: those in the term table by id, the others by text.
    let mut in_table: Vec<u32> = Vec::new();
    let mut others: Vec<&str> = Vec::new();
    for stem in &tables.known_stems {
        match tables.term_ids.get(stem) {
            Some(&id) => in_table.push(id),
            None => others.push(stem),
        }
    }
    in_table.sort_unstable();
    others.sort_unstable();
    w.sorted_ids(&in_table);
    w.front_coded(others.into_iter());
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
    for (f, field) in index.iter().enumerate() {
        w.num(field.total_tokens);
        w.num(field.norms.len() as u64);
        for &n in &field.norms {
            w.num(n as u64);
        }
        let list =
            |(start, len): (u32, u32)| &field.postings[start as usize..(start + len) as usize];
        // Per term id, its documents, when they are those the tables imply: then only the
        // frequencies, term after term.
        let derivable = (f == FieldId::Phrase as usize || f == FieldId::Answer as usize)
            && field.by_id.len() == terms
            && {
                let implied = implied_docs(&tables.phrasing_words, &tables.answer_terms, f, terms);
                field
                    .by_id
                    .iter()
                    .zip(&implied)
                    .all(|(&range, docs)| list(range).iter().map(|p| p.0).eq(docs.iter().copied()))
            };
        if derivable {
            w.num(1);
            for &range in &field.by_id {
                for &(_, tf) in list(range) {
                    w.num(tf as u64);
                }
            }
        } else {
            w.num(0);
            let postings = |w: &mut Writer, range: (u32, u32)| {
                let l = list(range);
                w.num(l.len() as u64);
                let mut prev = 0u32;
                for &(doc, tf) in l {
                    w.num(doc.wrapping_sub(prev) as u64);
                    w.num(tf as u64);
                    prev = doc;
                }
            };
            // Terms by id (those the field has).
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
        }
        // Then the terms by text, sorted: the same index always gives the same bytes.
        let mut texts: Vec<(&String, &(u32, u32))> = field.by_text.iter().collect();
        texts.sort_unstable_by_key(|(t, _)| *t);
        w.num(texts.len() as u64);
        for (text, &range) in texts {
            w.text(text);
            let l = list(range);
            w.num(l.len() as u64);
            let mut prev = 0u32;
            for &(doc, tf) in l {
                w.num(doc.wrapping_sub(prev) as u64);
                w.num(tf as u64);
                prev = doc;
            }
        }
    }
    w.0
}
