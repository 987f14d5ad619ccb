//! Reading a knowledge base from the file system.

use super::{
    from_flat_file, parse_agency, parse_csv, parse_entry_file, parse_jsonl, parse_smalltalk,
    Format, LoadError, Loaded,
};
use crate::diag::Diagnostic;
use crate::kb::{Agency, KnowledgeBase};
use std::path::{Path, PathBuf};

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn collect_md(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    for item in rd {
        let item = item.map_err(|source| LoadError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = item.path();
        let name = item.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect_md(&path, out, diags)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("md") {
            out.push(path);
        } else {
            diags.push(
                Diagnostic::warning(
                    path.display().to_string(),
                    None,
                    "file ignorato: non è un file .md",
                )
                .hint("le voci vanno in file con estensione .md"),
            );
        }
    }
    Ok(())
}

/// Loads a knowledge base from a folder (native format), a `.jsonl` or a `.csv` file, and validates it.
pub fn load_path(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
    let path = path.as_ref();
    if !path.exists() {
        return Err(LoadError::NotFound {
            path: path.display().to_string(),
        });
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "kb".into());
    let label = path.display().to_string();
    match Format::of_path(path) {
        Some(Format::Jsonl) => {
            let (entries, diags) = parse_jsonl(&label, &read(path)?);
            Ok(from_flat_file(&stem, entries, diags))
        }
        Some(Format::Csv) => {
            let (entries, diags) = parse_csv(&label, &read(path)?);
            Ok(from_flat_file(&stem, entries, diags))
        }
        Some(Format::Native) => load_folder(path, &stem),
        None => Err(LoadError::UnknownFormat { path: label }),
    }
}

fn load_folder(dir: &Path, id: &str) -> Result<Loaded, LoadError> {
    let mut diags = Vec::new();
    let agency_path = dir.join("agency.toml");
    let agency = if agency_path.is_file() {
        let (agency, d) =
            parse_agency(&agency_path.display().to_string(), id, &read(&agency_path)?);
        diags.extend(d);
        agency
    } else {
        diags.push(
            Diagnostic::error(agency_path.display().to_string(), None, "manca il file agency.toml")
                .hint("crea agency.toml con name = \"Nome dell'ente\" e la tabella [contacts] (phone, email, hours, url)"),
        );
        None
    };
    let entries_dir = dir.join("entries");
    let mut files = Vec::new();
    if entries_dir.is_dir() {
        collect_md(&entries_dir, &mut files, &mut diags)?;
    } else {
        diags.push(
            Diagnostic::error(
                entries_dir.display().to_string(),
                None,
                "manca la cartella entries/",
            )
            .hint("metti le voci in entries/, un file .md per voce"),
        );
    }
    files.sort();
    let mut entries = Vec::new();
    for file in &files {
        let id = file
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let (entry, d) = parse_entry_file(&file.display().to_string(), &id, &read(file)?);
        diags.extend(d);
        entries.extend(entry);
    }
    let smalltalk_path = dir.join("smalltalk.toml");
    let smalltalk = if smalltalk_path.is_file() {
        let (s, d) = parse_smalltalk(
            &smalltalk_path.display().to_string(),
            &read(&smalltalk_path)?,
        );
        diags.extend(d);
        s
    } else {
        Vec::new()
    };
    let kb = KnowledgeBase {
        agency: agency.unwrap_or_else(|| Agency {
            id: id.to_string(),
            name: id.to_string(),
            ..Agency::default()
        }),
        entries,
        smalltalk,
    };
    diags.extend(crate::validate::validate(&kb));
    crate::diag::sort(&mut diags);
    Ok(Loaded {
        kb,
        diagnostics: diags,
    })
}
