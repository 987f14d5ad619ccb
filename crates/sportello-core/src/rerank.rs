//! Re-ranking, the second stage of ranking: BM25 rewards repeating a rare word, coverage
//! rewards matching all of the question, so the head of the retrieved list (the best
//! [`RERANK_DEPTH`]) is re-scored by both (and by the entry-side recall) and sorted again.
//!
//! This is the place for further evidence about the same candidates (a semantic similarity,
//! for instance): each signal multiplies the score of the head by `1 − λ + λ × signal`.

use crate::overlap::Overlap;
use crate::query::Analysed;
use crate::retrieval::{sort_ranked, Scored};

/// How many of the best entries are re-ranked.
pub const RERANK_DEPTH: usize = 20;

/// Re-ranks the head of `ranked` (best first) in place.
pub(crate) fn rerank(overlap: &Overlap, a: &Analysed, ranked: &mut [Scored]) {
    let config = overlap.config;
    if config.coverage_rerank <= 0.0 {
        return;
    }
    let lambda = config.coverage_rerank;
    let head = ranked.len().min(RERANK_DEPTH);
    for s in &mut ranked[..head] {
        let mut coverage = overlap.coverage(a, s.entry);
        if config.clause_rerank {
            coverage = overlap.clause_coverage(a, s.entry, coverage);
        }
        s.coverage = Some(coverage);
        s.score *= 1.0 - lambda + lambda * coverage;
        if config.recall_rerank > 0.0 {
            let mu = config.recall_rerank;
            let recall = overlap.phrasing_recall(a, s.entry);
            s.recall = Some(recall);
            s.score *= 1.0 - mu + mu * recall;
        }
    }
    sort_ranked(&mut ranked[..head]);
}
