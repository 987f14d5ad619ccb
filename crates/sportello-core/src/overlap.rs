//! The overlap between a question and an entry, in both directions, used by re-ranking and
//! by the confidence features: coverage (the idf share of the question found in the entry,
//! whole or by clause) and recall (the idf share of the entry's best phrasing found in the
//! question).

use crate::config::MatchConfig;
use crate::query::{Analysed, QueryWord};
use crate::tables::Tables;

/// Credit for a question word found only in an entry's answer text.
pub const ANSWER_ONLY_CREDIT: f32 = 0.5;

/// Overlap measures over the engine's tables.
pub(crate) struct Overlap<'a> {
    pub tables: &'a Tables,
    pub config: &'a MatchConfig,
}

impl Overlap<'_> {
    /// Share of the question's idf mass found in the entry.
    pub fn coverage(&self, a: &Analysed, entry: u32) -> f32 {
        self.coverage_of_words(&a.words, entry)
    }

    /// The larger of `whole` (the question's coverage) and the clause share of its best
    /// clause's coverage ([`MatchConfig::clause_coverage`]). Words come in clause order.
    pub fn clause_coverage(&self, a: &Analysed, entry: u32, whole: f32) -> f32 {
        let share = self.config.clause_coverage;
        let one_clause = a.words.first().map(|w| w.clause) == a.words.last().map(|w| w.clause);
        if share <= 0.0 || one_clause {
            return whole;
        }
        a.words
            .chunk_by(|x, y| x.clause == y.clause)
            .filter(|c| c.len() >= 2)
            .map(|c| share * self.coverage_of_words(c, entry))
            .fold(whole, f32::max)
    }

    /// The coverage of the entry over these words of the question.
    fn coverage_of_words(&self, words: &[QueryWord], entry: u32) -> f32 {
        let q = &self.tables.question_terms[entry as usize];
        let ans = &self.tables.answer_terms[entry as usize];
        let (mut total, mut got) = (0.0f32, 0.0f32);
        for w in words {
            total += w.idf;
            let credit = if w.corrected.is_some() {
                self.config.corrected_credit
            } else {
                1.0
            };
            let ids = w.terms.iter().flatten();
            if ids.clone().any(|t| q.binary_search(t).is_ok()) {
                got += w.idf * credit;
            } else if ids.into_iter().any(|t| ans.binary_search(t).is_ok()) {
                got += w.idf * ANSWER_ONLY_CREDIT * credit;
            }
        }
        if total > 0.0 {
            got / total
        } else {
            0.0
        }
    }

    /// Share of the entry's best-covered phrasing (idf-weighted content words) that the
    /// question contains: high when the citizen asked for everything the phrasing asks,
    /// whatever else the message says.
    pub fn phrasing_recall(&self, a: &Analysed, entry: u32) -> f32 {
        let asked = &a.asked;
        let mut best = 0.0f32;
        for words in &self.tables.phrasing_words[entry as usize] {
            let (mut total, mut got) = (0.0f32, 0.0f32);
            for w in words {
                total += w.idf;
                if w.terms.iter().any(|t| asked.binary_search(t).is_ok()) {
                    got += w.idf;
                }
            }
            if total > 0.0 {
                best = best.max(got / total);
            }
        }
        best
    }
}
