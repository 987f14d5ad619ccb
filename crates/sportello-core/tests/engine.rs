//! Behaviour of `Engine::ask` on the example knowledge base.

use sportello_core::{load, DeclineReason, Engine, Entry, KnowledgeBase, Reply};
use std::sync::OnceLock;

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../knowledge-base/comune-di-esempio"
        );
        Engine::new(load::load_path(path).unwrap().kb).unwrap()
    })
}

fn answer_id(q: &str) -> String {
    match engine().ask(q) {
        Reply::Answer { id, .. } => id,
        other => panic!("{q}: expected an answer, got {other:?}"),
    }
}

fn top_id(q: &str) -> String {
    engine()
        .search(q, 1)
        .first()
        .map(|c| c.id.clone())
        .unwrap_or_default()
}

#[test]
fn answers_with_elisions_accents_and_apostrophes() {
    assert_eq!(answer_id("quanto costa la carta d'identità"), "cie-costo");
    assert_eq!(answer_id("quanto costa la carta d’identita"), "cie-costo");
    assert_eq!(answer_id("QUANTO COSTA LA CARTA DI IDENTITÀ?"), "cie-costo");
}

#[test]
fn corrects_typos_and_uses_synonyms() {
    assert_eq!(top_id("quanto costa la carta d'identià"), "cie-costo");
    assert_eq!(top_id("orari dell'isola ecologica"), "ecocentro");
    assert_eq!(top_id("costo della cie"), "cie-costo");
}

