//! Reading a knowledge base from the file system.

use super::{
    from_flat_file, parse_agency, parse_csv, parse_entry_file, parse_jsonl, parse_notice_file,
    parse_smalltalk, Format, LoadError, Loaded, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_FOLDER_DEPTH,
    MAX_KB_BYTES, MAX_NOTICES,
};
use crate::diag::Diagnostic;
use crate::kb::{Agency, KnowledgeBase};
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Reads a regular file, never more than `max` bytes (a link to `/dev/zero` or a file that
/// grows while being read cannot exhaust memory). `Ok(None)` when it is larger.
pub(super) fn read_bounded(path: &Path, max: u64) -> Result<Option<Vec<u8>>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    Ok((bytes.len() as u64 <= max).then_some(bytes))
}

/// Reads a small file of the folder (agency.toml, smalltalk.toml, an entry), or reports it as
/// too large.
fn read_or_report(
    path: &Path,
    max: u64,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Vec<u8>>, LoadError> {
    let bytes = read_bounded(path, max)?;
    if bytes.is_none() {
        diags.push(too_large(path, max, "il file"));
    }
    Ok(bytes)
}

fn too_large(path: &Path, max: u64, what: &str) -> Diagnostic {
    Diagnostic::error(
        path.display().to_string(),
        None,
        format!("{what} è troppo grande: più di {}", human_bytes(max)),
    )
    .hint("una voce è una risposta breve: dividi il testo in più voci o metti i documenti lunghi su una pagina web e collegala")
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MB", n >> 20)
    } else {
        format!("{} KB", n >> 10)
    }
}

/// The walk of `entries/`: folders already entered (by their real path, so a symbolic link
/// to one of them is seen as a cycle), and what has been taken so far against the limits.
struct Walk {
    visited: HashSet<PathBuf>,
    files: Vec<PathBuf>,
    bytes: u64,
    /// Set when a limit was reached: the walk stops and one error says why.
    stopped: bool,
}

fn collect_md(
    walk: &mut Walk,
    dir: &Path,
    depth: usize,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: dir.display().to_string(),
        source,
    };
    let real = std::fs::canonicalize(dir).map_err(io)?;
    if !walk.visited.insert(real.clone()) {
        diags.push(
            Diagnostic::error(
                dir.display().to_string(),
                None,
                format!(
                    "collegamento simbolico a una cartella già letta ({}): le voci verrebbero lette due volte o all'infinito",
                    real.display()
                ),
            )
            .hint("togli il collegamento simbolico, oppure fallo puntare a una cartella fuori da entries/"),
        );
        return Ok(());
    }
    if depth > MAX_FOLDER_DEPTH {
        diags.push(
            Diagnostic::error(
                dir.display().to_string(),
                None,
                format!("cartelle annidate oltre {MAX_FOLDER_DEPTH} livelli in entries/"),
            )
            .hint("tieni le voci in entries/ o in poche sottocartelle"),
        );
        return Ok(());
    }
    let mut items = Vec::new();
    for item in std::fs::read_dir(dir).map_err(io)? {
        items.push(item.map_err(io)?);
    }
    items.sort_by_key(|i| i.file_name());
    for item in items {
        if walk.stopped {
            return Ok(());
        }
        let path = item.path();
        let name = item.file_name().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        // Follows symbolic links (a shared folder of entries may be linked in); the visited
        // set stops cycles.
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        path.display().to_string(),
                        None,
                        format!("impossibile leggere: {e}"),
                    )
                    .hint("un collegamento simbolico che non porta a nulla? toglilo o correggilo"),
                );
                continue;
            }
        };
        if meta.is_dir() {
            collect_md(walk, &path, depth + 1, diags)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("md") && meta.is_file() {
            add_md(walk, dir, path, meta.len(), diags);
        } else {
            report_ignored(&path, meta.is_file(), diags);
        }
    }
    Ok(())
}

/// Adds an entry file to the walk unless a limit (entries, bytes) is reached: then the walk
/// stops with one error.
fn add_md(walk: &mut Walk, dir: &Path, path: PathBuf, len: u64, diags: &mut Vec<Diagnostic>) {
    if walk.files.len() >= MAX_ENTRIES {
        diags.push(
            Diagnostic::error(
                path.display().to_string(),
                None,
                format!("troppe voci: più di {MAX_ENTRIES} file .md in entries/"),
            )
            .hint("una base di conoscenza per ente; le voci oltre il limite non sono lette"),
        );
        walk.stopped = true;
        return;
    }
    walk.bytes += len.min(MAX_ENTRY_BYTES + 1);
    if walk.bytes > MAX_KB_BYTES {
        diags.push(too_large(dir, MAX_KB_BYTES, "l'insieme delle voci"));
        walk.stopped = true;
        return;
    }
    walk.files.push(path);
}

/// A warning for a file of entries/ that is not an entry (another extension, or not a
/// regular file).
fn report_ignored(path: &Path, regular: bool, diags: &mut Vec<Diagnostic>) {
    let d = if regular {
        Diagnostic::warning(
            path.display().to_string(),
            None,
            "file ignorato: non è un file .md",
        )
        .hint("le voci vanno in file con estensione .md")
    } else {
        Diagnostic::warning(
            path.display().to_string(),
            None,
            "ignorato: non è un file normale (dispositivo, socket o pipe)",
        )
        .hint("in entries/ vanno solo file .md")
    };
    diags.push(d);
}

