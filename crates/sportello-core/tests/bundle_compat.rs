//! Bundles survive upgrades: `tests/fixtures/bundle-compat/` holds a bundle (`bundle.json`,
//! `bundle.bin`) written by `sportello build` at an earlier commit (see its README.md), with
//! the entries it was built from (`kb.jsonl`: a bundle leaves out their Markdown answers),
//! committed as it was. This build must open it from its prebuilt data, as the widget does
//! (`bundle::open`, the wasm's path), and answer every dev question exactly as an engine built
//! here from the same knowledge base and rendered answers, as long as the bundle's format,
//! data version and analysis version are ones this build reads. Any change of the tables'
//! meaning that keeps `DATA_VERSION` fails here. `tests/fixtures/bundle-compat-format1/` is a
//! bundle of format 1 (one JSON file, data version 4), still read.
//!
//! When `bundle::FORMAT`, `DATA_VERSION` or `ANALYSIS_VERSION` is bumped on purpose, the
//! fixture can no longer be opened: regenerate it with
//! `SPORTELLO_BLESS_COMPAT=1 cargo test -p sportello-core --profile test-release --test bundle_compat`
//! (it refuses to replace a fixture that this build still reads). A fixture of an older
//! format that is still read stays, as `bundle-compat-format1` did.

use sportello_core::bundle::{self, Bundle, READS_FORMATS};
use sportello_core::eval;
use sportello_core::prebuilt::{ANALYSIS_VERSION, DATA_VERSION, READS_DATA_VERSIONS};
use sportello_core::{load, Engine, KnowledgeBase, MatchConfig, Reply};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle-compat")
}

/// The fixture's knowledge base: the example KB's first 24 entries (a small file to commit,
/// still with clarifications, declines and referrals among the dev questions' replies).
fn fixture_kb() -> KnowledgeBase {
    let mut kb = load::load_path(root().join("knowledge-base/comune-di-esempio"))
        .unwrap()
        .kb;
    kb.entries.truncate(24);
    let ids: Vec<String> = kb.entries.iter().map(|e| e.id.clone()).collect();
    for e in &mut kb.entries {
        e.related.retain(|r| ids.contains(r));
    }
    kb
}

fn questions() -> Vec<String> {
    let dir = root().join("tests/eval/comune-di-esempio");
    let mut out = Vec::new();
    for f in ["in-scope.jsonl", "out-of-scope.jsonl"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        let (q, diags) = eval::parse_queries(f, &text);
        assert!(diags.is_empty(), "{diags:?}");
        out.extend(q.into_iter().map(|q| q.query));
    }
    out.extend(
        [
            "carta d identita costo",
            "tasa rifiuti",
            "ciao",
            "passaporto",
        ]
        .map(String::from),
    );
    out
}

fn bless(reason: &str) {
    let dir = fixture_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let kb = fixture_kb();
    let files = bundle::write(&kb);
    std::fs::write(dir.join("bundle.json"), &files.json).unwrap();
    std::fs::write(dir.join(bundle::PREBUILT_FILE), files.prebuilt.unwrap()).unwrap();
    std::fs::write(dir.join("kb.jsonl"), load::to_jsonl(&kb.entries)).unwrap();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    std::fs::write(
        dir.join("README.md"),
        format!(
            "# A bundle from an earlier build\n\n\
             `bundle.json` and `bundle.bin` were written by Sportello {} (bundle format {}, \
             data version {DATA_VERSION}, analysis version {ANALYSIS_VERSION}) on top of commit \
             {}, from the first 24 entries of `knowledge-base/comune-di-esempio` (in \
             `kb.jsonl`), with `bundle::write` (what `sportello build` writes). They are kept as \
             they were: `tests/bundle_compat.rs` checks that every later build opens them and \
             answers like an engine built from that knowledge base. Regenerate them only when \
             the bundle format, the data or the analysis version changes ({reason}).\n",
            env!("CARGO_PKG_VERSION"),
            bundle::FORMAT,
            commit.trim(),
        ),
    )
    .unwrap();
    eprintln!("wrote {}", dir.display());
}

