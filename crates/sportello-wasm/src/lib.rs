//! # sportello-wasm
//!
//! The WebAssembly adapter of Sportello for the website widget (`web-widget/`): it loads a
//! knowledge-base bundle written by `sportello build`, and answers questions in the browser
//! with the same engine and the same reply structure as the Rust library. No matching logic
//! lives here: every method is a call into [`sportello_core::Engine`] and a JSON encoding of
//! its result, which the widget parses with `JSON.parse`.
//!
//! The engine uses no threads and no I/O, so nothing leaves the page.

use serde::Serialize;
use sportello_core::{bundle, Contacts, Engine, Reply};
use wasm_bindgen::prelude::*;

/// The engine for one agency, built from a bundle.
#[wasm_bindgen]
pub struct Assistant {
    engine: Engine,
}

/// What the widget shows around the conversation.
#[derive(Serialize)]
struct Info<'a> {
    id: &'a str,
    name: &'a str,
    contacts: &'a Contacts,
    ai_disclosure: String,
    entries: usize,
    /// Whether the engine was opened from the bundle's prebuilt data (always, since the
    /// widget no longer builds an index; kept for hosts that read it).
    prebuilt: bool,
}

/// One suggestion while typing.
#[derive(Serialize)]
struct Suggestion<'a> {
    id: &'a str,
    question: &'a str,
}

/// `text` with personal data replaced by placeholders (`[TELEFONO]`, `[CODICE FISCALE]`…),
/// by the same rules as the server's feedback store: what the widget reports is redacted in
/// the browser, before it leaves the page.
#[wasm_bindgen]
pub fn redact(text: &str) -> String {
    sportello_core::redact::redact(text)
}

fn json<T: Serialize>(value: &T) -> String {
    // Replies are made of strings and numbers only; serialisation cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl Assistant {
    /// A reply in the one wire format of Sportello (as the CLI's `--json` and the JSON API).
    fn reply(&self, r: &Reply) -> String {
        json(&self.engine.wire(r))
    }
}

/// The context of a question asked at `unix_ms` (the page's `Date.now()`).
fn moment(unix_ms: f64) -> sportello_core::AskContext {
    sportello_core::AskContext::at(sportello_core::Timestamp::from_unix_seconds(
        (unix_ms / 1000.0).floor() as i64,
    ))
}

