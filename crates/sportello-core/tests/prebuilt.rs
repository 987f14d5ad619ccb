//! An engine opened from a bundle's prebuilt data answers exactly like one built from the
//! knowledge base, and prebuilt data that does not match is never used.

use sportello_core::eval::{self, Query};
use sportello_core::prebuilt::PrebuiltError;
use sportello_core::{bundle, load, Engine, EngineError, KnowledgeBase, MatchConfig};
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

#[test]
fn the_bundle_opens_from_prebuilt_data_with_the_same_replies() {
    let kb = example_kb();
    let built = Engine::new(kb.clone()).unwrap();
    let text = bundle::to_json(&kb);
    let opened = bundle::engine(&text).unwrap();
    assert!(opened.is_prebuilt());
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
        assert_eq!(a, b, "{q}");
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

    // The bundle of the edited KB with the old data: built from the KB, answering the edit.
    let mut value: serde_json::Value = serde_json::from_str(&bundle::to_json(&edited)).unwrap();
    let old = serde_json::from_str::<serde_json::Value>(&bundle::to_json(&kb)).unwrap()["prebuilt"]
        .clone();
    assert!(old.is_string());
    value["prebuilt"] = old;
    let engine = bundle::engine(&value.to_string()).unwrap();
    assert!(!engine.is_prebuilt());
    assert_eq!(engine.kb().entries[3].answer, edited.entries[3].answer);
}

#[test]
fn damaged_prebuilt_data_falls_back_to_building() {
    let kb = example_kb();
    let text = bundle::to_json(&kb);
    let mut value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let good = value["prebuilt"].as_str().unwrap().to_string();
    let question = "quanto costa la carta d'identità";
    let expected = bundle::engine(&text).unwrap().ask(question);
    // Not base64; base64 of garbage; the real data cut in half; one character changed deep
    // inside the index files.
    let mut flipped = good.clone().into_bytes();
    let at = flipped.len() * 3 / 4;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    let variants = [
        "%%%".to_string(),
        "AAAAAAAA".to_string(),
        good[..good.len() / 2 / 4 * 4].to_string(),
        String::from_utf8(flipped).unwrap(),
    ];
    for v in variants {
        value["prebuilt"] = serde_json::Value::String(v);
        // Refused (the checksum covers every byte), so built from the KB.
        let engine = bundle::engine(&value.to_string()).unwrap();
        assert!(!engine.is_prebuilt());
        assert_eq!(engine.ask(question), expected);
    }
    value.as_object_mut().unwrap().remove("prebuilt");
    let engine = bundle::engine(&value.to_string()).unwrap();
    assert!(!engine.is_prebuilt());
    assert_eq!(engine.ask(question), expected);
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