/// The (format, data, analysis) versions a bundle declares, if this build reads them.
fn readable(json: &str) -> Result<(), String> {
    let declared = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .map(|v| {
            (
                v["format"].as_u64(),
                v["data_version"].as_u64(),
                v["analysis_version"].as_u64(),
            )
        });
    match declared {
        Some((Some(f), Some(d), Some(a)))
            if READS_FORMATS.contains(&(f as u32))
                && READS_DATA_VERSIONS.contains(&(d as u32))
                && a as u32 == ANALYSIS_VERSION =>
        {
            Ok(())
        }
        other => Err(format!(
            "declares (format, data, analysis) versions {other:?}, which this build does not \
             read (formats {READS_FORMATS:?}, data {READS_DATA_VERSIONS:?}, analysis \
             {ANALYSIS_VERSION})"
        )),
    }
}

/// Every reply of `built` and `opened` the same (but for the Markdown of answers when the
/// bundle leaves it out), and every kind of reply among them.
fn same_replies(built: &Engine, opened: &Engine, markdown: bool) {
    let questions = questions();
    assert!(questions.len() > 300);
    let mut kinds = std::collections::BTreeMap::new();
    for q in &questions {
        let (mut a, ra) = built.ask_with_ranking(q, 10);
        let (b, rb) = opened.ask_with_ranking(q, 10);
        if let (Reply::Answer { answer, .. }, false) = (&mut a, markdown) {
            answer.clear();
        }
        assert_eq!(a, b, "{q}");
        assert_eq!(ra, rb, "{q}");
        *kinds.entry(a.kind()).or_insert(0) += 1;
    }
    // The replies cover every kind, so the comparison exercises every table.
    for kind in ["answer", "clarify", "decline", "small_talk"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "{kinds:?}");
    }
}

#[test]
fn a_bundle_written_by_an_earlier_build_opens_and_answers_the_same() {
    let dir = fixture_dir();
    let blessing = std::env::var_os("SPORTELLO_BLESS_COMPAT").is_some();
    let json = std::fs::read_to_string(dir.join("bundle.json")).unwrap_or_default();
    if let Err(why) = readable(&json) {
        if blessing {
            bless(&format!("it {why}"));
            return;
        }
        panic!(
            "{} {why}: every bundle already deployed is refused too. If that is intended, \
             regenerate the fixture with \
             SPORTELLO_BLESS_COMPAT=1 cargo test -p sportello-core --test bundle_compat",
            dir.display()
        );
    }
    assert!(
        !blessing,
        "the fixture is still readable by this build: it is not regenerated"
    );
    let data = std::fs::read(dir.join(bundle::PREBUILT_FILE)).unwrap();
    let opened = bundle::open(&json, Some(&data))
        .unwrap_or_else(|e| panic!("a bundle of versions this build reads was refused: {e}"));
    assert!(opened.is_prebuilt());
    // The engine built here from the knowledge base the bundle was written from and the
    // answers as the bundle has them rendered.
    let built = built_from(&dir, &json);
    same_replies(&built, &opened, false);
}

fn built_from(dir: &Path, json: &str) -> Engine {
    let mut kb = bundle::from_json(json).unwrap();
    let text = std::fs::read_to_string(dir.join("kb.jsonl")).unwrap();
    let (entries, diags) = load::parse_jsonl("kb.jsonl", text.as_bytes());
    assert!(diags.is_empty(), "{diags:?}");
    kb.entries = entries;
    let rendered = serde_json::from_str::<Bundle>(json).unwrap().rendered;
    let built = Engine::with_rendered(kb, MatchConfig::default(), rendered).unwrap();
    assert!(!built.is_prebuilt());
    built
}

#[test]
fn a_bundle_of_format_1_opens_and_answers_the_same() {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundle-compat-format1");
    let json = std::fs::read_to_string(dir.join("bundle.json")).unwrap();
    readable(&json).unwrap_or_else(|why| {
        panic!(
            "{} {why}: if reading format 1 was dropped on purpose, remove this test and the \
             fixture",
            dir.display()
        )
    });
    let opened = bundle::open(&json, None).unwrap();
    assert!(opened.is_prebuilt());
    // The same bundle without its prebuilt data: built here from its KB (format 1 carries
    // every text) and its rendered answers.
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v.as_object_mut().unwrap().remove("prebuilt");
    let built = bundle::engine(&v.to_string(), None).unwrap();
    assert!(!built.is_prebuilt());
    same_replies(&built, &opened, true);
}
