//! Knowledge bases made hostile by accident or on purpose: symbolic-link cycles in the
//! entries folder, special files, oversized entries and files, duplicate ids. Each is
//! reported as a located error, read within bounds, and nothing reported as excluded is kept.

use sportello_core::load::{self, MAX_ENTRY_BYTES, MAX_KB_BYTES};
use sportello_core::Diagnostic;
use std::path::{Path, PathBuf};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge-base/comune-di-esempio")
}

/// A copy of the example KB in a temporary folder.
fn copy_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        example_dir().join("agency.toml"),
        dir.path().join("agency.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("entries")).unwrap();
    for e in std::fs::read_dir(example_dir().join("entries")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join("entries").join(e.file_name())).unwrap();
    }
    dir
}

fn errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.is_error()).collect()
}

fn entry_count() -> usize {
    std::fs::read_dir(example_dir().join("entries"))
        .unwrap()
        .count()
}

#[cfg(unix)]
#[test]
fn symlink_cycles_are_reported_with_their_path() {
    let dir = copy_example();
    let entries = dir.path().join("entries");
    std::os::unix::fs::symlink(".", entries.join("self")).unwrap();
    std::os::unix::fs::symlink("../entries", entries.join("up")).unwrap();
    let loaded = load::load_path(dir.path()).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 2, "{errs:?}");
    for (e, name) in errs.iter().zip(["self", "up"]) {
        assert_eq!(e.file, entries.join(name).display().to_string());
        assert!(e.message.contains("collegamento simbolico"), "{e}");
    }
    // Every entry read once.
    assert_eq!(loaded.kb.entries.len(), entry_count());
}

#[cfg(unix)]
#[test]
fn a_linked_folder_outside_entries_is_read_once() {
    let dir = copy_example();
    let shared = tempfile::tempdir().unwrap();
    std::fs::write(
        shared.path().join("in-comune.md"),
        "+++\nquestion = \"Dove si trova lo sportello comune?\"\n+++\nIn piazza.\n",
    )
    .unwrap();
    let entries = dir.path().join("entries");
    std::os::unix::fs::symlink(shared.path(), entries.join("condivise")).unwrap();
    let loaded = load::load_path(dir.path()).unwrap();
    assert!(
        errors(&loaded.diagnostics).is_empty(),
        "{:?}",
        loaded.diagnostics
    );
    assert_eq!(loaded.kb.entries.len(), entry_count() + 1);
    assert!(loaded.kb.entries.iter().any(|e| e.id == "in-comune"));
}

#[cfg(unix)]
#[test]
fn special_and_dangling_files_are_bounded() {
    let dir = copy_example();
    let entries = dir.path().join("entries");
    // An endless device read as an entry, and a link to nothing.
    std::os::unix::fs::symlink("/dev/zero", entries.join("zero.md")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/x.md", entries.join("rotto.md")).unwrap();
    let loaded = load::load_path(dir.path()).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].file.ends_with("rotto.md"), "{}", errs[0]);
    // /dev/zero is not a regular file: ignored with a warning, never read.
    assert!(loaded
        .diagnostics
        .iter()
        .any(|d| !d.is_error() && d.file.ends_with("zero.md")));
}

#[test]
fn oversized_entries_and_files_are_errors() {
    let dir = copy_example();
    let big = "parola ".repeat(MAX_ENTRY_BYTES as usize / 7 + 10);
    std::fs::write(
        dir.path().join("entries/enorme.md"),
        format!("+++\nquestion = \"Una voce enorme?\"\n+++\n{big}\n"),
    )
    .unwrap();
    let loaded = load::load_path(dir.path()).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].file.ends_with("enorme.md"));
    assert!(errs[0].message.contains("troppo grande"), "{}", errs[0]);
    assert!(!loaded.kb.entries.iter().any(|e| e.id == "enorme"));

    // The same entry inside a JSONL file: read, then refused by its size.
    let jsonl = dir.path().join("kb.jsonl");
    let line = serde_json::json!({"id": "enorme", "question": "Una voce enorme?", "answer": big});
    std::fs::write(&jsonl, format!("{line}\n")).unwrap();
    let loaded = load::load_path(&jsonl).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("troppo grande"), "{}", errs[0]);

    // A flat file over the KB limit is not parsed at all.
    let file = std::fs::File::create(&jsonl).unwrap();
    file.set_len(MAX_KB_BYTES + 1).unwrap();
    let loaded = load::load_path(&jsonl).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("troppo grande"), "{}", errs[0]);
    assert!(loaded.kb.entries.is_empty());
}

#[test]
fn entries_excluded_for_a_duplicate_id_are_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("kb.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"id": "tari", "question": "Come si paga la TARI?", "answer": "Con il modello F24."}"#,
            "\n",
            r#"{"id": "tari", "question": "Quando scade l'IMU?", "answer": "Il 16 giugno."}"#,
            "\n",
        ),
    )
    .unwrap();
    let loaded = load::load_path(&jsonl).unwrap();
    let errs = errors(&loaded.diagnostics);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].message.contains("esclusa"), "{}", errs[0]);
    assert_eq!(loaded.kb.entries.len(), 1);
    assert_eq!(loaded.kb.entries[0].answer, "Con il modello F24.");
}

#[test]
fn many_alternatives_are_checked_and_repeats_found() {
    // 100,000 phrasings in one entry (the duplicate check was quadratic in them).
    let mut alternatives: Vec<String> = (0..100_000)
        .map(|i| format!("domanda numero {i}"))
        .collect();
    alternatives.push("domanda numero 7".into());
    let kb = sportello_core::KnowledgeBase::from_entries(vec![sportello_core::Entry {
        id: "tante".into(),
        question: "Una voce con tante frasi?".into(),
        alternatives,
        answer: "Sì.".into(),
        ..Default::default()
    }]);
    let d = sportello_core::validate::validate(&kb);
    let repeats: Vec<_> = d
        .iter()
        .filter(|d| d.message.contains("ripetuta"))
        .collect();
    assert_eq!(repeats.len(), 1, "{repeats:?}");
}
