//! Reading prebuilt data back, checking every length and id, so that a damaged blob gives an
//! error, never a panic later.

use super::{
    checksum, implied_docs, implied_question_terms, Prebuilt, PrebuiltError, ANALYSIS_VERSION,
    MAGIC, READS_DATA_VERSIONS,
};
use crate::analysis::referrals::OTHER_OFFICES;
use crate::analysis::typo::Vocabulary;
use crate::analysis::SynonymRow;
use crate::hash::{FastMap, FastSet};
use crate::index::{FieldId, FieldIndex, FIELDS};
use crate::tables::{PhrasingWord, Tables};

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
    /// The data version the header declares (the layout of what follows).
    version: u32,
}

/// No list in a blob can be longer than the blob itself: bounds allocations on damaged input.
fn check_len(len: u64, r: &Reader) -> Result<usize, PrebuiltError> {
    if len > (r.data.len() - r.at) as u64 {
        return Err(PrebuiltError::Damaged("lunghezza oltre la fine"));
    }
    Ok(len as usize)
}

impl<'a> Reader<'a> {
    /// Whether the layout is version 5's (always, without the `format1` feature: the code
    /// for version 4 is then left out).
    fn v5(&self) -> bool {
        !cfg!(feature = "format1") || self.version >= 5
    }
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
    /// A list written by `Writer::front_coded`.
    fn front_coded(&mut self) -> Result<Vec<String>, PrebuiltError> {
        let n = self.len()?;
        let mut out: Vec<String> = Vec::with_capacity(n);
        for _ in 0..n {
            let shared = self.num()?;
            let prev = out.last().map_or("", String::as_str);
            // The writer cuts at a character boundary.
            let mut word = usize::try_from(shared)
                .ok()
                .and_then(|at| prev.get(..at))
                .ok_or(PrebuiltError::Damaged("prefisso oltre la parola"))?
                .to_string();
            word.push_str(&self.text()?);
            out.push(word);
        }
        Ok(out)
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

/// Decodes a blob written by [`super::encode`] for a knowledge base with this fingerprint
/// and `entries` entries. Every id is checked against the term table, so a damaged blob gives
/// an error, never a panic later.
pub(crate) fn decode(
    data: &[u8],
    fingerprint: impl Fn(u32) -> u64,
    entries: usize,
) -> Result<Prebuilt, PrebuiltError> {
    let mut r = header(data, fingerprint)?;
    let v5 = r.v5();
    let term_texts = r.texts()?;
    let terms = term_texts.len();
    let mut term_ids = FastMap::with_capacity_and_hasher(terms, Default::default());
    for t in &term_texts {
        term_ids.insert(t.clone(), term_ids.len() as u32);
    }
    if term_ids.len() != terms {
        return Err(PrebuiltError::Damaged("termine ripetuto"));
    }
    // Implied by the phrasings and the tags field (read below) when the mark says so.
    let question_terms = match v5 {
        true if r.num()? == 1 => None,
        _ => Some(r.entry_terms(entries, terms)?),
    };
    let answer_terms = r.entry_terms(entries, terms)?;
    let phrasing_words = r.phrasing_words(entries, terms)?;
    let vocab = r.vocab()?;
    let known_stems = if v5 {
        let ids = r.sorted_ids(terms)?;
        let mut stems: Vec<String> = ids
            .into_iter()
            .map(|id| term_texts[id as usize].clone())
            .collect();
        stems.extend(r.front_coded()?);
        stems
    } else {
        r.texts()?
    };
    let mut stems = FastSet::with_capacity_and_hasher(known_stems.len(), Default::default());
    stems.extend(known_stems);
    let synonyms = r.synonyms()?;
    let referrals = r.referrals()?;
    let mut index: [FieldIndex; FIELDS] = Default::default();
    for (f, field) in index.iter_mut().enumerate() {
        r.field(field, terms, f, &phrasing_words, &answer_terms)?;
    }
    if r.at != data.len() {
        return Err(PrebuiltError::Damaged("dati in più in fondo"));
    }
    let question_terms =
        question_terms.unwrap_or_else(|| implied_question_terms(&phrasing_words, &index));
    let tables = Tables {
        term_ids,
        question_terms,
        answer_terms,
        phrasing_words,
        vocab,
        known_stems: stems,
        referrals,
        entry_df: Vec::new(),
        entries: 0,
    };
    Ok(Prebuilt {
        tables,
        synonyms,
        index,
    })
}

/// The (data, analysis) versions a blob declares, read without checking anything else: what
/// tools and messages report about a bundle.
pub fn header_versions(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 4 || &data[..4] != MAGIC {
        return None;
    }
    let mut r = Reader {
        data,
        at: 4,
        version: 0,
    };
    let v = r.num().ok()?;
    let a = r.num().ok()?;
    Some((u32::try_from(v).ok()?, u32::try_from(a).ok()?))
}

/// Checks the magic, the data and analysis versions, the fingerprint and the checksum; the
/// reader is left at the payload.
fn header(data: &[u8], fingerprint: impl Fn(u32) -> u64) -> Result<Reader<'_>, PrebuiltError> {
    if data.len() < 4 || &data[..4] != MAGIC {
        return Err(PrebuiltError::NotPrebuilt);
    }
    let mut r = Reader {
        data,
        at: 4,
        version: 0,
    };
    let version = r.num()?.min(u32::MAX as u64) as u32;
    if !READS_DATA_VERSIONS.contains(&version) {
        return Err(PrebuiltError::Version { found: version });
    }
    r.version = version;
    let analysis = r.num()?.min(u32::MAX as u64) as u32;
    if analysis != ANALYSIS_VERSION {
        return Err(PrebuiltError::Analysis { found: analysis });
    }
    let mut word = || -> Result<u64, PrebuiltError> {
        let b = data
            .get(r.at..r.at + 8)
            .ok_or(PrebuiltError::Damaged("troncati"))?;
        r.at += 8;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    if word()? != fingerprint(version) {
        return Err(PrebuiltError::Fingerprint);
    }
    let sum = word()?;
    if checksum(&data[r.at..]) != sum {
        return Err(PrebuiltError::Damaged("somma di controllo diversa"));
    }
    Ok(r)
}

impl Reader<'_> {
    /// Per entry, its sorted term ids.
    fn entry_terms(
        &mut self,
        entries: usize,
        terms: usize,
    ) -> Result<Vec<Vec<u32>>, PrebuiltError> {
        let n = self.len()?;
        if n != entries {
            return Err(PrebuiltError::Damaged("numero di voci"));
        }
        (0..n).map(|_| self.sorted_ids(terms)).collect()
    }

    /// Per entry and phrasing, its content words.
    fn phrasing_words(
        &mut self,
        entries: usize,
        terms: usize,
    ) -> Result<Vec<Vec<Vec<PhrasingWord>>>, PrebuiltError> {
        let n = self.len()?;
        if n != entries {
            return Err(PrebuiltError::Damaged("numero di voci"));
        }
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let phrasings = self.len()?;
            let mut entry = Vec::with_capacity(phrasings);
            for _ in 0..phrasings {
                let count = self.len()?;
                let mut words = Vec::with_capacity(count);
                for _ in 0..count {
                    let ids = self.sorted_ids(terms)?;
                    // Version 5: 1..=len is a place among the word's terms, then term ids.
                    let own = if self.version >= 5 {
                        ids.len() as u64
                    } else {
                        0
                    };
                    let stem = match self.num()? {
                        0 => None,
                        s if s <= own => Some(ids[(s - 1) as usize]),
                        s if (s - 1 - own) < terms as u64 => Some((s - 1 - own) as u32),
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
            out.push(entry);
        }
        Ok(out)
    }

    fn vocab(&mut self) -> Result<Vocabulary, PrebuiltError> {
        if self.v5() {
            let words = self.front_coded()?;
            let mut vocab = Vec::with_capacity(words.len());
            for word in words {
                vocab.push((word, self.id()?));
            }
            return Ok(Vocabulary::from_counts(vocab));
        }
        let n = self.len()?;
        let mut vocab = Vec::with_capacity(n);
        for _ in 0..n {
            let word = self.text()?;
            let count = self.id()?;
            vocab.push((word, count));
        }
        Ok(Vocabulary::from_counts(vocab))
    }

    fn synonyms(&mut self) -> Result<Vec<SynonymRow>, PrebuiltError> {
        let n = self.len()?;
        let mut synonyms = Vec::with_capacity(n);
        for _ in 0..n {
            let head = self.text()?;
            let token = self.text()?;
            let rest = self.texts()?;
            synonyms.push(SynonymRow { head, rest, token });
        }
        Ok(synonyms)
    }

    fn referrals(&mut self) -> Result<Vec<(Vec<String>, usize)>, PrebuiltError> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let office = self.id()? as usize;
            let stems = self.texts()?;
            if office >= OTHER_OFFICES.len() || stems.is_empty() {
                return Err(PrebuiltError::Damaged("rinvio inesistente"));
            }
            out.push((stems, office));
        }
        Ok(out)
    }

    /// One postings list, appended to `out`; its (start, length) in `out`.
    fn postings(&mut self, out: &mut Vec<(u32, u32)>) -> Result<(u32, u32), PrebuiltError> {
        let k = self.len()?;
        let start = out.len() as u32;
        let mut doc = 0u32;
        for _ in 0..k {
            doc = doc
                .checked_add(self.id()?)
                .ok_or(PrebuiltError::Damaged("documento"))?;
            out.push((doc, self.id()?));
        }
        Ok((start, k as u32))
    }

    /// One index field: token count, lengths, postings by term id (explicit, or their
    /// frequencies only when the documents are those the tables imply) and by text.
    fn field(
        &mut self,
        field: &mut FieldIndex,
        terms: usize,
        f: usize,
        phrasing_words: &[Vec<Vec<PhrasingWord>>],
        answer_terms: &[Vec<u32>],
    ) -> Result<(), PrebuiltError> {
        field.total_tokens = self.num()?;
        let n = self.len()?;
        field.norms = (0..n).map(|_| self.id()).collect::<Result<_, _>>()?;
        field.by_id = vec![(0, 0); terms];
        let implied = self.v5() && self.num()? == 1;
        if implied {
            if f != FieldId::Phrase as usize && f != FieldId::Answer as usize {
                return Err(PrebuiltError::Damaged("campo non derivabile"));
            }
            let docs = implied_docs(phrasing_words, answer_terms, f, terms);
            for (range, list) in field.by_id.iter_mut().zip(docs) {
                *range = (field.postings.len() as u32, list.len() as u32);
                for doc in list {
                    field.postings.push((doc, self.id()?));
                }
            }
        } else {
            let n = self.len()?;
            let mut id = 0usize;
            for _ in 0..n {
                id = id
                    .checked_add(self.len()?)
                    .filter(|&i| i < terms)
                    .ok_or(PrebuiltError::Damaged("termine inesistente"))?;
                field.by_id[id] = self.postings(&mut field.postings)?;
            }
        }
        let n = self.len()?;
        for _ in 0..n {
            let text = self.text()?;
            let range = self.postings(&mut field.postings)?;
            field.by_text.insert(text, range);
        }
        Ok(())
    }
}
