//! Notices and shared packs, on the example agency that extends the example national pack
//! (`examples/comune-con-pacchetto`, `knowledge-base/pacchetto-nazionale`).

use sportello_core::notices::parse_moment;
use sportello_core::{bundle, load, AskContext, Engine, KnowledgeBase, Reply};
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn agency() -> KnowledgeBase {
    let loaded = load::load_path(root().join("examples/comune-con-pacchetto")).unwrap();
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.kb
}

/// A moment in Italian time.
fn at(moment: &str) -> AskContext {
    AskContext::at(parse_moment(moment, false).unwrap())
}

fn shown(r: &Reply) -> Vec<&str> {
    r.notices().iter().map(|n| n.id.as_str()).collect()
}

fn answered(r: &Reply) -> &str {
    match r {
        Reply::Answer { id, .. } => id,
        other => panic!("not an answer: {other:?}"),
    }
}

const CIE: &str = "cosa devo portare per fare la carta d'identità elettronica?";
const URP: &str = "quando è aperto l'ufficio relazioni con il pubblico";
const UNKNOWN: &str = "posso portare il cane in spiaggia d'estate?";

#[test]
fn a_valid_notice_about_the_cie_comes_before_the_cie_answer_until_it_expires() {
    let engine = Engine::new(agency()).unwrap();
    let during = engine.ask_in(CIE, &at("2026-12-05T10:00"));
    assert_eq!(answered(&during), "naz-cie-cosa-serve");
    assert_eq!(shown(&during), ["anagrafe-chiusa"]);
    let n = &during.notices()[0];
    assert!(n.html.contains("<strong>9 dicembre</strong>"), "{}", n.html);
    assert!(
        n.text.starts_with("Anagrafe chiusa il 9 dicembre\n"),
        "{}",
        n.text
    );
    // In the wire format the notices come before the answer's fields are read by adapters.
    let json = serde_json::to_value(&during).unwrap();
    assert_eq!(json["notices"][0]["priority"], "high");
    // Its last day is shown to its end; the next morning it is gone.
    let last = engine.ask_in(CIE, &at("2026-12-09T23:59"));
    assert_eq!(shown(&last), ["anagrafe-chiusa"]);
    let after = engine.ask_in(CIE, &at("2026-12-10T08:00"));
    assert_eq!(answered(&after), "naz-cie-cosa-serve");
    assert!(shown(&after).is_empty(), "{:?}", shown(&after));
    // Before its `from`, and with no time given, neither.
    assert!(shown(&engine.ask_in(CIE, &at("2026-11-30T23:00"))).is_empty());
    assert!(shown(&engine.ask(CIE)).is_empty());
    // It concerns CIE entries only: the URP answer does not carry it.
    let urp = engine.ask_in(URP, &at("2026-12-05T10:00"));
    assert_eq!(answered(&urp), "urp-orari");
    assert!(shown(&urp).is_empty());
    // A chosen entry carries it too (after "Forse cercavi…").
    let chosen = engine
        .answer_entry_in("naz-cie-validita", &at("2026-12-05T10:00"))
        .unwrap();
    assert_eq!(shown(&chosen), ["anagrafe-chiusa"]);
}

#[test]
fn a_global_notice_shows_on_any_answer_and_on_declines() {
    let engine = Engine::new(agency()).unwrap();
    let strike = at("2026-12-10T13:00");
    let urp = engine.ask_in(URP, &strike);
    assert_eq!(answered(&urp), "urp-orari");
    assert_eq!(shown(&urp), ["sciopero"]);
    let cie = engine.ask_in(CIE, &strike);
    assert_eq!(shown(&cie), ["sciopero"]);
    let declined = engine.ask_in(UNKNOWN, &strike);
    assert!(matches!(declined, Reply::Decline { .. }), "{declined:?}");
    assert_eq!(shown(&declined), ["sciopero"]);
    // Small talk carries none.
    assert!(shown(&engine.ask_in("grazie mille", &strike)).is_empty());
    // Both at once: the urgent one first.
    let mut kb = agency();
    kb.notices
        .iter_mut()
        .find(|n| n.id == "anagrafe-chiusa")
        .unwrap()
        .until = Some("2026-12-12".into());
    let both = Engine::new(kb).unwrap().ask_in(CIE, &strike);
    assert_eq!(shown(&both), ["anagrafe-chiusa", "sciopero"]);
}

