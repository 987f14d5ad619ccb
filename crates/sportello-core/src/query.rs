//! Query analysis, the second stage (after small talk): the question is cut to
//! [`MAX_QUESTION_CHARS`], split into words, politeness dropped, unknown words corrected
//! against the KB vocabulary, and analysed as the index was (stems plus synonym tokens), with
//! each word's idf and clause, and the other administration's matter it names, if any.

use crate::analysis::{self, words, Analyzer, Term};
use crate::config::MatchConfig;
use crate::tables::Tables;

/// Longer questions are cut here (in characters) before analysis: enough for any real
/// question, and it bounds the work an enormous message can cause.
pub const MAX_QUESTION_CHARS: usize = 1000;

/// A question word after correction, with its terms.
#[derive(Debug, Clone)]
pub(crate) struct QueryWord {
    pub original: String,
    pub corrected: Option<String>,
    /// Ids of the terms (own stem and covering synonyms) in the engine's term table.
    pub terms: Vec<Option<u32>>,
    pub idf: f32,
    /// Which clause of the question (words between punctuation marks) the word is in.
    pub clause: u32,
}

/// An analysed question.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysed {
    pub words: Vec<QueryWord>,
    /// (term text, weight), deduplicated.
    pub terms: Vec<(String, f32)>,
    /// (character n-gram, weight), deduplicated.
    pub grams: Vec<(String, f32)>,
    /// Ids of every term of the question's words, sorted and deduplicated.
    pub asked: Vec<u32>,
    /// Index in [`analysis::referrals::OTHER_OFFICES`] of another administration's matter
    /// the question names.
    pub referral: Option<usize>,
}

/// The question cut to [`MAX_QUESTION_CHARS`] characters.
pub(crate) fn truncated(question: &str) -> &str {
    match question.char_indices().nth(MAX_QUESTION_CHARS) {
        Some((i, _)) => &question[..i],
        None => question,
    }
}

/// Query analysis over the engine's analyzer and tables.
pub(crate) struct QueryAnalysis<'a> {
    pub analyzer: &'a Analyzer,
    pub tables: &'a Tables,
    pub config: &'a MatchConfig,
}

