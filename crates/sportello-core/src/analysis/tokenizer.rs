//! The Italian analyzer as a tantivy tokenizer, so the index and the questions agree.

use super::{Analyzer, Term};
use crate::hash::FastMap;
use std::sync::{Arc, Mutex};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Texts already analysed (by the engine, while building its own tables), so that the index
/// does not analyse them a second time. Each is taken once; texts not in it are analysed.
pub type Prepared = Arc<Mutex<FastMap<String, Vec<Term>>>>;

/// Name under which the Italian tokenizer is registered in the index.
pub const ITALIAN: &str = "sportello_it";

/// Tantivy tokenizer running the full Italian [`Analyzer`] pipeline.
#[derive(Clone)]
pub struct ItalianTokenizer {
    analyzer: Arc<Analyzer>,
    prepared: Prepared,
}

impl ItalianTokenizer {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        ItalianTokenizer::with_prepared(analyzer, Prepared::default())
    }

    /// A tokenizer that takes the terms of `prepared` texts instead of analysing them again.
    pub fn with_prepared(analyzer: Arc<Analyzer>, prepared: Prepared) -> Self {
        ItalianTokenizer { analyzer, prepared }
    }
}

/// A token stream over terms analysed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for ItalianTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let ready = self.prepared.lock().ok().and_then(|mut m| m.remove(text));
        let mut terms = ready.unwrap_or_else(|| self.analyzer.analyze(text));
        // tantivy wants positions in order.
        terms.sort_by_key(|t| t.position);
        let tokens = terms
            .into_iter()
            .map(|t| Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        VecTokenStream { tokens, next: 0 }
    }
}

/// Name of the character n-gram tokenizer.
pub const NGRAMS: &str = "sportello_ngrams";

/// Tantivy tokenizer emitting the character n-grams of the content words.
#[derive(Clone)]
pub struct NgramTokenizer;

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let mut grams = Vec::new();
        for w in super::words(text).into_iter().filter(|w| !w.stop) {
            grams.clear();
            super::char_ngrams(&w.folded, &mut grams);
            for g in grams.drain(..) {
                tokens.push(Token {
                    offset_from: w.from,
                    offset_to: w.to,
                    position: w.position,
                    text: g,
                    position_length: 1,
                });
            }
        }
        VecTokenStream { tokens, next: 0 }
    }
}
