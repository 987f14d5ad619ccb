//! The native format: a folder with `agency.toml` and one Markdown file per entry,
//! `entries/<id>.md`, opening with TOML front matter between `+++` lines.

use super::fields::{decode, unknown_key_message, EntryBuilder, RawField, RawValue};
use crate::diag::{line_of, Diagnostic};
use crate::kb::{Agency, Entry};
use crate::smalltalk::SmallTalkOverride;
use serde::Deserialize;
use toml::de::{DeTable, DeValue};

/// Keys of the front matter (the id is the file name, the answer is the body).
const FRONT_MATTER_KEYS: &[&str] = &[
    "question",
    "alternatives",
    "short_answer",
    "tags",
    "office",
    "source",
    "reviewed",
    "valid_from",
    "valid_until",
    "related",
];

pub(super) fn raw(value: &DeValue<'_>) -> RawValue {
    match value {
        DeValue::String(s) => RawValue::Str(s.to_string()),
        DeValue::Array(items) => RawValue::List(items.iter().map(|v| raw(v.get_ref())).collect()),
        DeValue::Datetime(d) => RawValue::Date(d.to_string()),
        DeValue::Integer(_) | DeValue::Float(_) => RawValue::Other("un numero"),
        DeValue::Boolean(_) => RawValue::Other("un valore vero/falso"),
        DeValue::Table(_) => RawValue::Other("una tabella"),
    }
}

pub(super) fn toml_error(file: &str, text: &str, offset: usize, e: &toml::de::Error) -> Diagnostic {
    let line = e.span().map(|s| line_of(text, offset + s.start));
    Diagnostic::error(
        file,
        line,
        format!("TOML non valido: {}", e.message().trim()),
    )
    .hint("controlla virgolette, parentesi quadre e il segno = tra chiave e valore")
}

/// Splits a native entry file into (front matter, its byte offset, body, body line).
pub(super) fn split_front_matter(text: &str) -> Option<(&str, usize, &str, usize)> {
    let start = text.find("+++")?;
    if !text[..start].trim().is_empty() {
        return None;
    }
    let after_open = start + 3 + text[start + 3..].find('\n')? + 1;
    let mut pos = after_open;
    for line in text[after_open..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            let body_start = pos + line.len();
            return Some((
                &text[after_open..pos],
                after_open,
                &text[body_start..],
                line_of(text, body_start),
            ));
        }
        pos += line.len();
    }
    None
}

/// Parses one entry file; `id` is its file name without `.md`.
pub fn parse_entry_file(file: &str, id: &str, bytes: &[u8]) -> (Option<Entry>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (None, diags);
    };
    let Some((front, offset, body, body_line)) = split_front_matter(text) else {
        diags.push(
            Diagnostic::error(file, Some(1), "manca l'intestazione tra due righe +++")
                .hint("il file deve iniziare con una riga +++, poi question = \"…\" e le altre chiavi, poi un'altra riga +++ e sotto la risposta"),
        );
        return (None, diags);
    };
    let (table, errors) = DeTable::parse_recoverable(front);
    for e in &errors {
        diags.push(toml_error(file, text, offset, e));
    }
    let mut fields = Vec::new();
    for (key, value) in table.get_ref().iter() {
        let line = line_of(text, offset + key.span().start);
        fields.push(RawField {
            key: key.get_ref().to_string(),
            line,
            value: raw(value.get_ref()),
        });
    }
    fields.sort_by_key(|f| f.line);
    let builder = EntryBuilder {
        file,
        line: 1,
        diags: &mut diags,
        allowed: FRONT_MATTER_KEYS,
    };
    let entry = builder.build(
        Some(id.to_string()),
        &fields,
        Some((body.trim().to_string(), body_line)),
    );
    // A syntax error may have hidden keys: do not use a half-read entry.
    let entry = if errors.is_empty() { entry } else { None };
    (entry, diags)
}

