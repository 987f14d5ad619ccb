//! Retrieval, the first stage of ranking: the question's weighted terms (and n-grams) are
//! searched in the index with BM25 (phrasings ×`phrase_boost`, answer ×`answer_boost`, tags
//! ×`tags_boost`), and the documents are grouped by entry: an entry's score is its best
//! phrasing document's plus its answer/tags document's. The candidate entries come out best
//! first (ties by entry order) for re-ranking.

use crate::config::MatchConfig;
use crate::hash::FastMap;
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

/// Best first; equal scores in entry order.
pub(crate) fn sort_ranked(ranked: &mut [Scored]) {
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
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

/// Every entry with a document matching the question, best first.
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
    let mut best: FastMap<u32, Scored> =
        FastMap::with_capacity_and_hasher(hits.len(), Default::default());
    let mut body: FastMap<u32, f32> = FastMap::default();
    for (doc, score) in hits {
        let Some(meta) = index.docs.get(doc as usize) else {
            continue;
        };
        match meta.kind {
            DocKind::Phrasing(p) => {
                let s = best.entry(meta.entry).or_insert(Scored::new(meta.entry, p));
                if score > s.score {
                    s.score = score;
                    s.best_phrasing = p;
                }
            }
            DocKind::Body => {
                body.insert(meta.entry, score);
                best.entry(meta.entry).or_insert(Scored::new(meta.entry, 0));
            }
        }
    }
    let mut ranked: Vec<Scored> = best
        .into_values()
        .map(|mut s| {
            s.score += body.get(&s.entry).copied().unwrap_or(0.0);
            s
        })
        .collect();
    sort_ranked(&mut ranked);
    ranked
}