impl QueryAnalysis<'_> {
    /// Analyses a question (already cut with [`truncated`]).
    pub fn analyse(&self, question: &str) -> Analysed {
        let mut ws = words(question);
        let corrected = self.correct(&mut ws);
        let terms = self.analyzer.analyze_words(&ws);
        let mut out = Analysed {
            referral: self.referral_in(&terms),
            grams: self.grams(&ws),
            ..Analysed::default()
        };
        out.words = self.query_words(question, &ws, &terms, &corrected);
        out.terms = self.weighted_terms(&ws, &terms, &corrected);
        out.asked = out
            .words
            .iter()
            .flat_map(|w| w.terms.iter().flatten())
            .copied()
            .collect();
        out.asked.sort_unstable();
        out.asked.dedup();
        out
    }

    /// Marks politeness as stop words and corrects unknown words in place; returns each
    /// word's correction.
    fn correct(&self, ws: &mut [analysis::Word]) -> Vec<Option<String>> {
        let (config, tables) = (self.config, self.tables);
        let mut corrected = Vec::with_capacity(ws.len());
        for w in ws.iter_mut() {
            if config.drop_filler && analysis::stopwords::is_query_filler(&w.folded) {
                w.stop = true;
            }
            let mut fix = None;
            if config.typos
                && !w.stop
                && !tables.vocab.contains(&w.folded)
                && !tables.known_stems.contains(&self.analyzer.stem(&w.folded))
            {
                if let Some(c) = tables.vocab.correct(&w.folded) {
                    fix = Some(c.to_string());
                    w.folded = c.to_string();
                    w.stop = analysis::is_stop_word(c);
                }
            }
            corrected.push(fix);
        }
        corrected
    }

    /// The character n-grams of the content words, with their weights (none unless
    /// [`MatchConfig::ngram_weight`] is above 0).
    fn grams(&self, ws: &[analysis::Word]) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = Vec::new();
        if !self.config.ngrams() {
            return out;
        }
        let mut grams = Vec::new();
        for w in ws.iter().filter(|w| !w.stop) {
            grams.clear();
            analysis::char_ngrams(&w.folded, &mut grams);
            let weight = self.config.ngram_weight / grams.len().max(1) as f32;
            for g in grams.drain(..) {
                match out.iter_mut().find(|(t, _)| *t == g) {
                    Some(existing) => existing.1 += weight,
                    None => out.push((g, weight)),
                }
            }
        }
        out
    }

    /// The question's content words with their term ids, idf and clause.
    fn query_words(
        &self,
        question: &str,
        ws: &[analysis::Word],
        terms: &[Term],
        corrected: &[Option<String>],
    ) -> Vec<QueryWord> {
        let tables = self.tables;
        let marks: Vec<usize> = question
            .char_indices()
            .filter(|(_, c)| matches!(c, ',' | '.' | ';' | ':' | '?' | '!' | '\n'))
            .map(|(i, _)| i)
            .collect();
        let clause_of = |from: usize| marks.partition_point(|&m| m < from) as u32;
        let mut out = Vec::new();
        for (i, w) in ws.iter().enumerate() {
            if self.analyzer.drops(w) {
                continue;
            }
            let own: Vec<Option<u32>> = terms
                .iter()
                .filter(|t| !t.bigram && t.from <= w.from && t.to >= w.to)
                .map(|t| tables.term(&t.text))
                .collect();
            let stem_df = terms
                .iter()
                .find(|t| !t.synonym && t.from == w.from)
                .and_then(|t| tables.term(&t.text))
                .map_or(0, |id| tables.entry_df[id as usize]);
            let idf = if stem_df == 0 && own.iter().all(Option::is_none) {
                // A word the KB never uses: it may be what makes the question out of scope,
                // or just context ("salve, mi sono trasferito da Roma…").
                tables.idf(1) * self.config.unknown_word_weight
            } else {
                tables.idf(stem_df)
            };
            out.push(QueryWord {
                original: question[w.from..w.to].to_string(),
                corrected: corrected[i].clone(),
                terms: own,
                idf,
                clause: clause_of(w.from),
            });
        }
        out
    }

    /// The question's terms with their query weights (synonyms, bigrams and corrected words
    /// weigh less), deduplicated keeping the largest weight.
    fn weighted_terms(
        &self,
        ws: &[analysis::Word],
        terms: &[Term],
        corrected: &[Option<String>],
    ) -> Vec<(String, f32)> {
        let config = self.config;
        let mut out: Vec<(String, f32)> = Vec::new();
        for t in terms {
            let word_corrected = ws
                .iter()
                .zip(corrected)
                .any(|(w, c)| c.is_some() && t.from <= w.from && t.to >= w.to);
            let mut weight = if t.synonym {
                config.synonym_weight
            } else if t.bigram {
                config.bigram_weight
            } else {
                1.0
            };
            if word_corrected {
                weight *= config.corrected_weight;
            }
            match out.iter_mut().find(|(text, _)| *text == t.text) {
                Some(existing) => existing.1 = existing.1.max(weight),
                None => out.push((t.text.clone(), weight)),
            }
        }
        out
    }

    /// The other administration's matter the question is about, if any: one of its
    /// expressions appears in the question's content words, in order and side by side.
    fn referral_in(&self, terms: &[Term]) -> Option<usize> {
        let referrals = &self.tables.referrals;
        if !self.config.referrals || referrals.is_empty() {
            return None;
        }
        let mut stems: Vec<&Term> = terms.iter().filter(|t| !t.synonym && !t.bigram).collect();
        stems.sort_by_key(|t| t.position);
        let stems: Vec<&str> = stems.iter().map(|t| t.text.as_str()).collect();
        referrals.iter().find_map(|(expression, i)| {
            stems
                .windows(expression.len())
                .any(|w| w.iter().zip(expression).all(|(a, b)| *a == b))
                .then_some(*i)
        })
    }
}