#[wasm_bindgen]
impl Assistant {
    /// Opens the engine from the bundle's JSON text and its prebuilt tables and index (the
    /// bytes of `bundle.bin`; `undefined` for a bundle of format 1, which has them inside).
    /// It never builds an index: a bundle without prebuilt data, or with data from another
    /// version of Sportello, is an error that says to rebuild it (so the index writer is not
    /// in the wasm). The answers come rendered in the bundle, so no Markdown parser is
    /// shipped to the browser.
    #[wasm_bindgen(constructor)]
    pub fn new(bundle_json: &str, prebuilt: Option<Vec<u8>>) -> Result<Assistant, JsError> {
        let engine = bundle::open(bundle_json, prebuilt.as_deref())
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Assistant { engine })
    }

    /// The reply to a question, as JSON: `{"kind": "answer" | "clarify" | "decline" |
    /// "small_talk", ...}` in the wire format of [`sportello_core::reply::Wire`] (as the API
    /// and the CLI give it: with `agency`, `ids` and `confidence`).
    pub fn ask(&self, question: &str) -> String {
        self.reply(&self.engine.ask(question))
    }

    /// [`Assistant::ask`] at a moment given by the page (`Date.now()`, milliseconds since
    /// 1970): entries outside their `valid_from` / `valid_until` window are left out.
    #[wasm_bindgen(js_name = askAt)]
    pub fn ask_at(&self, question: &str, unix_ms: f64) -> String {
        self.reply(&self.engine.ask_in(question, &moment(unix_ms)))
    }

    /// The answer of one entry (after a "Forse cercavi…" choice), as JSON, or `undefined`
    /// for an unknown id.
    #[wasm_bindgen(js_name = answerEntry)]
    pub fn answer_entry(&self, id: &str) -> Option<String> {
        self.engine.answer_entry(id).map(|r: Reply| self.reply(&r))
    }

    /// [`Assistant::answer_entry`] at a moment given by the page (`Date.now()`): with the
    /// notices valid then.
    #[wasm_bindgen(js_name = answerEntryAt)]
    pub fn answer_entry_at(&self, id: &str, unix_ms: f64) -> Option<String> {
        self.engine
            .answer_entry_in(id, &moment(unix_ms))
            .map(|r: Reply| self.reply(&r))
    }

    /// Up to `limit` questions the citizen may be typing, as a JSON array of `{id, question}`.
    pub fn suggest(&self, partial: &str, limit: usize) -> String {
        let found = self.engine.suggest(partial, limit.min(10));
        let list: Vec<Suggestion> = found
            .iter()
            .map(|c| Suggestion {
                id: &c.id,
                question: &c.question,
            })
            .collect();
        json(&list)
    }

    /// Builds the typo-correction table now (the widget calls it when the page is idle after
    /// `ready`), so that the first misspelt question does not wait for it.
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up(&self) {
        self.engine.warm_up();
    }

    /// Agency name, contacts and the AI-disclosure sentence, as JSON.
    pub fn info(&self) -> String {
        let kb = self.engine.kb();
        json(&Info {
            id: &kb.agency.id,
            name: &kb.agency.name,
            contacts: &kb.agency.contacts,
            ai_disclosure: self.engine.ai_disclosure(),
            entries: kb.entries.len(),
            prebuilt: self.engine.is_prebuilt(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_core::{Entry, KnowledgeBase};

    fn assistant() -> Assistant {
        let mut kb = KnowledgeBase::from_entries(vec![
            Entry {
                id: "cie-costo".into(),
                question: "Quanto costa la carta d'identità elettronica?".into(),
                answer: "Costa **22,21 euro**. <script>alert(1)</script>".into(),
                ..Entry::default()
            },
            Entry {
                id: "tari".into(),
                question: "Come si paga la tassa sui rifiuti?".into(),
                answer: "Con pagoPA.".into(),
                ..Entry::default()
            },
        ]);
        kb.agency.name = "Comune di Prova".into();
        kb.agency.contacts.phone = Some("0123 456789".into());
        let files = bundle::write(&kb);
        Assistant::new(&files.json, files.prebuilt).unwrap()
    }

    #[test]
    fn answers_as_the_library_does() {
        let a = assistant();
        let v: serde_json::Value =
            serde_json::from_str(&a.ask("quanto costa la carta di identita")).unwrap();
        assert_eq!(v["kind"], "answer");
        assert_eq!(v["id"], "cie-costo");
        let html = v["answer_html"].as_str().unwrap();
        assert!(html.contains("<strong>22,21 euro</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn declines_with_contacts_and_reports_info() {
        let a = assistant();
        let v: serde_json::Value =
            serde_json::from_str(&a.ask("dove posso pescare le trote in montagna")).unwrap();
        assert_eq!(v["kind"], "decline");
        assert_eq!(v["contacts"]["phone"], "0123 456789");
        let info: serde_json::Value = serde_json::from_str(&a.info()).unwrap();
        assert_eq!(info["name"], "Comune di Prova");
        assert_eq!(info["entries"], 2);
        assert!(info["ai_disclosure"]
            .as_str()
            .unwrap()
            .contains("automatico"));
    }

    #[test]
    fn answer_entry_and_suggestions() {
        let a = assistant();
        let v: serde_json::Value = serde_json::from_str(&a.answer_entry("tari").unwrap()).unwrap();
        assert_eq!(v["id"], "tari");
        assert!(a.answer_entry("nope").is_none());
        let s: serde_json::Value = serde_json::from_str(&a.suggest("tassa rifi", 5)).unwrap();
        assert_eq!(s[0]["id"], "tari");
    }
}