#[test]
fn the_same_replies_natively_and_from_the_widgets_bundle_at_the_same_time() {
    let kb = agency();
    let native = Engine::new(kb.clone()).unwrap();
    // `bundle::open` is the wasm's path: prebuilt data, answers and notices rendered by
    // `sportello build`.
    let files = bundle::write(&kb);
    let widget = bundle::open(&files.json, files.prebuilt.as_deref()).unwrap();
    assert!(widget.is_prebuilt());
    let mut with_notices = 0;
    for moment in [
        "2026-11-01T09:00",
        "2026-12-05T10:00",
        "2026-12-10T13:00",
        "2027-03-13T22:00",
    ] {
        for q in [
            CIE,
            URP,
            UNKNOWN,
            "come pago un avviso pagopa",
            "certificato di residenza online",
        ] {
            let mut a = serde_json::to_value(native.ask_in(q, &at(moment))).unwrap();
            let b = serde_json::to_value(widget.ask_in(q, &at(moment))).unwrap();
            // Bundles leave out the Markdown of answers (they carry them rendered).
            if a["kind"] == "answer" {
                a["answer"] = serde_json::json!("");
            }
            assert_eq!(a, b, "{q} at {moment}");
            with_notices += usize::from(a.get("notices").is_some());
        }
    }
    assert!(with_notices >= 6, "{with_notices}");
}

