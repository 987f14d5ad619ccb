//! Confidence features, the stage after re-ranking: for the best candidates, the quantities
//! their calibrated confidence is computed from, and the confidence itself.
//!
//! Raw BM25 scores grow with the knowledge base and the question length, so they are not
//! used as confidence. The confidence combines quantities that mean the same on any KB:
//! - coverage: the share of the question's meaning (idf-weighted content words) that the
//!   entry contains, in its phrasings/tags (full credit) or only in its answer (partial);
//! - recall: the share of the entry's best phrasing that the question asks;
//! - margin: the relative gap between the best entry and the runner-up.

use crate::kb::Entry;
use crate::overlap::Overlap;
use crate::query::Analysed;
use crate::reply::Candidate;
use crate::retrieval::Scored;

/// The quantities the confidence is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Features {
    /// Share of the question found in the entry.
    pub coverage: f32,
    /// Relative gap to the runner-up (0 for candidates after the first).
    pub margin: f32,
    /// Share of the entry's best-covered phrasing found in the question.
    pub recall: f32,
    /// Share of the question's content words that the knowledge base never uses.
    pub unknown: f32,
    /// Closeness in meaning to the question (0–1), when the engine has a semantic stage.
    pub semantic: Option<f32>,
}

/// Confidence (0–1): coverage and recall (the two directions of the overlap between the
/// question and the entry), weighted geometrically, times a margin factor.
pub fn confidence(f: Features) -> f32 {
    let margin = (f.margin / 0.25).clamp(0.0, 1.0);
    let overlap = f.coverage.clamp(0.0, 1.0).powf(0.7) * f.recall.clamp(0.0, 1.0).powf(0.3);
    (overlap * (0.7 + 0.3 * margin)).clamp(0.0, 1.0)
}

/// The confidence with the semantic stage's evidence: `share` of it is the closeness in
/// meaning, the rest [`confidence`]; without a closeness, [`confidence`] alone.
pub fn blended_confidence(f: Features, share: f32) -> f32 {
    let lexical = confidence(f);
    match f.semantic {
        Some(s) => {
            let share = share.clamp(0.0, 1.0);
            ((1.0 - share) * lexical + share * s).clamp(0.0, 1.0)
        }
        None => lexical,
    }
}

/// Relative gap between the best and the second entry: (best − second) / best.
pub(crate) fn margin(ranked: &[Scored]) -> f32 {
    let top = ranked.first().map_or(0.0, |s| s.score);
    let second = ranked.get(1).map_or(0.0, |s| s.score);
    if top > 0.0 {
        (top - second) / top
    } else {
        0.0
    }
}

impl Overlap<'_> {
    /// The entry's coverage, reusing the value computed by the re-ranking.
    pub fn coverage_of(&self, a: &Analysed, s: &Scored) -> f32 {
        s.coverage.unwrap_or_else(|| self.coverage(a, s.entry))
    }

    /// The recall of the entry's best phrasing, reusing the value of the re-ranking.
    pub fn recall_of(&self, a: &Analysed, s: &Scored) -> f32 {
        s.recall.unwrap_or_else(|| self.phrasing_recall(a, s.entry))
    }

    /// The confidence features of one candidate (`margin` is 0 after the first).
    pub fn features(&self, a: &Analysed, s: &Scored, margin: f32) -> Features {
        let unknown = a
            .words
            .iter()
            .filter(|w| w.terms.iter().all(Option::is_none))
            .count();
        let coverage = self.clause_coverage(a, s.entry, self.coverage_of(a, s));
        Features {
            coverage,
            margin,
            // An entry whose phrasings word the question otherwise (its words are in the
            // answer or the tags) keeps part of the credit its coverage earns.
            recall: self
                .recall_of(a, s)
                .max(self.config.recall_floor * coverage),
            unknown: unknown as f32 / a.words.len().max(1) as f32,
            semantic: s.semantic,
        }
    }

    /// The features of the best `k` candidates, best first.
    pub fn ranked_features(&self, a: &Analysed, ranked: &[Scored], k: usize) -> Vec<Features> {
        let m = margin(ranked);
        ranked
            .iter()
            .take(k)
            .enumerate()
            .map(|(i, s)| self.features(a, s, if i == 0 { m } else { 0.0 }))
            .collect()
    }

    /// The best `k` candidates with their confidence, best first.
    pub fn candidates(
        &self,
        entries: &[Entry],
        a: &Analysed,
        ranked: &[Scored],
        k: usize,
    ) -> Vec<Candidate> {
        ranked
            .iter()
            .zip(self.ranked_features(a, ranked, k))
            .map(|(s, f)| {
                let e = &entries[s.entry as usize];
                Candidate {
                    id: e.id.clone(),
                    question: e.question.clone(),
                    score: s.score,
                    confidence: blended_confidence(f, self.config.semantic_confidence),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_grows_with_coverage_and_margin() {
        let low = confidence(Features {
            coverage: 0.3,
            margin: 0.5,
            recall: 1.0,
            ..Features::default()
        });
        let high = confidence(Features {
            coverage: 0.9,
            margin: 0.5,
            recall: 1.0,
            ..Features::default()
        });
        assert!(high > low);
        let close = confidence(Features {
            coverage: 0.9,
            margin: 0.0,
            recall: 1.0,
            ..Features::default()
        });
        assert!(high > close);
        assert!((0.0..=1.0).contains(&confidence(Features {
            coverage: 2.0,
            margin: 9.0,
            recall: 1.0,
            ..Features::default()
        })));
    }

    #[test]
    fn recall_lowers_confidence_when_the_entry_asks_more_than_the_question() {
        let f = |recall| {
            confidence(Features {
                coverage: 0.8,
                margin: 0.3,
                recall,
                ..Features::default()
            })
        };
        assert!(f(1.0) > f(0.4));
        assert!(f(0.4) > f(0.0));
        assert_eq!(f(0.0), 0.0);
    }
}
