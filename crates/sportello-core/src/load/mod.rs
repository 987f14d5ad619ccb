//! Reading knowledge bases: the native folder, JSONL and CSV, with located diagnostics.
//!
//! The parsers work on bytes and never touch the file system, so they run in WASM too;
//! [`load_path`] (feature `fs`) reads a folder or file and runs them.

#[cfg(feature = "formats")]
mod csv;
pub mod edit;
mod fields;
mod jsonl;
#[cfg(feature = "formats")]
mod native;
#[cfg(feature = "formats")]
mod notice;

#[cfg(feature = "formats")]
pub use self::csv::{parse_csv, to_csv};
pub use fields::is_valid_date;
pub use jsonl::{parse_jsonl, to_jsonl};
#[cfg(feature = "formats")]
pub use native::{parse_agency, parse_entry_file, parse_smalltalk, to_agency_file, to_entry_file};
#[cfg(feature = "formats")]
pub use notice::parse_notice_file;

use crate::diag::Diagnostic;
use crate::kb::KnowledgeBase;

/// Largest entry: its file in the native format, or its text in any format (question,
/// alternatives, answer…). An FAQ answer is a few hundred words; this is a hundred times that.
pub const MAX_ENTRY_BYTES: u64 = 256 * 1024;
/// Largest knowledge base read: a JSONL or CSV file, or the entries of a folder together.
pub const MAX_KB_BYTES: u64 = 32 * 1024 * 1024;
/// Most entries in one knowledge base.
pub const MAX_ENTRIES: usize = 20_000;
/// Most notices in one knowledge base (`notices/*.md`).
pub const MAX_NOTICES: usize = 1_000;
/// Deepest sub-folder of `entries/` read.
pub const MAX_FOLDER_DEPTH: usize = 8;

/// A knowledge base as read, with every problem found (errors and warnings).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kb: KnowledgeBase,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Failure to read a knowledge base at all (as opposed to problems inside it).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: non trovato (controlla il percorso della base di conoscenza)")]
    NotFound { path: String },
    #[error("{path}: impossibile leggere: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: formato sconosciuto; usa una cartella (formato nativo), un file .jsonl o un file .csv")]
    UnknownFormat { path: String },
}

/// The supported knowledge-base formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A folder with `agency.toml` and `entries/*.md`.
    Native,
    Jsonl,
    Csv,
}

impl Format {
    /// The format of a path, from its extension (a folder is native).
    #[cfg(feature = "fs")]
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        if path.is_dir() {
            return Some(Format::Native);
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Builds a knowledge base from entries parsed out of one flat file, then validates it.
pub fn from_flat_file(
    agency_id: &str,
    entries: Vec<crate::kb::Entry>,
    mut diagnostics: Vec<Diagnostic>,
) -> Loaded {
    let mut kb = KnowledgeBase::from_entries(entries);
    kb.agency.id = agency_id.to_string();
    kb.agency.name = agency_id.to_string();
    diagnostics.extend(crate::validate::validate(&kb));
    crate::validate::drop_duplicate_ids(&mut kb);
    crate::diag::sort(&mut diagnostics);
    Loaded { kb, diagnostics }
}

#[cfg(feature = "fs")]
mod fs;
#[cfg(feature = "fs")]
mod packs;
#[cfg(feature = "fs")]
mod serving;
#[cfg(feature = "fs")]
pub use fs::load_path;
#[cfg(feature = "fs")]
pub use serving::{for_serving, sources, Refused};
