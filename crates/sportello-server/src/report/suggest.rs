//! From the report to the KB: for each group of questions that got no answer or a "Forse
//! cercavi…", the entry the engine would pick and the group's wording as a new alternative
//! of that entry, for an editor to accept or refuse.

use crate::feedback::{FeedbackError, FeedbackStore};
use sportello_core::Engine;

/// One proposed alternative.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The citizens' wording (redacted), as it would be added.
    pub phrasing: String,
    /// How many stored questions the group has.
    pub count: u64,
    pub entry_id: String,
    pub entry_question: String,
    /// The engine's confidence in that entry for the wording today (0–1).
    pub confidence: f32,
}

/// Words in brackets put by redaction (`[TELEFONO]`): such a wording is no alternative.
fn has_placeholder(text: &str) -> bool {
    text.split('[').skip(1).any(|rest| {
        rest.split_once(']').is_some_and(|(inner, _)| {
            !inner.is_empty() && inner.chars().all(|c| c.is_uppercase() || c == ' ')
        })
    })
}

fn normal(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The suggestions for the engine's agency, most frequent group first (at most `limit`
/// groups read). Wordings already in the KB, with redacted data, or that the engine answers
/// with no entry are left out.
pub fn suggestions(
    store: &dyn FeedbackStore,
    engine: &Engine,
    limit: usize,
) -> Result<Vec<Suggestion>, FeedbackError> {
    let kb = engine.kb();
    let known: std::collections::HashSet<String> = kb
        .entries
        .iter()
        .flat_map(|e| e.phrasings().map(normal))
        .collect();
    let mut out = Vec::new();
    for row in store.report(Some(&kb.agency.id), limit)? {
        if row.unanswered + row.clarified == 0 || has_placeholder(&row.example) {
            continue;
        }
        let phrasing = row.example.trim().to_string();
        if phrasing.chars().count() < 3 || known.contains(&normal(&phrasing)) {
            continue;
        }
        let Some(pick) = engine.search(&phrasing, 1).into_iter().next() else {
            continue;
        };
        out.push(Suggestion {
            phrasing,
            count: row.count,
            entry_id: pick.id,
            entry_question: pick.question,
            confidence: pick.confidence,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        assert!(has_placeholder("chiamate il [TELEFONO] grazie"));
        assert!(has_placeholder("[CODICE FISCALE]"));
        assert!(!has_placeholder("orari [estate]"));
        assert!(!has_placeholder("a [ b"));
    }
}
