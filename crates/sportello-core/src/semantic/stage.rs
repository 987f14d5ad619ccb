//! The semantic stage: every phrasing (and answer) embedded when an encoder is attached, the
//! question's closeness to each entry, and its fusion with the lexical ranking.

use super::Encoder;
use crate::config::MatchConfig;
use crate::kb::KnowledgeBase;
use crate::retrieval::{sort_ranked, Scored};
use std::sync::Arc;

/// How many of the entries closest in meaning join the lexical candidates, so that a
/// question sharing no word with its entry can still find it.
pub const SEMANTIC_DEPTH: usize = 10;

/// The semantic stage of one knowledge base: the vector of every phrasing (main question and
/// alternatives), computed once when the engine is built, and the shared encoder that embeds
/// the questions.
pub(crate) struct SemanticIndex {
    encoder: Arc<dyn Encoder>,
    dim: usize,
    /// One vector per phrasing, `dim` values each.
    vectors: Vec<f32>,
    /// The entry and the phrasing (its position in [`crate::kb::Entry::phrasings`]) of each
    /// vector.
    owners: Vec<(u32, u32)>,
    /// One vector per entry: its answer (empty when answers are not embedded).
    answers: Vec<f32>,
    entries: usize,
}

/// An entry's closeness in meaning to a question: the best cosine over its phrasings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Closeness {
    pub cosine: f32,
    pub phrasing: u32,
}

impl SemanticIndex {
    /// Embeds every phrasing of `kb` with `encoder`.
    pub fn build(
        kb: &KnowledgeBase,
        encoder: Arc<dyn Encoder>,
        with_answers: bool,
    ) -> SemanticIndex {
        let mut texts = Vec::new();
        let mut owners = Vec::new();
        for (e, entry) in kb.entries.iter().enumerate() {
            for (p, text) in entry.phrasings().enumerate() {
                texts.push(text);
                owners.push((e as u32, p as u32));
            }
        }
        let dim = encoder.dim();
        // A vector of another size would misalign every later one: pad or cut it.
        let flat = |vs: Vec<Vec<f32>>| -> Vec<f32> {
            vs.iter()
                .flat_map(|v| v.iter().copied().chain(std::iter::repeat(0.0)).take(dim))
                .collect()
        };
        let vectors = flat(encoder.embed_queries(&texts));
        let answers = if with_answers {
            let answers: Vec<&str> = kb
                .entries
                .iter()
                .map(|e| cut(&e.answer, ANSWER_CHARS))
                .collect();
            flat(encoder.embed_passages(&answers))
        } else {
            Vec::new()
        };
        SemanticIndex {
            encoder,
            dim,
            vectors,
            owners,
            answers,
            entries: kb.entries.len(),
        }
    }

    /// The encoder's name and weights.
    pub fn model(&self) -> &str {
        self.encoder.id()
    }

    /// Per entry, its closeness to `question` (cosine −1 when it has no phrasing); `None`
    /// when the encoder gave no usable vector (then the stage adds no evidence).
    pub fn closeness(&self, question: &str, answer_share: f32) -> Option<Vec<Closeness>> {
        let q = self.encoder.embed_query(question);
        if q.len() != self.dim || self.dim == 0 || !q.iter().all(|x| x.is_finite()) {
            return None;
        }
        let mut best = vec![
            Closeness {
                cosine: -1.0,
                phrasing: 0,
            };
            self.entries
        ];
        for (v, &(e, p)) in self.vectors.chunks_exact(self.dim).zip(&self.owners) {
            let cosine = dot(v, &q);
            let b = &mut best[e as usize];
            if cosine > b.cosine {
                *b = Closeness {
                    cosine,
                    phrasing: p,
                };
            }
        }
        if !self.answers.is_empty() && answer_share > 0.0 {
            for (v, b) in self.answers.chunks_exact(self.dim).zip(best.iter_mut()) {
                let cosine = dot(v, &q);
                b.cosine = (1.0 - answer_share) * b.cosine + answer_share * cosine;
            }
        }
        Some(best)
    }
}

/// The dot product of two vectors (their cosine, both being unit vectors).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// How much of an answer is embedded (its opening says what it is about).
const ANSWER_CHARS: usize = 1000;

/// The first `max` characters of `text` (at a character boundary).
fn cut(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(i, _)| &text[..i])
}

/// A cosine as a share of the range where the encoder tells related from unrelated questions
/// (`semantic_low` … `semantic_high`), 0–1.
pub(crate) fn scaled(cosine: f32, config: &MatchConfig) -> f32 {
    let span = (config.semantic_high - config.semantic_low).max(1e-3);
    ((cosine - config.semantic_low) / span).clamp(0.0, 1.0)
}

/// Fuses lexical and semantic evidence: the [`SEMANTIC_DEPTH`] entries closest in meaning join
/// the candidates, and every candidate's score becomes `(1 − w) × lexical + w × semantic`, the
/// lexical score relative to the best one and the semantic one [`scaled`]. Each candidate
/// keeps its scaled closeness for the confidence.
pub(crate) fn fuse(ranked: &mut Vec<Scored>, close: &[Closeness], config: &MatchConfig) {
    let w = config.semantic_weight.clamp(0.0, 1.0);
    let mut nearest: Vec<u32> = (0..close.len() as u32).collect();
    let closer = |a: &u32, b: &u32| {
        close[*b as usize]
            .cosine
            .total_cmp(&close[*a as usize].cosine)
            .then(a.cmp(b))
    };
    // Only the closest few are wanted: no sort of every entry on each question.
    if nearest.len() > SEMANTIC_DEPTH {
        nearest.select_nth_unstable_by(SEMANTIC_DEPTH, closer);
        nearest.truncate(SEMANTIC_DEPTH);
    }
    nearest.sort_by(closer);
    for e in nearest.into_iter().take(SEMANTIC_DEPTH) {
        if !ranked.iter().any(|s| s.entry == e) {
            ranked.push(Scored::new(e, close[e as usize].phrasing));
        }
    }
    // Re-ranking re-scored only the head: the tail's scores are capped at the head's lowest,
    // so that fusing keeps the lexical order.
    let head = ranked.len().min(crate::rerank::RERANK_DEPTH);
    let floor = ranked[..head]
        .iter()
        .map(|s| s.score)
        .fold(f32::MAX, f32::min);
    for s in &mut ranked[head..] {
        s.score = s.score.min(floor);
    }
    let top = ranked.iter().map(|s| s.score).fold(0.0f32, f32::max);
    for s in ranked.iter_mut() {
        let lexical = if top > 0.0 { s.score / top } else { 0.0 };
        let c = close.get(s.entry as usize).map_or(-1.0, |c| c.cosine);
        let semantic = scaled(c, config);
        if lexical == 0.0 {
            // Found by meaning only: its best phrasing is the closest one.
            s.best_phrasing = close.get(s.entry as usize).map_or(0, |c| c.phrasing);
        }
        s.semantic = Some(semantic);
        s.score = (1.0 - w) * lexical + w * semantic;
    }
    sort_ranked(ranked);
}
