//! Calibrated confidence and the Answer / Clarify / Decline decision.
//!
//! Raw BM25 scores grow with the knowledge base and the question length, so they are not
//! used as confidence. The confidence combines two quantities that mean the same on any KB:
//! - coverage: the share of the question's meaning (idf-weighted content words) that the
//!   entry contains, in its phrasings/tags (full credit) or only in its answer (partial);
//! - margin: the relative gap between the best entry and the runner-up.

use crate::kb::Thresholds;

/// Default thresholds, chosen on the dev sets (see docs/quality.md).
pub const DEFAULT_THRESHOLDS: Thresholds = Thresholds {
    answer: 0.55,
    clarify: 0.33,
};

/// Credit for a question word found only in an entry's answer text.
pub const ANSWER_ONLY_CREDIT: f32 = 0.5;

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
}

/// Confidence (0–1): coverage and recall (the two directions of the overlap between the
/// question and the entry), weighted geometrically, times a margin factor.
pub fn confidence(f: Features) -> f32 {
    let margin = (f.margin / 0.25).clamp(0.0, 1.0);
    let overlap = f.coverage.clamp(0.0, 1.0).powf(0.7) * f.recall.clamp(0.0, 1.0).powf(0.3);
    (overlap * (0.7 + 0.3 * margin)).clamp(0.0, 1.0)
}

/// The decision for the best candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Answer,
    Clarify,
    Decline,
}

/// Decides from the best candidate's confidence and the runner-up's.
pub fn decide(t: Thresholds, best: f32, runner_up: Option<f32>) -> Decision {
    if best >= t.answer {
        // Two entries nearly equally good: let the citizen choose.
        match runner_up {
            Some(r) if r >= best * 0.97 && r >= t.answer => Decision::Clarify,
            _ => Decision::Answer,
        }
    } else if best >= t.clarify {
        Decision::Clarify
    } else {
        Decision::Decline
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

    #[test]
    fn decisions() {
        let t = DEFAULT_THRESHOLDS;
        assert_eq!(decide(t, 0.9, Some(0.2)), Decision::Answer);
        assert_eq!(decide(t, 0.9, Some(0.89)), Decision::Clarify);
        assert_eq!(decide(t, 0.4, None), Decision::Clarify);
        assert_eq!(decide(t, 0.1, None), Decision::Decline);
    }
}
