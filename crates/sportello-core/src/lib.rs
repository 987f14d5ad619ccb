//! # sportello-core
//!
//! The engine of Sportello: it answers citizens' questions from an Italian public
//! administration's FAQ knowledge base, with a calibrated confidence, and declines honestly
//! (pointing to the agency's human contacts) when it does not know.
//!
//! - [`kb`]: the knowledge-base model; [`load`]: reading the native folder, JSONL and CSV with
//!   located [`diag`]nostics; [`validate`]: checks across entries.
//! - [`analysis`]: Italian text analysis (elisions, accents, stop words, stemming, synonyms,
//!   typos), also registered as a tantivy tokenizer; [`index`]: the inverted index, built by
//!   tantivy in RAM and searched with the same BM25.
//! - [`Engine`]: `ask` (answer / "Forse cercavi…" / decline / small talk) and `search`, running
//!   the stages in order: [`smalltalk`], [`query`] analysis, [`retrieval`], [`rerank`] (with the
//!   [`overlap`] measures), [`confidence`] features, [`decision`], composing the [`reply`]
//!   (sentences in [`messages`]); [`MatchConfig`] (in [`config`]); [`render`]: Markdown to safe HTML.
//! - [`bundle`]: what the web widget downloads for one agency (`bundle.json` with the rendered
//!   answers, `bundle.bin` with the engine's [`prebuilt`] tables and index, so that the
//!   browser does not build them).
//! - [`redact`]: personal data and control characters out of questions before they are
//!   stored or printed (a hand-written scanner, also usable in WebAssembly).
//! - [`eval`]: the metrics of the project's evaluation format, and a plain BM25 baseline.
//!
//! The engine does no I/O (file loading is behind the default `fs` feature) and uses no
//! threads, so it also runs in WebAssembly; without the default `index` feature it opens
//! engines from prebuilt data only and needs no tantivy (what the web widget does).
//!
//! ```
//! use sportello_core::{Engine, Entry, KnowledgeBase, Reply};
//! let kb = KnowledgeBase::from_entries(vec![Entry {
//!     id: "cie-costo".into(),
//!     question: "Quanto costa la carta d'identità elettronica?".into(),
//!     answer: "Costa 22,21 euro.".into(),
//!     ..Entry::default()
//! }]);
//! let engine = Engine::new(kb).unwrap();
//! match engine.ask("quanto costa la carta di identita") {
//!     Reply::Answer { id, .. } => assert_eq!(id, "cie-costo"),
//!     other => panic!("unexpected reply: {other:?}"),
//! }
//! ```

pub mod analysis;
pub mod bundle;
pub mod config;
pub mod context;
pub mod date;
pub mod diag;
pub mod engine;
pub mod eval;
pub mod hash;
pub mod index;
pub mod kb;
pub mod lifecycle;
pub mod load;
pub mod messages;
pub mod notices;
pub mod prebuilt;
pub mod redact;
pub mod render;
pub mod semantic;
mod tables;
pub mod validate;

// The stages of a question, in order (see `engine`).
mod compose;
pub mod confidence;
pub mod decision;
pub mod overlap;
pub mod query;
pub mod reply;
pub mod rerank;
pub mod retrieval;
pub mod smalltalk;

pub use config::MatchConfig;
pub use context::{AskContext, Date, Timestamp};
pub use diag::{Diagnostic, Severity};
pub use engine::{Engine, EngineError};
pub use kb::{Agency, Contacts, Entry, KnowledgeBase, Notice, Priority, Thresholds};
pub use reply::{Candidate, DeclineReason, Explanation, Reply, ShownNotice};
pub use semantic::Encoder;