/// Writes an entry in the native format.
pub fn to_entry_file(e: &Entry) -> String {
    let mut t = toml::Table::new();
    let list = |v: &[String]| {
        toml::Value::Array(v.iter().map(|s| toml::Value::String(s.clone())).collect())
    };
    t.insert("question".into(), toml::Value::String(e.question.clone()));
    if !e.alternatives.is_empty() {
        t.insert("alternatives".into(), list(&e.alternatives));
    }
    if let Some(s) = &e.short_answer {
        t.insert("short_answer".into(), toml::Value::String(s.clone()));
    }
    if !e.tags.is_empty() {
        t.insert("tags".into(), list(&e.tags));
    }
    if let Some(s) = &e.office {
        t.insert("office".into(), toml::Value::String(s.clone()));
    }
    if let Some(s) = &e.source {
        t.insert("source".into(), toml::Value::String(s.clone()));
    }
    for (key, date) in [
        ("reviewed", &e.reviewed),
        ("valid_from", &e.valid_from),
        ("valid_until", &e.valid_until),
    ] {
        if let Some(d) = date {
            let value = d
                .parse::<toml::value::Datetime>()
                .map(toml::Value::Datetime)
                .unwrap_or_else(|_| toml::Value::String(d.clone()));
            t.insert(key.into(), value);
        }
    }
    if !e.related.is_empty() {
        t.insert("related".into(), list(&e.related));
    }
    let mut out = String::from("+++\n");
    for key in FRONT_MATTER_KEYS {
        if let Some(v) = t.get(*key) {
            let mut one = toml::Table::new();
            one.insert((*key).to_string(), v.clone());
            out.push_str(&toml::to_string(&one).unwrap_or_default());
        }
    }
    out.push_str("+++\n");
    out.push_str(e.answer.trim());
    out.push('\n');
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgencyFile {
    name: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default = "default_language")]
    language: String,
    #[serde(default)]
    contacts: crate::kb::Contacts,
    #[serde(default)]
    synonyms: Vec<Vec<String>>,
    #[serde(default)]
    thresholds: Option<crate::kb::Thresholds>,
    #[serde(default)]
    ai_disclosure: Option<String>,
    #[serde(default)]
    extends: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
}

fn default_language() -> String {
    "it".into()
}

const AGENCY_KEYS: &[&str] = &[
    "name",
    "note",
    "language",
    "contacts",
    "synonyms",
    "thresholds",
    "ai_disclosure",
    "extends",
    "exclude",
];
const CONTACT_KEYS: &[&str] = &["office", "phone", "email", "hours", "url", "address"];
const THRESHOLD_KEYS: &[&str] = &["answer", "clarify"];

/// An error for each key of agency.toml (and of its `[contacts]` and `[thresholds]`) that is
/// not known, with its line and the closest known key.
fn unknown_agency_keys(file: &str, text: &str, diags: &mut Vec<Diagnostic>) {
    if let Ok(table) = DeTable::parse(text) {
        for (key, value) in table.get_ref().iter() {
            let line = Some(line_of(text, key.span().start));
            let name = key.get_ref().as_ref();
            if !AGENCY_KEYS.contains(&name) {
                let (message, hint) = unknown_key_message(name, AGENCY_KEYS);
                diags.push(
                    Diagnostic::error(file, line, message)
                        .field(name)
                        .hint(hint),
                );
                continue;
            }
            let sub = match name {
                "contacts" => CONTACT_KEYS,
                "thresholds" => THRESHOLD_KEYS,
                _ => continue,
            };
            if let DeValue::Table(t) = value.get_ref() {
                for (k, _) in t.iter() {
                    let kname = k.get_ref().as_ref();
                    if !sub.contains(&kname) {
                        let (message, hint) = unknown_key_message(kname, sub);
                        diags.push(
                            Diagnostic::error(file, Some(line_of(text, k.span().start)), message)
                                .field(format!("{name}.{kname}"))
                                .hint(hint),
                        );
                    }
                }
            }
        }
    }
}

/// Parses `agency.toml`. `id` is the folder name.
pub fn parse_agency(file: &str, id: &str, bytes: &[u8]) -> (Option<Agency>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (None, diags);
    };
    // First every unknown key, with its line; then the values.
    unknown_agency_keys(file, text, &mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        return (None, diags);
    }
    match toml::from_str::<AgencyFile>(text) {
        Ok(a) => {
            if let Some(t) = a.thresholds {
                let ok = (0.0..=1.0).contains(&t.answer)
                    && (0.0..=1.0).contains(&t.clarify)
                    && t.clarify <= t.answer;
                if !ok {
                    diags.push(
                        Diagnostic::error(file, None, "soglie non valide").field("thresholds").hint(
                            "answer e clarify vanno da 0 a 1, con clarify minore o uguale ad answer",
                        ),
                    );
                }
            }
            if a.contacts.is_empty() {
                diags.push(
                    Diagnostic::warning(file, None, "nessun contatto umano indicato")
                        .field("contacts")
                        .hint("aggiungi in [contacts] almeno phone, email o url: servono quando Sportello non sa rispondere"),
                );
            }
            let agency = Agency {
                id: id.to_string(),
                name: a.name,
                note: a.note,
                language: a.language,
                contacts: a.contacts,
                synonyms: a.synonyms,
                thresholds: a.thresholds,
                ai_disclosure: a.ai_disclosure,
                extends: a.extends,
                exclude: a.exclude,
            };
            (Some(agency), diags)
        }
        Err(e) => {
            diags.push(toml_error(file, text, 0, &e));
            (None, diags)
        }
    }
}