/// Loads a knowledge base from a folder (native format), a `.jsonl` or a `.csv` file, and validates it.
pub fn load_path(path: impl AsRef<Path>) -> Result<Loaded, LoadError> {
    let path = path.as_ref();
    if !path.exists() {
        return Err(LoadError::NotFound {
            path: path.display().to_string(),
        });
    }
    // `sportello check .`: the id is the name of the folder the dot stands for.
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .or_else(|| {
            std::fs::canonicalize(path)
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        })
        .unwrap_or_else(|| "kb".into());
    let label = path.display().to_string();
    match Format::of_path(path) {
        Some(format @ (Format::Jsonl | Format::Csv)) => {
            let Some(bytes) = read_bounded(path, MAX_KB_BYTES)? else {
                let diags = vec![too_large(path, MAX_KB_BYTES, "il file")];
                return Ok(from_flat_file(&stem, Vec::new(), diags));
            };
            let (entries, diags) = if format == Format::Jsonl {
                parse_jsonl(&label, &bytes)
            } else {
                parse_csv(&label, &bytes)
            };
            Ok(from_flat_file(&stem, entries, diags))
        }
        Some(Format::Native) => load_folder(path, &stem),
        None => Err(LoadError::UnknownFormat { path: label }),
    }
}

fn load_folder(dir: &Path, id: &str) -> Result<Loaded, LoadError> {
    let mut diags = Vec::new();
    let agency = read_agency(dir, id, &mut diags)?;
    let entries = read_entries(dir, true, &mut diags)?;
    let notices = read_notices(dir, &mut diags)?;
    let smalltalk = match optional_file(&dir.join("smalltalk.toml"), &mut diags)? {
        Some((file, bytes)) => {
            let (s, d) = parse_smalltalk(&file, &bytes);
            diags.extend(d);
            s
        }
        None => Vec::new(),
    };
    let mut kb = KnowledgeBase {
        agency: agency.unwrap_or_else(|| Agency {
            id: id.to_string(),
            name: id.to_string(),
            ..Agency::default()
        }),
        entries,
        smalltalk,
        notices,
    };
    super::packs::merge(dir, &mut kb, &mut diags)?;
    diags.extend(crate::validate::validate(&kb));
    crate::validate::drop_duplicate_ids(&mut kb);
    crate::diag::sort(&mut diags);
    Ok(Loaded {
        kb,
        diagnostics: diags,
    })
}

/// A file of the folder that may be missing: its name and bytes when present and readable.
fn optional_file(
    path: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<(String, Vec<u8>)>, LoadError> {
    if !path.is_file() {
        return Ok(None);
    }
    Ok(read_or_report(path, MAX_ENTRY_BYTES, diags)?.map(|b| (path.display().to_string(), b)))
}

fn read_agency(
    dir: &Path,
    id: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<Agency>, LoadError> {
    let path = dir.join("agency.toml");
    match optional_file(&path, diags)? {
        Some((file, bytes)) => {
            let (agency, d) = parse_agency(&file, id, &bytes);
            diags.extend(d);
            Ok(agency)
        }
        None => {
            if !path.is_file() {
                diags.push(
                    Diagnostic::error(path.display().to_string(), None, "manca il file agency.toml")
                        .hint("crea agency.toml con name = \"Nome dell'ente\" e la tabella [contacts] (phone, email, hours, url)"),
                );
            }
            Ok(None)
        }
    }
}

/// The entries of `dir/entries/` (each `.md` file, sub-folders included), in file-name order;
/// a missing folder is an error when `required`.
pub(super) fn read_entries(
    dir: &Path,
    required: bool,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<crate::kb::Entry>, LoadError> {
    let entries_dir = dir.join("entries");
    let mut walk = Walk {
        visited: HashSet::new(),
        files: Vec::new(),
        bytes: 0,
        stopped: false,
    };
    if entries_dir.is_dir() {
        collect_md(&mut walk, &entries_dir, 0, diags)?;
    } else if required {
        diags.push(
            Diagnostic::error(
                entries_dir.display().to_string(),
                None,
                "manca la cartella entries/",
            )
            .hint("metti le voci in entries/, un file .md per voce"),
        );
    }
    let mut files = walk.files;
    files.sort();
    let mut entries = Vec::new();
    for file in &files {
        let Some(bytes) = read_or_report(file, MAX_ENTRY_BYTES, diags)? else {
            continue;
        };
        let (entry, d) = parse_entry_file(&file.display().to_string(), &stem(file), &bytes);
        diags.extend(d);
        entries.extend(entry);
    }
    Ok(entries)
}

fn stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// The notices of `dir/notices/` (one `.md` file each; the folder is optional).
pub(super) fn read_notices(
    dir: &Path,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<crate::kb::Notice>, LoadError> {
    let notices_dir = dir.join("notices");
    if !notices_dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |source| LoadError::Io {
        path: notices_dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for item in std::fs::read_dir(&notices_dir).map_err(io)? {
        let path = item.map_err(io)?.path();
        let is_md = path.extension().and_then(|e| e.to_str()) == Some("md");
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if is_md && !hidden && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.len() > MAX_NOTICES {
        diags.push(
            Diagnostic::error(
                notices_dir.display().to_string(),
                None,
                format!("troppi avvisi: più di {MAX_NOTICES} file .md in notices/"),
            )
            .hint("elimina gli avvisi scaduti; quelli oltre il limite non sono letti"),
        );
        files.truncate(MAX_NOTICES);
    }
    let mut notices = Vec::new();
    for file in &files {
        let Some(bytes) = read_or_report(file, MAX_ENTRY_BYTES, diags)? else {
            continue;
        };
        let (notice, d) = parse_notice_file(&file.display().to_string(), &stem(file), &bytes);
        diags.extend(d);
        notices.extend(notice);
    }
    Ok(notices)
}
