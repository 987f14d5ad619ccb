//! Checks across entries: duplicate ids, a phrasing in two entries, related links to missing
//! ids, and (as warnings) near-duplicate questions.

use crate::analysis::{words, AnalysisOptions, Analyzer};
use crate::diag::Diagnostic;
use crate::kb::{Entry, KnowledgeBase};
use std::collections::HashMap;

fn place(e: &Entry) -> (String, Option<usize>) {
    match &e.origin {
        Some(o) => (o.file.clone(), Some(o.line)),
        None => (format!("voce {}", e.id), None),
    }
}

/// Where one field of an entry was written (its own line when known).
fn place_field(e: &Entry, field: &str) -> (String, Option<usize>) {
    match &e.origin {
        Some(o) => (o.file.clone(), Some(o.line_of(field))),
        None => (format!("voce {}", e.id), None),
    }
}

fn describe(e: &Entry) -> String {
    match &e.origin {
        Some(o) if o.file.ends_with(".md") => format!("«{}» ({})", e.id, o.file),
        Some(o) => format!("«{}» ({}:{})", e.id, o.file, o.line),
        None => format!("«{}»", e.id),
    }
}

/// Normal form of a phrasing for duplicate detection: folded words joined by spaces.
fn phrasing_key(text: &str) -> String {
    words(text)
        .into_iter()
        .map(|w| w.folded)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Validates the whole knowledge base; returns every problem found.
pub fn validate(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut by_id: HashMap<&str, &Entry> = HashMap::new();
    for e in &kb.entries {
        if let Some(first) = by_id.get(e.id.as_str()) {
            let (file, line) = place(e);
            out.push(
                Diagnostic::error(
                    file,
                    line,
                    format!(
                        "identificativo «{}» duplicato: è già usato da {}",
                        e.id,
                        describe(first)
                    ),
                )
                .field("id")
                .hint("dai a ogni voce un identificativo diverso"),
            );
        } else {
            by_id.insert(&e.id, e);
        }
    }
    let mut phrasings: HashMap<String, &Entry> = HashMap::new();
    for e in &kb.entries {
        let mut own: Vec<String> = Vec::new();
        for p in e.phrasings() {
            let key = phrasing_key(p);
            if key.is_empty() {
                continue;
            }
            let field = if p == e.question {
                "question"
            } else {
                "alternatives"
            };
            if own.contains(&key) {
                let (file, line) = place_field(e, field);
                out.push(
                    Diagnostic::warning(
                        file,
                        line,
                        format!("la frase «{p}» è ripetuta nella stessa voce"),
                    )
                    .field(field)
                    .hint("togli la ripetizione"),
                );
                continue;
            }
            own.push(key.clone());
            match phrasings.get(&key) {
                Some(other) if other.id != e.id => {
                    let (file, line) = place_field(e, field);
                    out.push(
                        Diagnostic::error(file, line, format!("la frase «{p}» compare anche nella voce {}", describe(other)))
                            .field(field)
                            .hint("una frase deve portare a una sola voce: tienila dove risponde meglio e toglila dall'altra"),
                    );
                }
                _ => {
                    phrasings.insert(key, e);
                }
            }
        }
    }
    for e in &kb.entries {
        for r in &e.related {
            if r == &e.id {
                let (file, line) = place_field(e, "related");
                out.push(
                    Diagnostic::warning(file, line, format!("la voce «{r}» rimanda a se stessa"))
                        .field("related")
                        .hint("togli il proprio identificativo da related"),
                );
            } else if !by_id.contains_key(r.as_str()) {
                let (file, line) = place_field(e, "related");
                let close = by_id
                    .keys()
                    .map(|k| (crate::analysis::typo::edit_distance(r, k, 3), *k))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let hint = match close {
                    Some((_, k)) => format!("forse intendevi «{k}»?"),
                    None => "correggi l'identificativo o toglilo da related".to_string(),
                };
                out.push(
                    Diagnostic::error(
                        file,
                        line,
                        format!("related rimanda a «{r}», che non esiste"),
                    )
                    .field("related")
                    .hint(hint),
                );
            }
        }
    }
    // Near-duplicate main questions: the same content stems, in any order.
    let analyzer = Analyzer::italian(
        &[],
        AnalysisOptions {
            synonyms: false,
            ..AnalysisOptions::default()
        },
    );
    let mut seen: HashMap<Vec<String>, &Entry> = HashMap::new();
    for e in &kb.entries {
        let mut stems: Vec<String> = analyzer
            .analyze(&e.question)
            .into_iter()
            .map(|t| t.text)
            .collect();
        stems.sort();
        stems.dedup();
        if stems.is_empty() {
            continue;
        }
        match seen.get(&stems) {
            Some(other)
                if other.id != e.id
                    && phrasing_key(&other.question) != phrasing_key(&e.question) =>
            {
                let (file, line) = place(e);
                out.push(
                    Diagnostic::warning(file, line, format!("la domanda è quasi uguale a quella di {}", describe(other)))
                        .field("question")
                        .hint("se le voci rispondono alla stessa cosa, uniscile; altrimenti rendi le domande più specifiche"),
                );
            }
            Some(_) => {}
            None => {
                seen.insert(stems, e);
            }
        }
    }
    out
}