#[test]
fn an_agency_extending_the_pack_answers_from_the_merged_kb() {
    let kb = agency();
    // The pack's entries are in, the excluded one is not, the override is the agency's.
    assert!(kb.entry("naz-pagopa").is_some());
    assert!(kb.entry("naz-io-app").is_none());
    let cie = kb.entry("naz-cie-cosa-serve").unwrap();
    assert!(cie.answer.contains("Comune di Prova"));
    assert!(cie
        .origin
        .as_ref()
        .unwrap()
        .file
        .contains("comune-con-pacchetto"));
    assert_eq!(
        kb.entries
            .iter()
            .filter(|e| e.id == "naz-cie-cosa-serve")
            .count(),
        1
    );
    // The agency's contacts; the pack's synonyms added, the pack's notices merged.
    assert_eq!(kb.agency.contacts.phone.as_deref(), Some("+39 0123 000111"));
    assert!(kb
        .agency
        .synonyms
        .iter()
        .any(|g| g.contains(&"anpr".to_string())));
    assert!(kb.notice("naz-manutenzione-anpr").is_some());
    let engine = Engine::new(kb).unwrap();
    assert_eq!(
        answered(&engine.ask("come pago un avviso pagopa")),
        "naz-pagopa"
    );
    let r = engine.ask(CIE);
    match &r {
        Reply::Answer { answer, .. } => assert!(answer.contains("22,21 euro"), "{answer}"),
        other => panic!("{other:?}"),
    }
    // The pack's notice about ANPR shows with the pack's ANPR entry in its window.
    let r = engine.ask_in("certificato di residenza online", &at("2027-03-13T22:00"));
    assert_eq!(answered(&r), "naz-certificati-anpr");
    assert_eq!(shown(&r), ["naz-manutenzione-anpr"]);
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn entry(question: &str) -> String {
    format!("+++\nquestion = \"{question}\"\n+++\nRisposta.\n")
}

#[test]
fn check_names_an_id_two_packs_share_with_both_files_and_bad_notices_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path();
    write(
        &base.join("uno/entries/bonus.md"),
        &entry("Come chiedo il bonus?"),
    );
    write(
        &base.join("due/entries/bonus.md"),
        &entry("Chi ha diritto al bonus?"),
    );
    write(
        &base.join("ente/agency.toml"),
        "name = \"Ente\"\nextends = [\"../uno\", \"../due\", \"../tre\"]\nexclude = [\"nessuna\"]\n[contacts]\nphone = \"0123\"\n",
    );
    write(
        &base.join("ente/entries/orari.md"),
        &entry("Quali sono gli orari?"),
    );
    write(
        &base.join("ente/notices/rotto.md"),
        "+++\ntitle = \"Chiusura\"\nfrom = \"2026-12-10\"\nuntil = \"2026-12-01\"\nentries = [\"orario\"]\n+++\nChiuso.\n",
    );
    write(
        &base.join("ente/notices/data.md"),
        "+++\ntitle = \"Chiusura\"\n\nfrom = \"il 3 dicembre\"\n+++\nChiuso.\n",
    );
    let loaded = load::load_path(base.join("ente")).unwrap();
    let d = &loaded.diagnostics;
    let one = base.join("uno/entries/bonus.md").display().to_string();
    let two = base.join("due/entries/bonus.md").display().to_string();
    let conflict = d
        .iter()
        .find(|d| d.message.contains("bonus") && d.is_error())
        .unwrap_or_else(|| panic!("no conflict in {d:?}"));
    let both = format!("{} {}", conflict.file, conflict.message);
    assert!(both.contains(&one) && both.contains(&two), "{both}");
    let find = |file: &str, field: &str| {
        d.iter()
            .find(|x| x.file.ends_with(file) && x.field.as_deref() == Some(field))
            .unwrap_or_else(|| panic!("nothing on {file} {field}: {d:?}"))
    };
    let agency = base.join("ente/agency.toml").display().to_string();
    let missing = find("agency.toml", "extends");
    assert!(missing.is_error() && missing.message.contains("../tre"));
    assert_eq!(
        (missing.file.as_str(), missing.line),
        (agency.as_str(), Some(2))
    );
    assert_eq!(find("agency.toml", "exclude").line, Some(3));
    let until = find("notices/rotto.md", "until");
    assert!(until.is_error() && until.line == Some(4), "{until:?}");
    let unknown = find("notices/rotto.md", "entries");
    assert!(unknown.message.contains("«orario»") && unknown.line == Some(5));
    let date = find("notices/data.md", "from");
    assert!(date.is_error() && date.line == Some(4), "{date:?}");
    // Only one «bonus» is served, the first pack's.
    assert_eq!(
        loaded.kb.entries.iter().filter(|e| e.id == "bonus").count(),
        1
    );
}

#[test]
fn the_serving_policy_refuses_errors_and_watches_the_packs_too() {
    let agency_dir = root().join("examples/comune-con-pacchetto");
    let served = load::for_serving(&agency_dir).unwrap();
    assert!(served.kb.entry("naz-pagopa").is_some());
    let sources = load::sources(&agency_dir);
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(
        sources[1].ends_with("knowledge-base/pacchetto-nazionale"),
        "{sources:?}"
    );
    // One broken notice is enough to refuse the whole KB, with the error named.
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("agency.toml"),
        "name = \"Ente\"\n[contacts]\nphone = \"0123\"\n",
    );
    write(
        &dir.path().join("entries/orari.md"),
        &entry("Quali sono gli orari?"),
    );
    write(
        &dir.path().join("notices/x.md"),
        "+++\ntitle = \"X\"\nuntil = \"ieri\"\n+++\nTesto.\n",
    );
    match load::for_serving(dir.path()) {
        Err(load::Refused::Invalid { errors, .. }) => {
            assert_eq!(errors.len(), 1);
            assert!(errors[0].file.ends_with("notices/x.md") && errors[0].line == Some(3));
        }
        other => panic!("not refused: {:?}", other.map(|l| l.kb.entries.len())),
    }
    std::fs::remove_file(dir.path().join("notices/x.md")).unwrap();
    assert!(load::for_serving(dir.path()).is_ok());
}
