//! Property tests: the engine and the loaders must never panic, whatever they are given.
//!
//! The engine is asked arbitrary text (any Unicode, control characters, emoji, punctuation
//! only, very long repeated text) and must always reply with one of the four kinds, with a
//! confidence in [0, 1], and the same reply for the same question. The parsers get arbitrary
//! bytes and mutated copies of valid files and must report problems, not crash.

use proptest::prelude::*;
use sportello_core::load::{self, parse_agency, parse_csv, parse_entry_file, parse_jsonl};
use sportello_core::{Candidate, Diagnostic, Engine, Entry, Reply};
use std::sync::OnceLock;

const KINDS: &[&str] = &["answer", "clarify", "decline", "small_talk"];

fn example_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge-base/comune-di-esempio")
}

fn loaded() -> &'static load::Loaded {
    static LOADED: OnceLock<load::Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let loaded = load::load_path(example_dir()).expect("the example KB is readable");
        assert!(
            !loaded.has_errors(),
            "the example KB has errors: {:?}",
            loaded.diagnostics
        );
        loaded
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(loaded().kb.clone()).expect("the example KB builds"))
}

fn check_candidate(c: &Candidate, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        (0.0..=1.0).contains(&c.confidence),
        "{what}: confidence {} out of [0, 1] for {}",
        c.confidence,
        c.id
    );
    prop_assert!(
        c.score.is_finite(),
        "{what}: score {} for {}",
        c.score,
        c.id
    );
    prop_assert!(
        engine().kb().entry(&c.id).is_some(),
        "{what}: unknown entry id {}",
        c.id
    );
    Ok(())
}

/// Asks twice and checks every invariant of a reply.
fn check_ask(question: &str) -> Result<(), TestCaseError> {
    let e = engine();
    let reply = e.ask(question);
    prop_assert!(KINDS.contains(&reply.kind()), "kind {}", reply.kind());
    let confidence = reply.confidence();
    prop_assert!(
        (0.0..=1.0).contains(&confidence),
        "reply confidence {confidence} out of [0, 1]"
    );
    match &reply {
        Reply::Answer { id, .. } => {
            prop_assert!(e.kb().entry(id).is_some(), "answer with unknown id {id}");
        }
        Reply::Clarify { options, .. } => {
            prop_assert!(!options.is_empty(), "clarify without options");
            for c in options {
                check_candidate(c, "clarify option")?;
            }
        }
        Reply::Decline { candidates, .. } => {
            for c in candidates {
                check_candidate(c, "decline candidate")?;
            }
        }
        Reply::SmallTalk { .. } => {}
    }
    let again = e.ask(question);
    prop_assert_eq!(&reply, &again, "two different replies to the same question");
    Ok(())
}

fn check_search(question: &str, k: usize) -> Result<(), TestCaseError> {
    let e = engine();
    let found = e.search(question, k);
    prop_assert!(found.len() <= k, "{} results for k = {k}", found.len());
    let mut ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    prop_assert_eq!(
        ids.len(),
        found.len(),
        "the same entry twice in {:?}",
        found
    );
    for c in &found {
        check_candidate(c, "search result")?;
    }
    for pair in found.windows(2) {
        prop_assert!(
            pair[0].score >= pair[1].score,
            "results not best first: {:?}",
            found
        );
    }
    prop_assert_eq!(
        &found,
        &e.search(question, k),
        "search is not deterministic"
    );
    Ok(())
}

/// Pieces that look like what citizens (and bots) type, to build long questions from.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("quanto costa la carta d'identità ".to_string()),
        Just("CIE ".to_string()),
        Just("tari?? ".to_string()),
        Just("😀🙏🏽 ".to_string()),
        Just("!!!...,,,;;; ".to_string()),
        Just("\u{0}\u{1b}[31m\t\r\n".to_string()),
        Just("e\u{301} a\u{300} ".to_string()),
        Just("ﬁ ＣＩＥ ".to_string()),
        Just("\u{202e}abc\u{200d} ".to_string()),
        "\\PC{1,12}",
        any::<String>(),
    ]
}

/// A string of up to 100 KB made of one piece repeated.
fn long_text() -> impl Strategy<Value = String> {
    (piece(), 1usize..100_000).prop_map(|(p, n)| {
        if p.is_empty() {
            return p;
        }
        let times = (n / p.len()).max(1);
        let mut s = p.repeat(times);
        let mut cut = s.len().min(100_000);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s
    })
}

fn emoji_text() -> impl Strategy<Value = String> {
    let emoji = prop_oneof![
        Just('😀'),
        Just('👍'),
        Just('🇮'),
        Just('🇹'),
        Just('\u{200d}'),
        Just('\u{fe0f}'),
        Just('❤'),
        Just('🏛'),
        Just(' '),
    ];
    proptest::collection::vec(emoji, 0..40).prop_map(|v| v.into_iter().collect())
}

fn control_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        proptest::char::range('\u{0}', '\u{1f}'),
        proptest::char::range('\u{7f}', '\u{9f}'),
        Just('\u{feff}'),
        Just('\u{2028}'),
        Just('a'),
        Just('è'),
    ];
    proptest::collection::vec(c, 0..64).prop_map(|v| v.into_iter().collect())
}

fn question_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,80}",
        "[[:punct:] ]{0,60}",
        "[a-zàèéìòù' ?]{0,80}",
        control_text(),
        emoji_text(),
        proptest::collection::vec(piece(), 0..8).prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn ask_never_panics_and_is_deterministic(q in question_text()) {
        check_ask(&q)?;
    }

    #[test]
    fn search_never_panics(q in question_text(), k in 0usize..12) {
        check_search(&q, k)?;
    }
}

