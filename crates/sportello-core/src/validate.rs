//! Checks across entries: duplicate ids, a phrasing in two entries, related links to missing
//! ids, sizes (of an entry, of the whole KB, the number of entries), and (as warnings)
//! near-duplicate questions. Every check is linear (hash maps) in the size of the KB.

use crate::analysis::{words, AnalysisOptions, Analyzer};
use crate::diag::Diagnostic;
use crate::kb::{Entry, KnowledgeBase};
use crate::load::{MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_KB_BYTES};
use std::collections::{HashMap, HashSet};

/// Broken `related` links for which a close id is looked for (each look is a pass over the ids).
const MAX_RELATED_SUGGESTIONS: usize = 100;

/// The text of an entry, in bytes, as it weighs in the index and in the widget's bundle.
fn entry_bytes(e: &Entry) -> u64 {
    let texts = [e.id.len(), e.question.len(), e.answer.len()]
        .into_iter()
        .chain(e.short_answer.iter().map(String::len))
        .chain(e.office.iter().map(String::len))
        .chain(e.source.iter().map(String::len))
        .chain(e.alternatives.iter().map(String::len))
        .chain(e.tags.iter().map(String::len))
        .chain(e.related.iter().map(String::len));
    texts.map(|n| n as u64).sum()
}

/// Removes the entries whose id an earlier entry already has (reported by [`validate`] as
/// errors), so that what is served is what the report says.
pub fn drop_duplicate_ids(kb: &mut KnowledgeBase) {
    let mut seen = HashSet::new();
    kb.entries.retain(|e| seen.insert(e.id.clone()));
}

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
    let mut out = sizes(kb);
    let by_id = duplicate_ids(kb, &mut out);
    out.extend(shared_phrasings(kb));
    out.extend(broken_related(kb, &by_id));
    out.extend(near_duplicate_questions(kb));
    out.extend(notices(kb));
    out
}

/// Too many entries, an entry too large, a KB too large.
fn sizes(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if kb.entries.len() > MAX_ENTRIES {
        out.push(
            Diagnostic::error(
                format!("base di conoscenza {}", kb.agency.id),
                None,
                format!(
                    "troppe voci: {} (il massimo è {MAX_ENTRIES})",
                    kb.entries.len()
                ),
            )
            .hint("una base di conoscenza per ente: unisci le voci simili o dividi per ente"),
        );
    }
    let mut total = 0u64;
    for e in &kb.entries {
        let size = entry_bytes(e);
        total += size;
        if size > MAX_ENTRY_BYTES {
            let (file, line) = place(e);
            out.push(
                Diagnostic::error(
                    file,
                    line,
                    format!(
                        "la voce «{}» è troppo grande: {} KB (il massimo è {} KB)",
                        e.id,
                        size.div_ceil(1024),
                        MAX_ENTRY_BYTES / 1024
                    ),
                )
                .hint("una voce è una risposta breve: dividi il testo in più voci o metti i documenti lunghi su una pagina web e collegala"),
            );
        }
    }
    if total > MAX_KB_BYTES {
        out.push(
            Diagnostic::error(
                format!("base di conoscenza {}", kb.agency.id),
                None,
                format!(
                    "la base di conoscenza è troppo grande: {} MB di testo (il massimo è {} MB)",
                    total.div_ceil(1 << 20),
                    MAX_KB_BYTES >> 20
                ),
            )
            .hint("accorcia le risposte più lunghe o dividi la base di conoscenza"),
        );
    }
    out
}

/// An id used twice (the later entry is the one reported, and dropped); returns the first
/// entry of each id.
fn duplicate_ids<'k>(
    kb: &'k KnowledgeBase,
    out: &mut Vec<Diagnostic>,
) -> HashMap<&'k str, &'k Entry> {
    let mut by_id: HashMap<&str, &Entry> = HashMap::new();
    for e in &kb.entries {
        if let Some(first) = by_id.get(e.id.as_str()) {
            let (file, line) = place(e);
            out.push(
                Diagnostic::error(
                    file,
                    line,
                    format!(
                        "identificativo «{}» duplicato: è già usato da {} (questa voce è esclusa)",
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
    by_id
}

/// A phrasing repeated in one entry (a warning) or found in two entries (an error).
fn shared_phrasings(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut phrasings: HashMap<String, &Entry> = HashMap::new();
    for e in &kb.entries {
        let mut own: HashSet<String> = HashSet::new();
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
            own.insert(key.clone());
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
    out
}

/// `related` pointing to the entry itself (a warning) or to no entry (an error, with the
/// closest id for the first [`MAX_RELATED_SUGGESTIONS`]).
fn broken_related(kb: &KnowledgeBase, by_id: &HashMap<&str, &Entry>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut suggestions = 0;
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
                suggestions += 1;
                let close = by_id
                    .keys()
                    .take_while(|_| suggestions <= MAX_RELATED_SUGGESTIONS)
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
    out
}

/// Near-duplicate main questions (warnings): the same content stems, in any order.
fn near_duplicate_questions(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
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

/// Checks of the notices: a window that ends before it starts, entry ids that do not exist,
/// topics no entry has, two notices with one id.
fn notices(kb: &KnowledgeBase) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let ids: HashSet<&str> = kb.entries.iter().map(|e| e.id.as_str()).collect();
    let tags: HashSet<String> = kb
        .entries
        .iter()
        .flat_map(|e| e.tags.iter().map(|t| t.to_lowercase()))
        .collect();
    let mut seen: HashMap<&str, &crate::kb::Notice> = HashMap::new();
    for n in &kb.notices {
        let at = |field: &str| match &n.origin {
            Some(o) => (o.file.clone(), Some(o.line_of(field))),
            None => (format!("avviso {}", n.id), None),
        };
        if let Some(first) = seen.insert(&n.id, n) {
            let (file, line) = at("title");
            let other = first.origin.as_ref().map_or("?", |o| o.file.as_str());
            out.push(
                Diagnostic::error(
                    file,
                    line,
                    format!("l'avviso «{}» c'è già in {other}", n.id),
                )
                .hint("rinomina uno dei due file: l'id di un avviso è il nome del file"),
            );
        }
        if let Ok((Some(from), Some(until))) = crate::notices::window(n) {
            if until < from {
                let (file, line) = at("until");
                out.push(
                    Diagnostic::error(file, line, format!("«until» ({}) viene prima di «from» ({}): l'avviso non sarebbe mai mostrato", n.until.as_deref().unwrap_or_default(), n.from.as_deref().unwrap_or_default()))
                        .field("until")
                        .hint("from è il primo momento in cui l'avviso si vede, until l'ultimo"),
                );
            }
        }
        for id in n.entries.iter().filter(|id| !ids.contains(id.as_str())) {
            let (file, line) = at("entries");
            out.push(
                Diagnostic::error(
                    file,
                    line,
                    format!("l'avviso cita la voce «{id}», che non esiste"),
                )
                .field("entries")
                .hint("usa l'id di una voce (il nome del suo file in entries/ senza .md)"),
            );
        }
        for t in n
            .topics
            .iter()
            .filter(|t| !tags.contains(&t.to_lowercase()))
        {
            let (file, line) = at("topics");
            out.push(
                Diagnostic::warning(file, line, format!("nessuna voce ha il tema «{t}»: l'avviso non sarà mostrato con nessuna risposta"))
                    .field("topics")
                    .hint("usa uno dei «tags» delle voci, oppure togli «topics» per un avviso mostrato con ogni risposta"),
            );
        }
    }
    out
}
