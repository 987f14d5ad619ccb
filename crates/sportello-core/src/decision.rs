//! The decision, the stage after the confidence features: answer, "Forse cercavi…", a
//! referral to another administration, or an honest decline, from the candidates'
//! calibrated confidence and the agency's thresholds. It decides only; the reply stage
//! writes the reply.

use crate::analysis::SYNONYM_MARK;
use crate::kb::Thresholds;
use crate::overlap::Overlap;
use crate::query::Analysed;
use crate::reply::{Candidate, DeclineReason};
use crate::retrieval::Scored;

/// Above this share of the best entry's phrasing found in the question, a question naming
/// another administration's matter is still taken as the agency's.
const REFERRAL_MAX_RECALL: f32 = 0.7;

/// The decision for the best candidate's confidence.
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

/// What to reply to a question (small talk is settled before).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Answer with the best candidate, at this confidence.
    Answer(f32),
    /// Offer these choices; the best one's confidence.
    Clarify(Vec<Candidate>, f32),
    /// Decline for this reason, showing these closest entries to editors.
    Decline(DeclineReason, Vec<Candidate>),
    /// Point to the office of [`crate::analysis::referrals::OTHER_OFFICES`] at this index.
    Refer(usize, Vec<Candidate>),
}

/// Decides the reply from the analysed question, the ranked entries and the best candidates
/// (at least three when there are).
pub(crate) fn verdict(
    overlap: &Overlap,
    thresholds: Thresholds,
    a: &Analysed,
    ranked: &[Scored],
    cands: &[Candidate],
) -> Verdict {
    if a.words.is_empty() {
        return Verdict::Decline(DeclineReason::Empty, Vec::new());
    }
    let Some(best) = cands.first() else {
        return Verdict::Decline(DeclineReason::NoMatch, Vec::new());
    };
    let closest = || cands.iter().take(3).cloned().collect::<Vec<_>>();
    if let Some(r) = a.referral {
        if best.confidence < thresholds.answer && !own_matter(overlap, a, &ranked[0]) {
            return Verdict::Refer(r, closest());
        }
    }
    match decide(
        thresholds,
        best.confidence,
        cands.get(1).map(|c| c.confidence),
    ) {
        Decision::Answer => Verdict::Answer(best.confidence),
        Decision::Clarify => {
            let floor = thresholds.clarify * 0.6;
            let mut options: Vec<Candidate> = cands
                .iter()
                .take(3)
                .filter(|c| c.confidence >= floor)
                .cloned()
                .collect();
            if options.len() < 2 {
                options = cands.iter().take(2).cloned().collect();
            }
            Verdict::Clarify(options, best.confidence)
        }
        Decision::Decline => Verdict::Decline(DeclineReason::LowConfidence, closest()),
    }
}

/// Whether a question naming another administration's matter is still about the agency's
/// best entry: the question asks for most of what that entry is about (the passport is then
/// context: "rubati carta d'identità e patente"), or it shares a glossary topic (CIE,
/// TARI…) with the entry's phrasings.
fn own_matter(overlap: &Overlap, a: &Analysed, top: &Scored) -> bool {
    if overlap.recall_of(a, top) >= REFERRAL_MAX_RECALL {
        return true;
    }
    let tables = overlap.tables;
    let entry_terms = &tables.question_terms[top.entry as usize];
    a.terms.iter().any(|(t, _)| {
        t.starts_with(SYNONYM_MARK)
            && tables
                .term(t)
                .is_some_and(|id| entry_terms.binary_search(&id).is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let t = Thresholds::DEFAULT;
        assert_eq!(decide(t, 0.9, Some(0.2)), Decision::Answer);
        assert_eq!(decide(t, 0.9, Some(0.89)), Decision::Clarify);
        assert_eq!(decide(t, 0.4, None), Decision::Clarify);
        assert_eq!(decide(t, 0.1, None), Decision::Decline);
    }
}
