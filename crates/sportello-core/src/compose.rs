//! Composing the reply, the last stage: the [`Reply`] the decision calls for, with the
//! entry's rendered answer and an explanation for editors, and the sentences of
//! [`crate::messages`].

use crate::analysis::referrals::OTHER_OFFICES;
use crate::decision::Verdict;
use crate::kb::KnowledgeBase;
use crate::messages;
use crate::overlap::Overlap;
use crate::query::{Analysed, QueryWord};
use crate::render::Rendered;
use crate::reply::{Candidate, DeclineReason, Explanation, MatchedWord, Reply};
use crate::retrieval::Scored;
use crate::smalltalk::SmallTalk;

/// Writes replies for one knowledge base.
pub(crate) struct Replier<'a> {
    pub kb: &'a KnowledgeBase,
    /// Per entry: the answer as safe HTML and as chat text.
    pub rendered: &'a [Rendered],
    pub overlap: Overlap<'a>,
}

impl Replier<'_> {
    /// The reply to a small-talk message.
    pub fn small_talk(&self, st: SmallTalk) -> Reply {
        Reply::SmallTalk {
            intent: st.intent,
            message: st.text,
            contacts: st.show_contacts.then(|| self.kb.agency.contacts.clone()),
        }
    }

    /// The reply the decision calls for.
    pub fn reply(&self, verdict: Verdict, a: &Analysed, ranked: &[Scored]) -> Reply {
        match verdict {
            Verdict::Answer(confidence) => self.answer(a, ranked, confidence),
            Verdict::Clarify(options, confidence) => Reply::Clarify {
                message: messages::CLARIFY.into(),
                confidence,
                options,
                notices: Vec::new(),
            },
            Verdict::Decline(reason, candidates) => self.decline(reason, candidates),
            Verdict::Refer(office, candidates) => self.refer(office, candidates),
        }
    }

    /// The answer of entry `i` with an explanation.
    pub fn answer_reply(&self, i: usize, confidence: f32, why: Explanation) -> Reply {
        let e = &self.kb.entries[i];
        let related = e
            .related
            .iter()
            .filter_map(|id| {
                self.kb
                    .entry(id)
                    .map(|r| (r.id.clone(), r.question.clone()))
            })
            .collect();
        Reply::Answer {
            id: e.id.clone(),
            question: e.question.clone(),
            answer: e.answer.clone(),
            answer_html: self.rendered[i].html.clone(),
            answer_text: self.rendered[i].text.clone(),
            source: e.source.clone(),
            reviewed: e.reviewed.clone(),
            confidence,
            related,
            why,
            notices: Vec::new(),
        }
    }

    fn answer(&self, a: &Analysed, ranked: &[Scored], confidence: f32) -> Reply {
        let top = ranked[0];
        let e = &self.kb.entries[top.entry as usize];
        let words = a
            .words
            .iter()
            .map(|w| self.matched_word(w, top.entry))
            .collect();
        let why = Explanation {
            best_phrasing: e
                .phrasings()
                .nth(top.best_phrasing as usize)
                .unwrap_or(&e.question)
                .to_string(),
            coverage: self.overlap.coverage_of(a, &top),
            margin: crate::confidence::margin(ranked),
            words,
        };
        self.answer_reply(top.entry as usize, confidence, why)
    }

    /// How a question word matched the entry, for editors.
    fn matched_word(&self, w: &QueryWord, entry: u32) -> MatchedWord {
        let tables = self.overlap.tables;
        let found = |list: &Vec<u32>| -> Option<bool> {
            let mut via = None;
            for (k, t) in w.terms.iter().enumerate() {
                if t.is_some_and(|t| list.binary_search(&t).is_ok()) {
                    // Term 0 is the word's own stem; later ones are synonyms.
                    via = Some(via.unwrap_or(true) && k > 0);
                }
            }
            via
        };
        let q = &tables.question_terms[entry as usize];
        let ans = &tables.answer_terms[entry as usize];
        let (matched_in, via_synonym) = match (found(q), found(ans)) {
            (Some(s), _) => (Some("domanda"), s),
            (None, Some(s)) => (Some("risposta"), s),
            _ => (None, false),
        };
        MatchedWord {
            word: w.original.clone(),
            corrected_to: w.corrected.clone(),
            matched_in,
            via_synonym,
        }
    }

    /// Declines a question about another administration's matter, naming the office.
    fn refer(&self, office: usize, candidates: Vec<Candidate>) -> Reply {
        let referral = &OTHER_OFFICES[office];
        Reply::Decline {
            message: messages::other_office(referral.matter, referral.office, &self.kb.agency.name),
            reason: DeclineReason::OtherOffice,
            contacts: self.kb.agency.contacts.clone(),
            candidates,
            notices: Vec::new(),
        }
    }

    fn decline(&self, reason: DeclineReason, candidates: Vec<Candidate>) -> Reply {
        let message = match reason {
            DeclineReason::Empty => messages::EMPTY_QUESTION.to_string(),
            _ => messages::no_answer(&self.kb.agency.name),
        };
        Reply::Decline {
            message,
            reason,
            contacts: self.kb.agency.contacts.clone(),
            candidates,
            notices: Vec::new(),
        }
    }
}
