//! The semantic stage's interface: a sentence [`Encoder`] turns texts into unit vectors whose
//! dot product measures closeness of meaning. The core knows no model; the native crate
//! `sportello-semantic` implements this trait (multilingual-e5-small), and
//! [`crate::Engine::with_encoder`] attaches one to an engine. The wasm build has none.

/// A sentence encoder shared by the engines of a process.
pub trait Encoder: Send + Sync {
    /// Names the model and its weights: vectors of different ids are not comparable.
    fn id(&self) -> &str;
    /// The dimension of the vectors.
    fn dim(&self) -> usize;
    /// The L2-normalised vector of a question (or of a phrasing compared with questions).
    fn embed_query(&self, text: &str) -> Vec<f32>;
    /// The vectors of many texts (an implementation may spread them over threads).
    fn embed_queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        texts.iter().map(|t| self.embed_query(t)).collect()
    }
    /// The vectors of documents compared with questions (answers): e5's "passage: " side.
    /// By default the same as [`Encoder::embed_queries`].
    fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_queries(texts)
    }
}

// The stage itself (embedding the KB, closeness, fusion) is behind the default `semantic`
// feature: the wasm build never has an encoder, so it leaves the code out.
#[cfg(feature = "semantic")]
mod stage;
#[cfg(feature = "semantic")]
pub use stage::SEMANTIC_DEPTH;
#[cfg(feature = "semantic")]
pub(crate) use stage::{fuse, SemanticIndex};
