//! Retrieval, the first stage of ranking: the question's weighted terms (and n-grams) are
//! searched in the index with BM25 (phrasings ×`phrase_boost`, answer ×`answer_boost`, tags
//! ×`tags_boost`), and the documents are grouped by entry: an entry's score is its best
//! phrasing document's plus its answer/tags document's. The best [`RETRIEVAL_DEPTH`]
//! candidate entries come out best first (ties by entry order) for re-ranking.

use crate::config::MatchConfig;
use crate::index::{DocKind, FieldId, KbIndex, TermKey};
use crate::query::Analysed;
use crate::tables::Tables;

/// A candidate entry and its score, as it goes through re-ranking and confidence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub entry: u32,
    pub score: f32,
    pub best_phrasing: u32,
    /// Coverage of the question, once computed (by the re-ranking).
    pub coverage: Option<f32>,
    /// Recall of the entry's best phrasing, once computed (by the re-ranking).
    pub recall: Option<f32>,
    /// Closeness in meaning to the question (0–1), when the engine has a semantic stage.
    pub semantic: Option<f32>,
}

impl Scored {
    pub(crate) fn new(entry: u32, best_phrasing: u32) -> Scored {
        Scored {
            entry,
            score: 0.0,
            best_phrasing,
            coverage: None,
            recall: None,
            semantic: None,
        }
    }
}

/// How many candidate entries retrieval passes on, best first. The later stages look at the
/// head only (re-ranking the first 20, decisions and choices the first few); a KB of up to
/// this many entries keeps every matching entry, so its replies are those of a full sort.
pub const RETRIEVAL_DEPTH: usize = 1_000;

/// The order of candidates: best first, equal scores in entry order (a total order).
fn better(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry))
}

/// Best first; equal scores in entry order.
pub(crate) fn sort_ranked(ranked: &mut [Scored]) {
    ranked.sort_by(better);
}

/// An entry's score: its best phrasing's plus its body's.
fn with_body((mut s, body): (Scored, f32)) -> Scored {
    s.score += body;
    s
}

/// The best [`RETRIEVAL_DEPTH`] of `ranked`, sorted: a selection in linear time, then a sort
/// of the head only (the order being total, the same head as a full sort's).
fn keep_best(ranked: &mut Vec<Scored>) {
    if ranked.len() > RETRIEVAL_DEPTH {
        ranked.select_nth_unstable_by(RETRIEVAL_DEPTH - 1, better);
        ranked.truncate(RETRIEVAL_DEPTH);
    }
    ranked.sort_unstable_by(better);
}

/// The boosted term queries of the question, as (field, term, boost).
fn clauses<'q>(
    a: &'q Analysed,
    tables: &Tables,
    config: &MatchConfig,
) -> Vec<(FieldId, TermKey<'q>, f32)> {
    let mut clauses = Vec::new();
    for (text, weight) in &a.terms {
        let Some(id) = tables.term(text) else {
            continue;
        };
        for (field, boost) in [
            (FieldId::Phrase, config.phrase_boost),
            (FieldId::Answer, config.answer_boost),
            (FieldId::Tags, config.tags_boost),
        ] {
            if boost > 0.0 {
                clauses.push((field, TermKey::Id(id), boost * weight));
            }
        }
    }
    for (gram, weight) in &a.grams {
        clauses.push((FieldId::Grams, TermKey::Text(gram), *weight));
    }
    clauses
}

/// The best [`RETRIEVAL_DEPTH`] entries with a document matching the question, best first.
pub(crate) fn retrieve(
    index: &KbIndex,
    tables: &Tables,
    config: &MatchConfig,
    a: &Analysed,
) -> Vec<Scored> {
    let clauses = clauses(a, tables, config);
    if clauses.is_empty() {
        return Vec::new();
    }
    let hits = index.search(&clauses);
    // An entry's documents are contiguous (its phrasings, then its body) and the hits come in
    // document order: one pass groups them, no map.
    let mut ranked: Vec<Scored> = Vec::new();
    let mut current: Option<(Scored, f32)> = None;
    for (doc, score) in hits {
        let Some(meta) = index.docs.get(doc as usize) else {
            continue;
        };
        if current.is_some_and(|(s, _)| s.entry != meta.entry) {
            ranked.extend(current.take().map(with_body));
        }
        match meta.kind {
            DocKind::Phrasing(p) => {
                let (s, _) = current.get_or_insert((Scored::new(meta.entry, p), 0.0));
                if score > s.score {
                    s.score = score;
                    s.best_phrasing = p;
                }
            }
            DocKind::Body => {
                let (_, body) = current.get_or_insert((Scored::new(meta.entry, 0), 0.0));
                *body = score;
            }
        }
    }
    ranked.extend(current.map(with_body));
    keep_best(&mut ranked);
    ranked
}
