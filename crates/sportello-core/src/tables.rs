//! What an engine derives from the knowledge base's texts, besides the index: the term
//! table, each entry's terms, each phrasing's content words, the typo vocabulary, the known
//! stems and the uncovered referral expressions. Built from the KB ([`Tables::derive`],
//! feature `index`) or read back from prebuilt data (`prebuilt::decode`): one type for both,
//! finished the same way ([`Tables::finish`]: document frequencies and idf).

use crate::analysis::typo::Vocabulary;
use crate::hash::{FastMap, FastSet};

/// A content word of a phrasing: its terms (stem and synonym tokens), its own stem and its
/// idf (computed by [`Tables::finish`]; not stored in prebuilt data).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PhrasingWord {
    pub terms: Vec<u32>,
    pub stem: Option<u32>,
    pub idf: f32,
}

/// Other administrations' expressions (as stems) with the index of their office in
/// `analysis::referrals::OTHER_OFFICES`.
pub(crate) type Referrals = Vec<(Vec<String>, usize)>;

/// The engine's derived tables.
#[derive(Debug)]
pub(crate) struct Tables {
    /// Term text → id, over every analysed text of the KB.
    pub term_ids: FastMap<String, u32>,
    /// Per entry: sorted term ids of phrasings and tags.
    pub question_terms: Vec<Vec<u32>>,
    /// Per entry: sorted term ids of the answer.
    pub answer_terms: Vec<Vec<u32>>,
    /// Per entry, per phrasing: its content words, for the share of the phrasing a question
    /// covers.
    pub phrasing_words: Vec<Vec<Vec<PhrasingWord>>>,
    /// Folded KB words, for typo correction and completion.
    pub vocab: Vocabulary,
    /// Stems of the KB words.
    pub known_stems: FastSet<String>,
    /// Other administrations' matters the KB does not cover.
    pub referrals: Referrals,
    /// Entries containing each term (any field); filled by [`Tables::finish`].
    pub entry_df: Vec<u32>,
    /// Number of entries; set by [`Tables::finish`].
    pub entries: usize,
}

impl Tables {
    /// The term texts in id order.
    pub fn term_texts(&self) -> Vec<String> {
        let mut terms = vec![String::new(); self.term_ids.len()];
        for (t, &id) in &self.term_ids {
            terms[id as usize] = t.clone();
        }
        terms
    }

    /// The id of a term text, if the KB has it.
    pub fn term(&self, text: &str) -> Option<u32> {
        self.term_ids.get(text).copied()
    }

    /// BM25 idf of a term found in `df` entries.
    pub fn idf(&self, df: u32) -> f32 {
        crate::index::idf(self.entries as f32, df as f32)
    }

    /// Computes what is cheap to derive and not stored: the entries' document frequencies
    /// and the phrasing words' idf.
    pub fn finish(&mut self, entries: usize) {
        self.entries = entries;
        let mut entry_df = vec![0u32; self.term_ids.len()];
        for (q, a) in self.question_terms.iter().zip(&self.answer_terms) {
            let mut all: Vec<u32> = q.iter().chain(a).copied().collect();
            all.sort_unstable();
            all.dedup();
            // Ids past the table (damaged prebuilt data whose term list repeats a term, found
            // by fuzzing) are skipped rather than indexed: no panic on any input.
            for t in all {
                if let Some(df) = entry_df.get_mut(t as usize) {
                    *df += 1;
                }
            }
        }
        for p in self.phrasing_words.iter_mut().flatten().flatten() {
            let df = p
                .stem
                .map_or(1, |t| entry_df.get(t as usize).copied().unwrap_or(0).max(1));
            p.idf = crate::index::idf(entries as f32, df as f32);
        }
        self.entry_df = entry_df;
    }
}

#[cfg(feature = "index")]
mod derive {
    use super::{PhrasingWord, Tables};
    use crate::analysis::referrals::OTHER_OFFICES;
    use crate::analysis::typo::Vocabulary;
    use crate::analysis::{words, Analyzer, Term, Word};
    use crate::hash::{FastMap, FastSet};
    use crate::kb::KnowledgeBase;

    /// The analysed terms of each text given to the index, so that tantivy's tokenizer does
    /// not analyse it again.
    pub type AnalysedTexts = FastMap<String, Vec<Term>>;

    fn intern(ids: &mut FastMap<String, u32>, term: &str) -> u32 {
        let next = ids.len() as u32;
        *ids.entry(term.to_string()).or_insert(next)
    }

