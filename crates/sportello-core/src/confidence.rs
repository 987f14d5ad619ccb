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
    clarify: 0.37,
};

/// Credit for a question word found only in an entry's answer text.
pub const ANSWER_ONLY_CREDIT: f32 = 0.5;

/// The quantities the confidence is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    pub coverage: f32,
    pub margin: f32,
}

/// Confidence (0–1) from coverage and margin.
pub fn confidence(f: Features) -> f32 {
    let margin = (f.margin / 0.25).clamp(0.0, 1.0);
    (f.coverage * (0.7 + 0.3 * margin)).clamp(0.0, 1.0)
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
        });
        let high = confidence(Features {
            coverage: 0.9,
            margin: 0.5,
        });
        assert!(high > low);
        let close = confidence(Features {
            coverage: 0.9,
            margin: 0.0,
        });
        assert!(high > close);
        assert!((0.0..=1.0).contains(&confidence(Features {
            coverage: 2.0,
            margin: 9.0
        })));
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
