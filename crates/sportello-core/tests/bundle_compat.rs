//! Bundles survive upgrades: `tests/fixtures/bundle-compat/bundle.json` was written by
//! `sportello build` at an earlier commit (see its README.md) and is committed as it was. This
//! build must open it from its prebuilt data, as the widget does (`bundle::open`, the wasm's
//! path), and answer every dev question exactly as an engine built here from the same bundle's
//! knowledge base and rendered answers, as long as the bundle's data version and analysis
//! version are ones this build reads. Any change of the tables' meaning that keeps
//! `DATA_VERSION` fails here.
//!
//! When `DATA_VERSION` or `ANALYSIS_VERSION` is bumped on purpose, the fixture can no longer be
//! opened: regenerate it with
//! `SPORTELLO_BLESS_COMPAT=1 cargo test -p sportello-core --profile test-release --test bundle_compat`
//! (it refuses to replace a fixture that this build still reads).

use sportello_core::eval;
use sportello_core::prebuilt::{ANALYSIS_VERSION, DATA_VERSION, READS_DATA_VERSIONS};
use sportello_core::{bundle, load, KnowledgeBase};
use std::path::PathBuf;

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
    std::fs::write(dir.join("bundle.json"), bundle::to_json(&fixture_kb())).unwrap();
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
             `bundle.json` was written by Sportello {} (data version {DATA_VERSION}, analysis \
             version {ANALYSIS_VERSION}) on top of commit {}, from the first 24 entries of \
             `knowledge-base/comune-di-esempio`, with `bundle::to_json` (what `sportello build` \
             writes). It is kept as it was: `tests/bundle_compat.rs` checks that every later \
             build opens it and answers like an engine built from its knowledge base. \
             Regenerate it only when the data or analysis version changes ({reason}).\n",
            env!("CARGO_PKG_VERSION"),
            commit.trim(),
        ),
    )
    .unwrap();
    eprintln!("wrote {}", dir.join("bundle.json").display());
}

#[test]
fn a_bundle_written_by_an_earlier_build_opens_and_answers_the_same() {
    let path = fixture_dir().join("bundle.json");
    let blessing = std::env::var_os("SPORTELLO_BLESS_COMPAT").is_some();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let declared = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .map(|v| (v["data_version"].as_u64(), v["analysis_version"].as_u64()));
    let readable = matches!(declared, Some((Some(d), Some(a)))
        if READS_DATA_VERSIONS.contains(&(d as u32)) && a as u32 == ANALYSIS_VERSION);
    if !readable {
        if blessing {
            bless(&format!("was {declared:?}"));
            return;
        }
        panic!(
            "{} declares (data, analysis) versions {declared:?}, which this build does not read \
             (data {READS_DATA_VERSIONS:?}, analysis {ANALYSIS_VERSION}): every bundle already \
             deployed is refused too. If that is intended, regenerate the fixture with \
             SPORTELLO_BLESS_COMPAT=1 cargo test -p sportello-core --test bundle_compat",
            path.display()
        );
    }
    assert!(
        !blessing,
        "the fixture is still readable by this build: it is not regenerated"
    );

    let opened = bundle::open(&text)
        .unwrap_or_else(|e| panic!("a bundle of a data version this build reads was refused: {e}"));
    assert!(opened.is_prebuilt());
    // The same bundle without its prebuilt data: the engine built here from its KB and its
    // rendered answers.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_object_mut().unwrap().remove("prebuilt");
    let built = bundle::engine(&v.to_string()).unwrap();
    assert!(!built.is_prebuilt());
    let questions = questions();
    assert!(questions.len() > 300);
    let mut kinds = std::collections::BTreeMap::new();
    for q in &questions {
        let (a, ra) = built.ask_with_ranking(q, 10);
        let (b, rb) = opened.ask_with_ranking(q, 10);
        assert_eq!(a, b, "{q}");
        assert_eq!(ra, rb, "{q}");
        *kinds.entry(a.kind()).or_insert(0) += 1;
    }
    // The replies cover every kind, so the comparison exercises every table.
    for kind in ["answer", "clarify", "decline", "small_talk"] {
        assert!(kinds.get(kind).copied().unwrap_or(0) > 0, "{kinds:?}");
    }
}
