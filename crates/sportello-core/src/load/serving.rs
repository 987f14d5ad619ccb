//! The one loading policy of every adapter (`sportello ask`/`chat`/`eval`, `sportello build`,
//! `sportello serve` and its reloads): load the KB (and the packs it extends), validate it,
//! and refuse it when it has any error or no entry, so that what is served is exactly what
//! `sportello check` passes. Warnings are kept for the caller to show.

use super::{load_path, LoadError, Loaded};
use crate::diag::Diagnostic;
use std::path::{Path, PathBuf};

/// Why a knowledge base is not served.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{} errori nella base di conoscenza {path} (il primo: {}); correggili (sportello check {path}) e riprova", .errors.len(), .errors[0])]
    Invalid {
        path: String,
        /// Every error found, in file and line order (never empty).
        errors: Vec<Diagnostic>,
    },
    #[error("la base di conoscenza {0} non contiene nessuna voce")]
    Empty(String),
}

/// Loads the KB at `path` for serving: refused when it has an error or no entry.
pub fn for_serving(path: &Path) -> Result<Loaded, Refused> {
    let loaded = load_path(path)?;
    let errors: Vec<Diagnostic> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    if !errors.is_empty() {
        return Err(Refused::Invalid {
            path: path.display().to_string(),
            errors,
        });
    }
    if loaded.kb.entries.is_empty() {
        return Err(Refused::Empty(path.display().to_string()));
    }
    Ok(loaded)
}

/// The folders and files a KB at `path` is read from: itself and the packs its agency.toml
/// extends (so that a watcher reloads when a pack changes too).
pub fn sources(path: &Path) -> Vec<PathBuf> {
    let mut out = vec![path.to_path_buf()];
    if path.is_dir() {
        out.extend(super::packs::pack_dirs(path));
    }
    out
}