    /// The content words of one phrasing with their term ids (idf filled in later).
    fn phrasing_word_list(
        analyzer: &Analyzer,
        ws: &[Word],
        terms: &[Term],
        term_ids: &mut FastMap<String, u32>,
    ) -> Vec<PhrasingWord> {
        let mut list: Vec<PhrasingWord> = Vec::new();
        for w in ws.iter().filter(|w| !w.stop && !analyzer.drops(w)) {
            let mut ids: Vec<u32> = terms
                .iter()
                .filter(|t| !t.bigram && t.from <= w.from && t.to >= w.to)
                .map(|t| intern(term_ids, &t.text))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let stem = terms
                .iter()
                .find(|t| !t.synonym && !t.bigram && t.from == w.from)
                .map(|t| intern(term_ids, &t.text));
            if !ids.is_empty() && !list.iter().any(|p| p.terms == ids) {
                list.push(PhrasingWord {
                    terms: ids,
                    stem,
                    idf: 0.0,
                });
            }
        }
        list
    }

    impl Tables {
        /// Analyses every text of the KB once, for the term tables, the phrasing words, the
        /// vocabulary and (through [`AnalysedTexts`]) the index. The result still needs
        /// [`Tables::finish`].
        pub fn derive(
            kb: &KnowledgeBase,
            analyzer: &Analyzer,
            glossary_typos: bool,
        ) -> (Tables, AnalysedTexts) {
            let mut term_ids = FastMap::default();
            let mut question_terms = Vec::with_capacity(kb.entries.len());
            let mut answer_terms = Vec::with_capacity(kb.entries.len());
            let mut vocab_words: Vec<String> = Vec::new();
            let mut phrasing_words = Vec::with_capacity(kb.entries.len());
            let mut prepared = FastMap::default();
            for e in &kb.entries {
                // Each text is split and analysed once, for the index, the term tables, the
                // phrasing words and the vocabulary.
                let mut per_phrasing = Vec::new();
                let mut q = Vec::new();
                let phrasings = 1 + e.alternatives.len();
                let side_texts = e
                    .phrasings()
                    .chain(e.tags.iter().map(String::as_str))
                    .chain(e.office.as_deref());
                for (k, text) in side_texts.enumerate() {
                    let ws = words(text);
                    let terms = analyzer.analyze_words(&ws);
                    for t in &terms {
                        q.push(intern(&mut term_ids, &t.text));
                    }
                    if k < phrasings {
                        per_phrasing.push(phrasing_word_list(analyzer, &ws, &terms, &mut term_ids));
                        prepared.insert(text.to_string(), terms);
                    }
                    vocab_words.extend(ws.into_iter().filter(|w| !w.stop).map(|w| w.folded));
                }
                phrasing_words.push(per_phrasing);
                let ws = words(&e.answer);
                let terms = analyzer.analyze_words(&ws);
                let mut a: Vec<u32> = terms
                    .iter()
                    .map(|t| intern(&mut term_ids, &t.text))
                    .collect();
                prepared.insert(e.answer.clone(), terms);
                vocab_words.extend(ws.into_iter().filter(|w| !w.stop).map(|w| w.folded));
                q.sort_unstable();
                q.dedup();
                a.sort_unstable();
                a.dedup();
                question_terms.push(q);
                answer_terms.push(a);
            }
            if glossary_typos {
                vocab_words.extend(analyzer.glossary_words(&kb.agency.synonyms));
            }
            let mut known_stems = FastSet::default();
            let mut seen = FastSet::default();
            for w in &vocab_words {
                if seen.insert(w.as_str()) {
                    known_stems.insert(analyzer.stem(w));
                }
            }
            let vocab = Vocabulary::build(vocab_words.iter().map(String::as_str));
            // Computed whatever `MatchConfig::referrals` says, so that prebuilt data carries
            // them.
            let referrals = Tables::uncovered_referrals(analyzer, &term_ids, &question_terms);
            let tables = Tables {
                term_ids,
                question_terms,
                answer_terms,
                phrasing_words,
                vocab,
                known_stems,
                referrals,
                entry_df: Vec::new(),
                entries: 0,
            };
            (tables, prepared)
        }

        /// The expressions of [`OTHER_OFFICES`] as stems, keeping those with a word that no
        /// entry's phrasings or tags use: a KB with entries about passports answers passport
        /// questions itself, while an answer that only mentions one ("CIE or passport")
        /// does not.
        fn uncovered_referrals(
            analyzer: &Analyzer,
            term_ids: &FastMap<String, u32>,
            question_terms: &[Vec<u32>],
        ) -> super::Referrals {
            let asked: FastSet<u32> = question_terms.iter().flatten().copied().collect();
            let covered = |stem: &String| term_ids.get(stem).is_some_and(|id| asked.contains(id));
            let mut out = Vec::new();
            for (i, referral) in OTHER_OFFICES.iter().enumerate() {
                for expression in referral.expressions {
                    let stems = analyzer.content_stems(expression);
                    if !stems.is_empty() && !stems.iter().all(covered) {
                        out.push((stems, i));
                    }
                }
            }
            out
        }
    }
}