/// Writes `agency.toml`.
pub fn to_agency_file(a: &Agency) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: &'a Option<String>,
        language: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        ai_disclosure: &'a Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        synonyms: &'a Vec<Vec<String>>,
        contacts: &'a crate::kb::Contacts,
        #[serde(skip_serializing_if = "Option::is_none")]
        thresholds: &'a Option<crate::kb::Thresholds>,
    }
    toml::to_string(&Out {
        name: &a.name,
        note: &a.note,
        language: &a.language,
        ai_disclosure: &a.ai_disclosure,
        synonyms: &a.synonyms,
        contacts: &a.contacts,
        thresholds: &a.thresholds,
    })
    .unwrap_or_default()
}

/// Parses the optional `smalltalk.toml`: one table per intent, with `reply` and optional `patterns`.
pub fn parse_smalltalk(file: &str, bytes: &[u8]) -> (Vec<SmallTalkOverride>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (Vec::new(), diags);
    };
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct One {
        reply: String,
        #[serde(default)]
        patterns: Vec<String>,
    }
    match toml::from_str::<std::collections::BTreeMap<String, One>>(text) {
        Ok(map) => {
            let mut out = Vec::new();
            for (intent, one) in map {
                if !crate::smalltalk::INTENTS.contains(&intent.as_str()) {
                    let (message, hint) = unknown_key_message(&intent, crate::smalltalk::INTENTS);
                    diags.push(
                        Diagnostic::error(file, None, message)
                            .field(intent)
                            .hint(hint),
                    );
                    continue;
                }
                out.push(SmallTalkOverride {
                    intent,
                    reply: one.reply,
                    patterns: one.patterns,
                });
            }
            (out, diags)
        }
        Err(e) => {
            diags.push(toml_error(file, text, 0, &e));
            (Vec::new(), diags)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nquestion = \"Quanto costa la CIE?\"\nalternatives = [\"costo cie\"]\nreviewed = 2026-01-31\n+++\nCosta **22,21 euro**.\n";

    #[test]
    fn parses_entry() {
        let (e, d) = parse_entry_file("cie.md", "cie", GOOD.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        let e = e.unwrap();
        assert_eq!(e.id, "cie");
        assert_eq!(e.alternatives, vec!["costo cie"]);
        assert_eq!(e.reviewed.as_deref(), Some("2026-01-31"));
        assert_eq!(e.answer, "Costa **22,21 euro**.");
    }

    #[test]
    fn round_trips_entry() {
        let (e, _) = parse_entry_file("cie.md", "cie", GOOD.as_bytes());
        let e = e.unwrap();
        let text = to_entry_file(&e);
        let (back, d) = parse_entry_file("cie.md", "cie", text.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        let mut back = back.unwrap();
        back.origin = e.origin.clone();
        assert_eq!(back, e);
    }

    #[test]
    fn reports_each_problem_with_its_line() {
        let text = "+++\nquesiton = \"x\"\nreviewed = \"2026-02-30\"\ntags = 3\n+++\n\n";
        let (e, d) = parse_entry_file("bad.md", "bad", text.as_bytes());
        assert!(e.is_none());
        let lines: Vec<_> = d
            .iter()
            .map(|d| (d.line, d.field.clone().unwrap_or_default()))
            .collect();
        assert!(lines.contains(&(Some(2), "quesiton".into())), "{lines:?}");
        assert!(lines.contains(&(Some(3), "reviewed".into())), "{lines:?}");
        assert!(lines.contains(&(Some(4), "tags".into())), "{lines:?}");
        assert!(
            d.iter().any(|d| d.field.as_deref() == Some("answer")),
            "{d:?}"
        );
    }
}
