//! What [`crate::Engine::ask`] returns: an answer, "Forse cercavi…" choices, a decline with
//! the agency's contacts, or a small-talk reply (written by the last stage, `compose`).

use crate::kb::{Contacts, Priority};
use serde::Serialize;

/// A valid notice shown before a reply (see [`crate::notices`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShownNotice {
    pub id: String,
    pub title: String,
    /// The notice as safe HTML.
    pub html: String,
    /// The title and the notice in plain text, for chats.
    pub text: String,
    pub priority: Priority,
    /// The notice's last moment, as the editor wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// One ranked candidate entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    /// The entry's main question.
    pub question: String,
    /// Raw ranking score (comparable only within one question).
    pub score: f32,
    /// Calibrated confidence that this entry answers the question (0–1).
    pub confidence: f32,
}

/// A question word and how it matched, for editors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchedWord {
    /// The word as the citizen wrote it.
    pub word: String,
    /// The corrected word, when a typo was corrected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrected_to: Option<String>,
    /// Where it matched: `domanda` (a phrasing or the tags), `risposta`, or nowhere (`None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_in: Option<&'static str>,
    /// True when the match came through a synonym or acronym.
    pub via_synonym: bool,
}

/// Why an entry was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The phrasing of the entry that matched best.
    pub best_phrasing: String,
    /// Share of the question's meaning (idf-weighted words) found in the entry (0–1).
    pub coverage: f32,
    /// Relative gap to the runner-up: (best − second) / best.
    pub margin: f32,
    pub words: Vec<MatchedWord>,
}

/// Why a question was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    /// Nothing usable in the question (empty, only punctuation or emoji).
    Empty,
    /// No entry matched at all.
    NoMatch,
    /// Entries matched, but not well enough to answer.
    LowConfidence,
    /// The question is about a matter of another administration (a passport, a pension…)
    /// that the knowledge base does not cover; the message names the office.
    OtherOffice,
}

/// The reply to a citizen's question.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// A confident answer.
    Answer {
        id: String,
        question: String,
        /// Markdown answer.
        answer: String,
        /// The answer as safe HTML.
        answer_html: String,
        /// Short plain-text answer for chats (the editor's or derived from the answer).
        answer_text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        source: Option<String>,
        /// When the answer was last checked (`YYYY-MM-DD`, the entry's `reviewed`), shown as
        /// "Aggiornato il …".
        #[serde(skip_serializing_if = "Option::is_none")]
        reviewed: Option<String>,
        /// Written by [`Wire`] (for every kind), not here.
        #[serde(skip)]
        confidence: f32,
        /// Follow-up entries (id, question).
        related: Vec<(String, String)>,
        why: Explanation,
        /// Valid notices concerning this entry (or global), to show before the answer.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notices: Vec<ShownNotice>,
    },
    /// "Forse cercavi…": the best few entries.
    Clarify {
        message: String,
        options: Vec<Candidate>,
        /// Written by [`Wire`] (for every kind), not here.
        #[serde(skip)]
        confidence: f32,
        /// Valid notices concerning the options (or global), to show before them.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notices: Vec<ShownNotice>,
    },
    /// An honest "no answer", with the human channel.
    Decline {
        message: String,
        reason: DeclineReason,
        contacts: Contacts,
        /// The closest entries, for editors (never shown as answers).
        candidates: Vec<Candidate>,
        /// Valid global notices (an office closed, a strike), to show before the message.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        notices: Vec<ShownNotice>,
    },
    /// Greetings, thanks, "sei un robot?"…
    SmallTalk {
        intent: &'static str,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        contacts: Option<Contacts>,
    },
}

/// The one wire format of a reply, used unchanged by the CLI's `--json`, the JSON API and the
/// wasm: the agency, the reply's `kind` and fields, the entry `ids` it offers (best first) and
/// its `confidence` (0 for declines and small talk). The OpenAPI document describes it.
#[derive(Debug, Clone, Serialize)]
pub struct Wire<'a> {
    pub agency: &'a str,
    #[serde(flatten)]
    pub reply: &'a Reply,
    pub ids: Vec<&'a str>,
    pub confidence: f32,
}

impl Reply {
    /// The reply in the wire format, for the agency `agency`.
    pub fn wire<'a>(&'a self, agency: &'a str) -> Wire<'a> {
        Wire {
            agency,
            reply: self,
            ids: self.entry_ids(),
            confidence: self.confidence(),
        }
    }

    /// `answer`, `clarify`, `decline` or `small_talk`.
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Answer { .. } => "answer",
            Reply::Clarify { .. } => "clarify",
            Reply::Decline { .. } => "decline",
            Reply::SmallTalk { .. } => "small_talk",
        }
    }

    /// The entry ids the reply offers, best first (one for an answer, the choices for clarify).
    pub fn entry_ids(&self) -> Vec<&str> {
        match self {
            Reply::Answer { id, .. } => vec![id.as_str()],
            Reply::Clarify { options, .. } => options.iter().map(|c| c.id.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// The notices to show before the reply.
    pub fn notices(&self) -> &[ShownNotice] {
        match self {
            Reply::Answer { notices, .. }
            | Reply::Clarify { notices, .. }
            | Reply::Decline { notices, .. } => notices,
            Reply::SmallTalk { .. } => &[],
        }
    }

    /// Mutable access to the reply's notices (`None` for small talk, which shows none).
    pub(crate) fn notices_mut(&mut self) -> Option<&mut Vec<ShownNotice>> {
        match self {
            Reply::Answer { notices, .. }
            | Reply::Clarify { notices, .. }
            | Reply::Decline { notices, .. } => Some(notices),
            Reply::SmallTalk { .. } => None,
        }
    }

    /// The calibrated confidence of the reply (0 for declines and small talk).
    pub fn confidence(&self) -> f32 {
        match self {
            Reply::Answer { confidence, .. } | Reply::Clarify { confidence, .. } => *confidence,
            _ => 0.0,
        }
    }
}