proptest! {
    // Long inputs are slower: fewer cases.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn ask_survives_very_long_text(q in long_text()) {
        check_ask(&q)?;
    }

    #[test]
    fn search_survives_very_long_text(q in long_text(), k in 1usize..6) {
        check_search(&q, k)?;
    }
}

/// Lines are 1-based and inside the text (one past the end for "at end of file").
fn check_diagnostics(bytes: &[u8], diags: &[Diagnostic]) -> Result<(), TestCaseError> {
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    for d in diags {
        if let Some(line) = d.line {
            prop_assert!(
                (1..=lines + 1).contains(&line),
                "diagnostic on line {line} of a {lines}-line text: {d}"
            );
        }
        prop_assert!(!d.message.trim().is_empty(), "diagnostic without message");
    }
    Ok(())
}

/// Entries a parser keeps have what the engine needs.
fn check_entries(entries: &[Entry]) -> Result<(), TestCaseError> {
    for e in entries {
        prop_assert!(!e.id.is_empty(), "entry without id: {e:?}");
        prop_assert!(
            !e.question.trim().is_empty(),
            "entry without question: {e:?}"
        );
        prop_assert!(!e.answer.trim().is_empty(), "entry without answer: {e:?}");
    }
    Ok(())
}

fn run_all_parsers(bytes: &[u8]) -> Result<(), TestCaseError> {
    let (entries, diags) = parse_jsonl("kb.jsonl", bytes);
    check_entries(&entries)?;
    check_diagnostics(bytes, &diags)?;
    let (entries, diags) = parse_csv("kb.csv", bytes);
    check_entries(&entries)?;
    check_diagnostics(bytes, &diags)?;
    let (entry, diags) = parse_entry_file("entries/voce.md", "voce", bytes);
    check_entries(entry.as_slice())?;
    check_diagnostics(bytes, &diags)?;
    let (_agency, diags) = parse_agency("agency.toml", "ente", bytes);
    check_diagnostics(bytes, &diags)?;
    Ok(())
}

/// Valid files of every format, made from the example KB.
fn valid_files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let kb = &loaded().kb;
        let few = &kb.entries[..kb.entries.len().min(6)];
        let mut files = vec![
            load::to_jsonl(few).into_bytes(),
            load::to_csv(few).into_bytes(),
            load::to_agency_file(&kb.agency).into_bytes(),
            std::fs::read(example_dir().join("agency.toml")).expect("agency.toml"),
        ];
        files.extend(few.iter().map(|e| load::to_entry_file(e).into_bytes()));
        files
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the byte at (position % len).
    Set(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Insert a syntactically meaningful snippet.
    Snippet(usize, &'static str),
    /// Remove up to n bytes.
    Delete(usize, usize),
    /// Copy a range somewhere else.
    Duplicate(usize, usize, usize),
    /// Cut the file.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let snippet = prop_oneof![
        Just("\""),
        Just("\n"),
        Just("\r\n"),
        Just("+++\n"),
        Just("["),
        Just("]"),
        Just("{"),
        Just("}"),
        Just("="),
        Just(","),
        Just(";"),
        Just("\\"),
        Just("\\u00"),
        Just("null"),
        Just("[[x]]\n"),
        Just("reviewed = 2026-02-30\n"),
        Just("quesiton = \"x\"\n"),
        Just("\"id\": 3, "),
        Just("è"),
        Just("\u{feff}"),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Set(p, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), snippet).prop_map(|(p, s)| Mutation::Snippet(p, s)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), 1usize..200, any::<usize>())
            .prop_map(|(p, n, q)| Mutation::Duplicate(p, n, q)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        let at = |p: usize| if len == 0 { 0 } else { p % (len + 1) };
        match *m {
            Mutation::Set(p, b) if len > 0 => bytes[p % len] = b,
            Mutation::Set(..) => {}
            Mutation::Insert(p, b) => bytes.insert(at(p), b),
            Mutation::Snippet(p, s) => {
                let i = at(p);
                bytes.splice(i..i, s.bytes());
            }
            Mutation::Delete(p, n) => {
                let i = at(p);
                let end = (i + n).min(len);
                bytes.drain(i..end);
            }
            Mutation::Duplicate(p, n, q) => {
                let i = at(p);
                let end = (i + n).min(len);
                let piece: Vec<u8> = bytes[i..end].to_vec();
                let j = at(q);
                bytes.splice(j..j, piece);
            }
            Mutation::Truncate(p) => bytes.truncate(at(p)),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        run_all_parsers(&bytes)?;
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in "\\PC{0,400}|[+=\\[\\]{}\",;\n a-z0-9:-]{0,400}") {
        run_all_parsers(text.as_bytes())?;
    }

    #[test]
    fn parsers_never_panic_on_mutated_valid_files(
        which in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let files = valid_files();
        let original = files[which.index(files.len())].clone();
        let bytes = apply(original, &mutations);
        run_all_parsers(&bytes)?;
    }
}

/// The valid files really are valid, so the mutations start from something meaningful.
#[test]
fn valid_files_parse_without_errors() {
    let files = valid_files();
    let (entries, diags) = parse_jsonl("kb.jsonl", &files[0]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(entries.len(), 6);
    let (entries, diags) = parse_csv("kb.csv", &files[1]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(entries.len(), 6);
    let (agency, diags) = parse_agency("agency.toml", "ente", &files[3]);
    assert!(!diags.iter().any(Diagnostic::is_error), "{diags:?}");
    assert!(agency.is_some());
    let first = &loaded().kb.entries[0];
    let (entry, diags) = parse_entry_file("x.md", &first.id, &files[4]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(entry.map(|e| e.question), Some(first.question.clone()));
}
