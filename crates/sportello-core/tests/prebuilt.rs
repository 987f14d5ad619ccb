//! An engine opened from a bundle's prebuilt data answers exactly like one built from the
//! knowledge base, and prebuilt data that does not match is never used.

use sportello_core::eval::{self, Query};
use sportello_core::prebuilt::PrebuiltError;
use sportello_core::{bundle, load, Engine, EngineError, KnowledgeBase, MatchConfig, Reply};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example_kb() -> KnowledgeBase {
    let kb = load::load_path(root().join("knowledge-base/comune-di-esempio")).unwrap();
    assert!(!kb.has_errors(), "{:?}", kb.diagnostics);
    kb.kb
}

fn dev_questions() -> Vec<Query> {
    let dir = root().join("tests/eval/comune-di-esempio");
    let mut out = Vec::new();
    for f in ["in-scope.jsonl", "out-of-scope.jsonl"] {
        let path = dir.join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        let (q, diags) = eval::parse_queries(f, &text);
        assert!(diags.is_empty(), "{diags:?}");
        out.extend(q);
    }
    out
}

fn rendered(kb: &KnowledgeBase) -> Vec<sportello_core::render::Rendered> {
    kb.entries
        .iter()
        .map(sportello_core::render::render_entry)
        .collect()
}

/// A reply as an engine opened from a bundle gives it: without the answer's Markdown.
fn without_markdown(mut reply: Reply) -> Reply {
    if let Reply::Answer { answer, .. } = &mut reply {
        answer.clear();
    }
    reply
}

#[test]
fn the_bundle_opens_from_prebuilt_data_with_the_same_replies() {
    let kb = example_kb();
    let built = Engine::new(kb.clone()).unwrap();
    let files = bundle::write(&kb);
    let opened = bundle::open(&files.json, files.prebuilt.as_deref()).unwrap();
    assert!(opened.is_prebuilt());
    // What can be derived is not stored (the phrase and answer postings, the question terms:
    // 52 KB in all; with every list explicit, as data version 4 stored them, 81 KB).
    let size = files.prebuilt.as_ref().unwrap().len();
    assert!(size < 56 * 1024, "{size} bytes of prebuilt data");
    assert!(!built.is_prebuilt());
    let mut questions: Vec<String> = dev_questions().into_iter().map(|q| q.query).collect();
    // Misspelt words exercise the vocabulary, partial words the suggestions.
    questions.extend(
        [
            "carta d identita costo",
            "orari ztl",
            "tasa rifiuti",
            "certificato",
        ]
        .map(String::from),
    );
    assert!(questions.len() > 300);
    for q in &questions {
        let (a, ra) = built.ask_with_ranking(q, 10);
        let (b, rb) = opened.ask_with_ranking(q, 10);
        // The same reply but for the Markdown source of an answer, which bundles leave out.
        assert_eq!(without_markdown(a), b, "{q}");
        assert_eq!(ra, rb, "{q}");
        let cut = &q[..q.char_indices().nth(12).map_or(q.len(), |(i, _)| i)];
        assert_eq!(built.suggest(cut, 5), opened.suggest(cut, 5), "{cut}");
    }
}

#[test]
fn prebuilt_data_for_another_kb_or_configuration_is_refused() {
    let kb = example_kb();
    let data = Engine::new(kb.clone()).unwrap().prebuilt().unwrap();

    let mut edited = kb.clone();
    edited.entries[3].answer.push_str(" Aggiornato.");
    let err = Engine::from_prebuilt(
        edited.clone(),
        MatchConfig::default(),
        rendered(&edited),
        &data,
    )
    .unwrap_err();
    assert!(
        matches!(err, EngineError::Prebuilt(PrebuiltError::Fingerprint)),
        "{err}"
    );

    let mut config = MatchConfig::default();
    config.set("stemming", "false").unwrap();
    let err = Engine::from_prebuilt(kb.clone(), config, rendered(&kb), &data).unwrap_err();
    assert!(
        matches!(err, EngineError::Prebuilt(PrebuiltError::Fingerprint)),
        "{err}"
    );

    // The bundle of the edited KB with the old data: refused, with the command to run.
    let files = bundle::write(&edited);
    let err = bundle::open(&files.json, Some(&data)).unwrap_err();
    assert!(err.to_string().contains("sportello build"), "{err}");
    assert!(bundle::open(&files.json, files.prebuilt.as_deref()).is_ok());
}

#[test]
fn damaged_prebuilt_data_is_refused() {
    let kb = example_kb();
    let files = bundle::write(&kb);
    let good = files.prebuilt.unwrap();
    // Garbage; the real data cut in half; one byte changed deep inside the index.
    let mut flipped = good.clone();
    let at = flipped.len() * 3 / 4;
    flipped[at] ^= 0x21;
    let variants = [
        b"AAAAAAAA".to_vec(),
        good[..good.len() / 2].to_vec(),
        flipped,
    ];
    for v in variants {
        // Refused (the checksum covers every byte).
        let err = bundle::open(&files.json, Some(&v)).unwrap_err();
        assert!(
            matches!(err, bundle::BundleError::Prebuilt { .. }),
            "{err:?}"
        );
    }
    assert!(matches!(
        bundle::open(&files.json, None),
        Err(bundle::BundleError::NoPrebuilt)
    ));
}

#[test]
fn small_and_empty_kbs_round_trip() {
    let one = KnowledgeBase::from_entries(vec![sportello_core::Entry {
        id: "tari".into(),
        question: "Come si paga la TARI?".into(),
        answer: "Con l'avviso pagoPA.".into(),
        ..Default::default()
    }]);
    for kb in [one, KnowledgeBase::from_entries(Vec::new())] {
        let built = Engine::new(kb.clone()).unwrap();
        let data = built.prebuilt().unwrap();
        let opened =
            Engine::from_prebuilt(kb.clone(), MatchConfig::default(), rendered(&kb), &data)
                .unwrap();
        for q in ["come pago la tari", "passaporto", ""] {
            assert_eq!(built.ask(q), opened.ask(q), "{q}");
        }
    }
}

/// The same comparison on the real sets (the wasm's path, `bundle::open`, against a built
/// engine), when `../shared` is there; skipped with a note otherwise.
#[test]
fn the_real_sets_get_the_same_replies_from_their_bundles() {
    for set in ["qa4faq", "unlockpa-dev"] {
        let dir = root().join("../shared/eval").join(set);
        if !dir.join("kb.jsonl").is_file() {
            eprintln!("SKIPPED: {} not found", dir.display());
            continue;
        }
        let kb = load::load_path(dir.join("kb.jsonl")).unwrap().kb;
        let text = std::fs::read_to_string(dir.join("queries.jsonl")).unwrap();
        let (queries, diags) = eval::parse_queries("queries.jsonl", &text);
        assert!(diags.is_empty(), "{diags:?}");
        let built = Engine::new(kb.clone()).unwrap();
        let files = bundle::write(&kb);
        let opened = bundle::open(&files.json, files.prebuilt.as_deref()).unwrap();
        assert!(opened.is_prebuilt());
        for q in &queries {
            let (a, ra) = built.ask_with_ranking(&q.query, 10);
            let (b, rb) = opened.ask_with_ranking(&q.query, 10);
            assert_eq!(without_markdown(a), b, "{set}: {}", q.query);
            assert_eq!(ra, rb, "{set}: {}", q.query);
        }
        eprintln!("{set}: {} questions, the same replies", queries.len());
    }
}