#[test]
fn answer_carries_safe_html_text_and_related() {
    match engine().ask("ztl orari") {
        Reply::Answer {
            id,
            answer_html,
            answer_text,
            related,
            confidence,
            why,
            ..
        } => {
            assert_eq!(id, "ztl-orari");
            assert!(answer_html.contains("<strong>"), "{answer_html}");
            assert!(!answer_text.is_empty());
            assert!(!related.is_empty());
            assert!((0.0..=1.0).contains(&confidence));
            assert!(why.words.iter().any(|w| w.matched_in.is_some()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn declines_out_of_scope_with_contacts() {
    for q in [
        "come si prepara la carbonara",
        "asdfghjkl qwerty",
        "chi ha vinto il campionato di calcio",
    ] {
        match engine().ask(q) {
            Reply::Decline {
                contacts, message, ..
            } => {
                assert!(contacts.phone.is_some() && contacts.email.is_some(), "{q}");
                assert!(message.contains("non ho trovato"), "{message}");
            }
            other => panic!("{q}: expected a decline, got {other:?}"),
        }
    }
}

#[test]
fn empty_and_junk_input_is_declined_as_empty() {
    for q in ["", "   ", "?!?!", "🙂🙂🙂", "\u{0}\u{7}\u{1b}[31m"] {
        match engine().ask(q) {
            Reply::Decline { reason, .. } => {
                assert!(
                    matches!(reason, DeclineReason::Empty | DeclineReason::NoMatch),
                    "{q:?}"
                )
            }
            other => panic!("{q:?}: {other:?}"),
        }
    }
}

#[test]
fn small_talk_and_disclosure() {
    assert!(matches!(
        engine().ask("buongiorno"),
        Reply::SmallTalk {
            intent: "greeting",
            ..
        }
    ));
    match engine().ask("sei un robot?") {
        Reply::SmallTalk {
            intent,
            message,
            contacts,
        } => {
            assert_eq!(intent, "bot_identity");
            assert!(message.contains("assistente automatico"));
            assert!(contacts.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(engine().ai_disclosure().contains("assistente automatico"));
    // A greeting in front of a real question does not hide the question.
    assert_eq!(
        answer_id("buongiorno, quanto costa la carta d'identità?"),
        "cie-costo"
    );
}

#[test]
fn clarify_offers_two_or_three_choices() {
    // Two entries that fit the question equally well: the citizen chooses.
    let entry = |id: &str, q: &str| Entry {
        id: id.into(),
        question: q.into(),
        answer: "Risposta.".into(),
        ..Entry::default()
    };
    let kb = KnowledgeBase::from_entries(vec![
        entry(
            "cie-adulti",
            "Quanto costa la carta d'identità per gli adulti?",
        ),
        entry(
            "cie-ragazzi",
            "Quanto costa la carta d'identità per i ragazzi?",
        ),
        entry("tari", "Quando si paga la TARI?"),
    ]);
    let engine = Engine::new(kb).unwrap();
    match engine.ask("quanto costa la carta d'identità") {
        Reply::Clarify {
            options, message, ..
        } => {
            assert!((2..=3).contains(&options.len()), "{options:?}");
            let ids: Vec<_> = options.iter().map(|c| c.id.as_str()).collect();
            assert!(
                ids.contains(&"cie-adulti") && ids.contains(&"cie-ragazzi"),
                "{ids:?}"
            );
            assert!(message.starts_with("Forse cercavi"));
        }
        other => panic!("expected clarify, got {other:?}"),
    }
}

#[test]
fn enormous_question_is_handled() {
    let q = "carta d'identità costo ".repeat(5000);
    let r = engine().ask(&q);
    assert!(matches!(r.kind(), "answer" | "clarify" | "decline"));
}

#[test]
fn answer_entry_by_id() {
    assert!(matches!(
        engine().answer_entry("cie-costo"),
        Some(Reply::Answer { .. })
    ));
    assert!(engine().answer_entry("non-esiste").is_none());
}

#[test]
fn same_question_same_reply() {
    let a = engine().ask("quando si paga la tari");
    let b = engine().ask("quando si paga la tari");
    assert_eq!(a, b);
}

#[test]
fn suggests_while_typing_and_completes_the_last_word() {
    let ids =
        |q: &str| -> Vec<String> { engine().suggest(q, 5).into_iter().map(|c| c.id).collect() };
    // The unfinished "identi" is completed from the vocabulary.
    assert!(ids("costo carta d'identi").contains(&"cie-costo".to_string()));
    // Too short or meaningless: nothing rather than noise.
    assert!(ids("ca").is_empty());
    assert!(ids("xqzw vbnm").is_empty());
    let s = engine().suggest("costo carta d'identi", 2);
    assert!(s.len() <= 2);
    assert!(s.windows(2).all(|w| w[0].confidence >= w[1].confidence));
}

#[test]
fn bundle_round_trip_answers_the_same() {
    let files = sportello_core::bundle::write(engine().kb());
    let again = sportello_core::bundle::open(&files.json, files.prebuilt.as_deref()).unwrap();
    for q in [
        "quanto costa la carta d'identità",
        "orari ztl",
        "ciao",
        "passaporto",
    ] {
        let mut expected = engine().ask(q);
        // Bundles leave out the Markdown of answers (they carry them rendered).
        if let Reply::Answer { answer, .. } = &mut expected {
            answer.clear();
        }
        assert_eq!(again.ask(q), expected, "{q}");
    }
}

fn reason(reply: &Reply) -> Option<DeclineReason> {
    match reply {
        Reply::Decline { reason, .. } => Some(*reason),
        _ => None,
    }
}

#[test]
fn other_administrations_matters_name_the_office() {
    // The example KB mentions passports and driving licences only inside answers.
    for (q, office) in [
        ("come faccio a rinnovare il passaporto", "Questura"),
        ("come si rinnova la patente di guida", "Motorizzazione"),
        ("voglio cambiare medico di base", "ASL"),
    ] {
        let reply = engine().ask(q);
        assert_eq!(
            reason(&reply),
            Some(DeclineReason::OtherOffice),
            "{q}: {reply:?}"
        );
        let Reply::Decline {
            message, contacts, ..
        } = reply
        else {
            unreachable!()
        };
        assert!(message.contains(office), "{q}: {message}");
        assert!(contacts.phone.is_some() || contacts.email.is_some());
    }
}

#[test]
fn other_offices_words_as_context_do_not_refer() {
    // The question names the agency's own matter (the identity card) too.
    let q = "ieri mi hanno rubato il portafoglio con la carta d'identità e la patente, come faccio per il documento?";
    let reply = engine().ask(q);
    assert_ne!(
        reason(&reply),
        Some(DeclineReason::OtherOffice),
        "{reply:?}"
    );
    // A KB with entries about passports answers passport questions itself.
    let kb = KnowledgeBase::from_entries(vec![
        Entry {
            id: "passaporto-rinnovo".into(),
            question: "Come si rinnova il passaporto?".into(),
            answer: "Su appuntamento in Questura.".into(),
            ..Entry::default()
        },
        Entry {
            id: "porto-armi".into(),
            question: "Come si chiede il porto d'armi?".into(),
            answer: "Con domanda alla Questura.".into(),
            ..Entry::default()
        },
    ]);
    let questura = Engine::new(kb).unwrap();
    match questura.ask("come faccio a rinnovare il passaporto") {
        Reply::Answer { id, .. } => assert_eq!(id, "passaporto-rinnovo"),
        other => panic!("expected an answer, got {other:?}"),
    }
}

#[test]
fn referrals_can_be_switched_off() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../knowledge-base/comune-di-esempio"
    );
    let mut config = sportello_core::MatchConfig::default();
    config.set("referrals", "false").unwrap();
    let engine = Engine::with_config(load::load_path(path).unwrap().kb, config).unwrap();
    let reply = engine.ask("come faccio a rinnovare il passaporto");
    assert_ne!(
        reason(&reply),
        Some(DeclineReason::OtherOffice),
        "{reply:?}"
    );
}

#[test]
fn glossary_words_count_as_known_words_for_typos() {
    // "prezzo" is in no entry, only in the glossary (a synonym of "costo"); "pezzo" is one
    // edit away from it and is in an entry.
    let kb = KnowledgeBase::from_entries(vec![
        Entry {
            id: "cie-costo".into(),
            question: "Quanto costa la carta d'identità?".into(),
            answer: "Costa 22,21 euro.".into(),
            ..Entry::default()
        },
        Entry {
            id: "ricambi".into(),
            question: "Dove trovo un pezzo di ricambio per la bicicletta?".into(),
            answer: "Al mercatino del riuso.".into(),
            ..Entry::default()
        },
    ]);
    let with = Engine::new(kb.clone()).unwrap();
    let top = |e: &Engine, q: &str| e.search(q, 1).first().map(|c| c.id.clone());
    // A glossary word is never "corrected" into a KB word.
    assert_eq!(top(&with, "prezzo"), Some("cie-costo".into()));
    // A misspelt glossary word is corrected to it.
    match with.ask("prezo della carta d'identità") {
        Reply::Answer { id, why, .. } => {
            assert_eq!(id, "cie-costo");
            let w = why.words.iter().find(|w| w.word == "prezo").unwrap();
            assert_eq!(w.corrected_to.as_deref(), Some("prezzo"));
        }
        other => panic!("{other:?}"),
    }
    // Without it (the switch measured in docs/quality.md), "prezzo" becomes "pezzo".
    let config = sportello_core::MatchConfig {
        glossary_typos: false,
        ..Default::default()
    };
    let without = Engine::with_config(kb, config).unwrap();
    assert_eq!(top(&without, "prezzo"), Some("ricambi".into()));
}

#[test]
fn context_clauses_around_the_question_do_not_hide_it() {
    // The question is the last clause; the others are context the KB knows nothing about.
    let q = "salve, lavoro tutto il giorno in fabbrica e torno tardi la sera, quanto costa la carta d'identità?";
    assert_eq!(answer_id(q), "cie-costo");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../knowledge-base/comune-di-esempio"
    );
    let whole_only = sportello_core::MatchConfig {
        clause_coverage: 0.0,
        ..Default::default()
    };
    let e = Engine::with_config(load::load_path(path).unwrap().kb, whole_only).unwrap();
    assert!(matches!(e.ask(q), Reply::Decline { .. }), "{:?}", e.ask(q));
    // A single-clause question is unaffected.
    let short = "quanto costa la carta d'identità";
    assert_eq!(e.ask(short).confidence(), engine().ask(short).confidence());
}

#[test]
fn an_entry_that_answers_in_other_words_is_not_declined() {
    // "reclami" and "suggerimenti" are only in the URP entry's answer, not in its phrasings.
    let entry = |id: &str, q: &str, a: &str| Entry {
        id: id.into(),
        question: q.into(),
        answer: a.into(),
        ..Entry::default()
    };
    let kb = KnowledgeBase::from_entries(vec![
        entry(
            "urp",
            "Quali sono i contatti dell'URP?",
            "L'URP riceve segnalazioni, reclami e suggerimenti. Telefono 0123 456789.",
        ),
        entry(
            "tari",
            "Come pago la TARI?",
            "Con pagoPA, entro le scadenze.",
        ),
        entry(
            "cie",
            "Quanto costa la carta d'identità?",
            "Costa 22,21 euro.",
        ),
    ]);
    let q = "reclami e suggerimenti";
    let with_floor = Engine::new(kb.clone()).unwrap();
    let reply = with_floor.ask(q);
    assert!(!matches!(reply, Reply::Decline { .. }), "{reply:?}");
    assert_eq!(with_floor.search(q, 1)[0].id, "urp");
    let no_floor = sportello_core::MatchConfig {
        recall_floor: 0.0,
        ..Default::default()
    };
    let without = Engine::with_config(kb, no_floor).unwrap();
    assert!(
        matches!(without.ask(q), Reply::Decline { .. }),
        "{:?}",
        without.ask(q)
    );
}

#[test]
fn an_entry_outside_its_validity_window_is_not_answered() {
    use sportello_core::context::{AskContext, Timestamp};
    let kb = KnowledgeBase::from_entries(vec![
        Entry {
            id: "bonus-libri-2026".into(),
            question: "Come si chiede il bonus libri scolastici?".into(),
            answer: "Con il modulo online entro il 30 novembre.".into(),
            valid_from: Some("2026-09-01".into()),
            valid_until: Some("2026-11-30".into()),
            ..Entry::default()
        },
        Entry {
            id: "tari".into(),
            question: "Quando si paga la TARI?".into(),
            answer: "In due rate.".into(),
            ..Entry::default()
        },
    ]);
    let engine = Engine::new(kb).unwrap();
    // Noon UTC of a day (13:00 in Italy, the same date).
    let at = |date: &str| {
        let day = sportello_core::date::parse(date).unwrap();
        AskContext::at(Timestamp::from_unix_seconds(day * 86_400 + 12 * 3_600))
    };
    let q = "come si chiede il bonus libri scolastici";
    let kind_and_ids = |ctx: &AskContext| {
        let reply = engine.ask_in(q, ctx);
        (
            reply.kind(),
            reply
                .entry_ids()
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        kind_and_ids(&at("2026-10-15")),
        ("answer", vec!["bonus-libri-2026".to_string()])
    );
    assert_eq!(
        kind_and_ids(&at("2026-11-30")).0,
        "answer",
        "the last day is included"
    );
    for outside in ["2026-12-01", "2026-08-31"] {
        let (kind, ids) = kind_and_ids(&at(outside));
        assert_eq!(kind, "decline", "{outside}: {ids:?}");
        let (reply, ranking) = engine.ask_with_ranking_in(q, 5, &at(outside));
        assert!(
            ranking.iter().all(|c| c.id != "bonus-libri-2026"),
            "{outside}: {reply:?}"
        );
    }
    // Without a time (evaluation, tests) every entry is used.
    assert_eq!(engine.ask(q).kind(), "answer");
}
