//! Answer quality must not drop below the recorded figures (README, docs/quality.md).
//! The dev sets live in tests/eval/; QA4FAQ is read from ../shared/eval/qa4faq when present.

use sportello_core::eval::{self, Query};
use sportello_core::{load, Engine};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn queries(path: &std::path::Path) -> Vec<Query> {
    let text = std::fs::read_to_string(path).unwrap();
    let (q, diags) = eval::parse_queries(&path.display().to_string(), &text);
    assert!(diags.is_empty(), "{diags:?}");
    q
}

#[test]
fn example_kb_dev_sets_keep_their_quality() {
    let kb = load::load_path(root().join("knowledge-base/comune-di-esempio")).unwrap();
    assert!(!kb.has_errors(), "{:?}", kb.diagnostics);
    let engine = Engine::new(kb.kb).unwrap();
    let dir = root().join("tests/eval/comune-di-esempio");
    let mut qs = queries(&dir.join("in-scope.jsonl"));
    qs.extend(queries(&dir.join("out-of-scope.jsonl")));
    let m = eval::evaluate(&engine, &qs).metrics;
    assert!(m.n >= 200 && m.n_out_of_scope >= 100, "{m:?}");
    // Recorded: top1 0.852, mrr10 0.911, recall5 0.987, decline 0.900, false decline 0.091.
    assert!(m.top1 >= 0.83, "{m:?}");
    assert!(m.mrr10 >= 0.89, "{m:?}");
    assert!(m.recall5 >= 0.96, "{m:?}");
    assert!(m.decline_rate.unwrap() >= 0.90, "{m:?}");
    assert!(m.false_decline_rate <= 0.10, "{m:?}");
}

#[test]
fn qa4faq_beats_the_published_systems_and_the_baseline() {
    let dir = root().join("../shared/eval/qa4faq");
    if !dir.join("kb.jsonl").exists() {
        eprintln!(
            "note: {} not found, QA4FAQ quality test skipped",
            dir.display()
        );
        return;
    }
    let kb = load::load_path(dir.join("kb.jsonl")).unwrap();
    let qs = queries(&dir.join("queries.jsonl"));
    let base = eval::baseline(&kb.kb, &qs).unwrap();
    let engine = Engine::new(kb.kb).unwrap();
    let m = eval::evaluate(&engine, &qs).metrics;
    assert_eq!(m.n, 1132);
    // Recorded: top1 0.504, c@1 0.531, mrr10 0.627 (EVALITA 2016 best: c@1 0.444, MRR 0.542).
    assert!(m.top1 >= 0.50, "{m:?}");
    assert!(m.c_at_1 >= 0.515, "{m:?}");
    assert!(m.mrr10 >= 0.62, "{m:?}");
    assert!(
        m.top1 > base.top1 && m.mrr10 > base.mrr10 && m.c_at_1 > base.c_at_1,
        "{m:?} vs {base:?}"
    );
}
