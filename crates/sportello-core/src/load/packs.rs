//! Shared packs: `extends = ["../pacchetto-nazionale"]` in agency.toml merges the entries and
//! notices of other folders (a region's or a national body's, maintained once) into the
//! agency's KB. A pack is a folder with `entries/`, optionally `notices/` and `pack.toml`
//! (`name`, `note`, `synonyms`); packs do not extend others.
//!
//! The agency wins: its own entry or notice with a pack's id replaces the pack's, `exclude`
//! leaves pack items out, its contacts are the only ones, and a pack's synonym group that
//! shares a word with one of the agency's is dropped. Two packs with the same id are a
//! conflict that `check` reports naming both files (the duplicate-id check of `validate`).

use super::fs::{read_bounded, read_entries, read_notices};
use super::LoadError;
use super::MAX_ENTRY_BYTES;
use crate::diag::{line_of, Diagnostic};
use crate::kb::KnowledgeBase;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

/// `pack.toml`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PackFile {
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(default)]
    synonyms: Vec<Vec<String>>,
}

/// A small text file of a folder (agency.toml, pack.toml); empty when unreadable or too
/// large (the loader reports those).
fn small_text(path: &Path) -> String {
    read_bounded(path, MAX_ENTRY_BYTES)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The pack folders the agency.toml in `dir` extends (those that exist), without reading
/// their entries.
pub(super) fn pack_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let text = small_text(&dir.join("agency.toml"));
    #[derive(Deserialize)]
    struct Extends {
        #[serde(default)]
        extends: Vec<String>,
    }
    // Only the `extends` key matters here; a broken file is the loader's to report.
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        return Vec::new();
    };
    let extends = toml::Value::Table(table)
        .try_into::<Extends>()
        .map(|e| e.extends)
        .unwrap_or_default();
    extends
        .iter()
        .map(|rel| lexically_clean(&dir.join(rel)))
        .filter(|p| p.is_dir())
        .collect()
}

/// The line of `key = …` in agency.toml, for messages.
fn key_line(text: &str, key: &str) -> Option<usize> {
    let at = text.lines().position(|l| {
        l.trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })?;
    Some(at + 1)
}

/// Merges the packs `kb`'s agency extends (paths relative to `dir`) into `kb`.
pub(super) fn merge(
    dir: &Path,
    kb: &mut KnowledgeBase,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let agency_path = dir.join("agency.toml");
    let agency_file = agency_path.display().to_string();
    let text = small_text(&agency_path);
    let (extends_line, exclude_line) = (key_line(&text, "extends"), key_line(&text, "exclude"));
    let own: HashSet<String> = kb.entries.iter().map(|e| e.id.clone()).collect();
    let own_notices: HashSet<String> = kb.notices.iter().map(|n| n.id.clone()).collect();
    let excluded: HashSet<&str> = kb.agency.exclude.iter().map(String::as_str).collect();
    let own_words: HashSet<String> = kb
        .agency
        .synonyms
        .iter()
        .flatten()
        .map(|w| w.to_lowercase())
        .collect();
    let mut used = HashSet::new();
    let (mut entries, mut notices, mut synonyms) = (Vec::new(), Vec::new(), Vec::new());
    for rel in kb.agency.extends.clone() {
        let pack = lexically_clean(&dir.join(&rel));
        let same = std::fs::canonicalize(&pack).ok() == std::fs::canonicalize(dir).ok();
        if !pack.is_dir() || same {
            let why = if same {
                "è la cartella stessa dell'ente"
            } else {
                "cartella non trovata"
            };
            diags.push(
                Diagnostic::error(&agency_file, extends_line, format!("pacchetto «{rel}»: {why}"))
                    .field("extends")
                    .hint("indica la cartella del pacchetto relativa a quella dell'ente, per esempio extends = [\"../pacchetto-nazionale\"]"),
            );
            continue;
        }
        synonyms.extend(
            read_pack_file(&pack, diags)
                .synonyms
                .into_iter()
                .filter(|g| !g.iter().any(|w| own_words.contains(&w.to_lowercase()))),
        );
        for e in read_entries(&pack, true, diags)? {
            if excluded.contains(e.id.as_str()) {
                used.insert(e.id.clone());
            } else if !own.contains(&e.id) {
                entries.push(e);
            }
        }
        for n in read_notices(&pack, diags)? {
            if excluded.contains(n.id.as_str()) {
                used.insert(n.id.clone());
            } else if !own_notices.contains(&n.id) {
                notices.push(n);
            }
        }
    }
    for id in kb.agency.exclude.iter().filter(|id| !used.contains(*id)) {
        diags.push(
            Diagnostic::warning(
                &agency_file,
                exclude_line,
                format!("«exclude»: nessun pacchetto ha la voce o l'avviso «{id}»"),
            )
            .field("exclude")
            .hint("controlla l'id (il nome del file senza .md) o toglilo da exclude"),
        );
    }
    kb.entries.extend(entries);
    kb.notices.extend(notices);
    kb.agency.synonyms.extend(synonyms);
    Ok(())
}

/// `a/b/../c` as `a/c` (for the file names in messages), without touching the file system.
fn lexically_clean(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `pack.toml` of a pack (optional); a broken one is reported and read as empty.
fn read_pack_file(pack: &Path, diags: &mut Vec<Diagnostic>) -> PackFile {
    let path = pack.join("pack.toml");
    if !path.is_file() {
        return PackFile::default();
    }
    let text = small_text(&path);
    match toml::from_str::<PackFile>(&text) {
        Ok(p) => p,
        Err(e) => {
            let line = e.span().map(|s| line_of(&text, s.start));
            diags.push(
                Diagnostic::error(
                    path.display().to_string(),
                    line,
                    format!("pack.toml non valido: {}", e.message().trim()),
                )
                .hint("pack.toml può contenere name, note e synonyms"),
            );
            PackFile::default()
        }
    }
}
