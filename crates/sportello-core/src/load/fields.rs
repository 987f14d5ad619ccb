//! Turns the fields read by any format into an [`Entry`], checking each one.
//!
//! Every format (native Markdown, JSONL, CSV) reads its own syntax into [`RawField`]s and lets
//! [`EntryBuilder`] check them, so the rules and the messages are the same everywhere.

use crate::diag::Diagnostic;
use crate::kb::{Entry, Origin};

/// The keys an entry may have (besides the answer body in the native format).
pub const ENTRY_KEYS: &[&str] = &[
    "id",
    "question",
    "alternatives",
    "answer",
    "short_answer",
    "tags",
    "office",
    "source",
    "reviewed",
    "valid_from",
    "valid_until",
    "related",
];

/// A value as read from a file, before checking.
#[derive(Debug, Clone)]
pub enum RawValue {
    Str(String),
    List(Vec<RawValue>),
    /// A TOML date (or date-time) literal, as text.
    #[cfg_attr(not(feature = "formats"), allow(dead_code))]
    Date(String),
    Null,
    /// Any other type, named for the message (`numero`, `tabella`…).
    Other(&'static str),
}

/// One key/value pair of an entry, with the line it is on.
#[derive(Debug, Clone)]
pub struct RawField {
    pub key: String,
    pub line: usize,
    pub value: RawValue,
}

/// Collects the fields of one entry and reports what is wrong with them.
pub struct EntryBuilder<'a> {
    pub file: &'a str,
    pub line: usize,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Keys that are allowed in this format (the native format takes the id from the file name).
    pub allowed: &'a [&'a str],
}

impl EntryBuilder<'_> {
    pub(super) fn err(&mut self, line: usize, field: &str, message: String, hint: &str) {
        self.diags.push(
            Diagnostic::error(self.file, Some(line), message)
                .field(field)
                .hint(hint),
        );
    }

    pub(super) fn string(&mut self, f: &RawField) -> Option<String> {
        match &f.value {
            RawValue::Str(s) => Some(s.clone()),
            RawValue::Null => None,
            other => {
                self.err(
                    f.line,
                    &f.key,
                    format!("«{}» deve essere un testo, non {}", f.key, kind(other)),
                    "scrivi il valore tra virgolette, per esempio: chiave = \"testo\"",
                );
                None
            }
        }
    }

    /// A `YYYY-MM-DD` date (a TOML date or a text).
    fn date(&mut self, f: &RawField) -> Option<String> {
        let text = match &f.value {
            RawValue::Date(d) | RawValue::Str(d) => Some(d.trim().to_string()),
            RawValue::Null => None,
            other => {
                self.err(
                    f.line,
                    &f.key,
                    format!("«{}» deve essere una data, non {}", f.key, kind(other)),
                    "scrivi la data come 2026-03-31 (anno-mese-giorno)",
                );
                None
            }
        };
        match text.filter(|d| !d.is_empty()) {
            Some(d) if is_valid_date(&d) => Some(d),
            Some(d) => {
                self.err(
                    f.line,
                    &f.key,
                    format!("data non valida in «{}»: «{d}»", f.key),
                    "scrivi la data come 2026-03-31 (anno-mese-giorno), con un giorno che esiste",
                );
                None
            }
            None => None,
        }
    }

    /// `valid_from` after `valid_until`: the entry would never be answered.
    fn check_window(&mut self, entry: &Entry, fields: &[RawField]) {
        if let (Some(from), Some(until)) = (&entry.valid_from, &entry.valid_until) {
            if from > until {
                let line = fields
                    .iter()
                    .find(|f| f.key == "valid_until")
                    .map_or(self.line, |f| f.line);
                self.err(
                    line,
                    "valid_until",
                    format!("«valid_until» ({until}) viene prima di «valid_from» ({from}): la voce non sarebbe mai valida"),
                    "correggi le date: valid_from è il primo giorno di validità, valid_until l'ultimo",
                );
            }
        }
    }

    pub(super) fn list(&mut self, f: &RawField) -> Vec<String> {
        match &f.value {
            RawValue::List(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        RawValue::Str(s) if s.trim().is_empty() => self.err(
                            f.line,
                            &f.key,
                            format!("«{}» contiene un elemento vuoto", f.key),
                            "togli l'elemento vuoto \"\" dalla lista",
                        ),
                        RawValue::Str(s) => out.push(s.trim().to_string()),
                        other => self.err(
                            f.line,
                            &f.key,
                            format!("«{}» deve contenere solo testi, non {}", f.key, kind(other)),
                            "scrivi ogni elemento tra virgolette: [\"primo\", \"secondo\"]",
                        ),
                    }
                }
                out
            }
            RawValue::Str(s) => vec![s.trim().to_string()],
            RawValue::Null => Vec::new(),
            other => {
                self.err(
                    f.line,
                    &f.key,
                    format!(
                        "«{}» deve essere una lista di testi, non {}",
                        f.key,
                        kind(other)
                    ),
                    "usa la forma [\"primo\", \"secondo\"]",
                );
                Vec::new()
            }
        }
    }

    /// Builds the entry; `None` when a required field is missing or unusable.
    /// `answer_body` is the Markdown body of the native format, when there is one.
    pub fn build(
        mut self,
        id_from_name: Option<String>,
        fields: &[RawField],
        answer_body: Option<(String, usize)>,
    ) -> Option<Entry> {
        let mut entry = Entry {
            id: id_from_name.unwrap_or_default(),
            origin: Some(Origin {
                file: self.file.to_string(),
                line: self.line,
                fields: fields.iter().map(|f| (f.key.clone(), f.line)).collect(),
            }),
            ..Entry::default()
        };
        self.read_fields(&mut entry, fields);
        self.check_window(&entry, fields);
        if let Some((body, line)) = answer_body {
            entry.answer = body;
            if entry.answer.trim().is_empty() {
                self.err(
                    line,
                    "answer",
                    "la risposta è vuota".into(),
                    "scrivi la risposta sotto la seconda riga +++",
                );
            }
        }
        let ok = self.check_required(&entry, fields);
        entry.question = entry.question.trim().to_string();
        ok.then_some(entry)
    }

    /// Reads each field into `entry`, reporting repeated, unknown and ill-typed keys.
    fn read_fields(&mut self, entry: &mut Entry, fields: &[RawField]) {
        let mut seen: Vec<&str> = Vec::new();
        for f in fields {
            if seen.contains(&f.key.as_str()) {
                self.err(
                    f.line,
                    &f.key,
                    format!("la chiave «{}» compare due volte", f.key),
                    "tieni una sola riga con questa chiave",
                );
                continue;
            }
            seen.push(&f.key);
            if !self.allowed.contains(&f.key.as_str()) {
                let (message, hint) = unknown_key_message(&f.key, self.allowed);
                self.err(f.line, &f.key, message, &hint);
                continue;
            }
            match f.key.as_str() {
                "id" => entry.id = self.string(f).unwrap_or_default().trim().to_string(),
                "question" => entry.question = self.string(f).unwrap_or_default(),
                "answer" => entry.answer = self.string(f).unwrap_or_default(),
                "alternatives" => entry.alternatives = self.list(f),
                "tags" => entry.tags = self.list(f),
                "related" => entry.related = self.list(f),
                "short_answer" => {
                    entry.short_answer = self.string(f).filter(|s| !s.trim().is_empty())
                }
                "office" => entry.office = self.string(f).filter(|s| !s.trim().is_empty()),
                "source" => {
                    entry.source = self.string(f).filter(|s| !s.trim().is_empty());
                    if let Some(url) = &entry.source {
                        if !(url.starts_with("https://") || url.starts_with("http://")) {
                            self.err(
                                f.line,
                                "source",
                                format!("«source» non è un indirizzo web: «{url}»"),
                                "scrivi l'indirizzo completo, che inizia con https://",
                            );
                        }
                    }
                }
                "reviewed" => entry.reviewed = self.date(f),
                "valid_from" => entry.valid_from = self.date(f),
                "valid_until" => entry.valid_until = self.date(f),
                _ => {}
            }
        }
    }

    /// Reports a missing or unusable id, question or answer; true when the entry is usable.
    fn check_required(&mut self, entry: &Entry, fields: &[RawField]) -> bool {
        let mut ok = true;
        if entry.id.is_empty() {
            self.err(
                self.line,
                "id",
                "manca l'identificativo «id»".into(),
                "aggiungi \"id\": \"un-nome-breve\", unico in tutta la base di conoscenza",
            );
            ok = false;
        } else if entry
            .id
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            self.err(
                self.line,
                "id",
                format!(
                    "l'identificativo «{}» contiene caratteri non ammessi",
                    entry.id.escape_debug()
                ),
                "usa lettere, cifre, trattini e trattini bassi",
            );
            ok = false;
        }
        if entry.question.trim().is_empty() {
            self.err(
                self.line,
                "question",
                "manca la domanda «question» o è vuota".into(),
                "aggiungi il campo question con la domanda, come la scriverebbe un cittadino",
            );
            ok = false;
        }
        if entry.answer.trim().is_empty() {
            if !fields.iter().any(|f| f.key == "answer") && self.allowed.contains(&"answer") {
                self.err(
                    self.line,
                    "answer",
                    "manca la risposta «answer»".into(),
                    "aggiungi il campo answer con il testo della risposta",
                );
            } else if self.allowed.contains(&"answer") {
                self.err(
                    self.line,
                    "answer",
                    "la risposta «answer» è vuota".into(),
                    "scrivi il testo della risposta",
                );
            }
            ok = false;
        }
        ok
    }
}

fn kind(v: &RawValue) -> &'static str {
    match v {
        RawValue::Str(_) => "un testo",
        RawValue::List(_) => "una lista",
        RawValue::Date(_) => "una data",
        RawValue::Null => "un valore nullo",
        RawValue::Other(k) => k,
    }
}

/// Message and hint for a key that is not one of `allowed`, suggesting the closest one.
pub fn unknown_key_message(key: &str, allowed: &[&str]) -> (String, String) {
    let closest = allowed
        .iter()
        .map(|k| (crate::analysis::typo::edit_distance(key, k, 3), *k))
        .filter(|(d, _)| *d <= 2)
        .min();
    match closest {
        Some((_, k)) => (
            format!("chiave sconosciuta «{key}»: forse volevi scrivere «{k}»?"),
            format!("rinomina «{key}» in «{k}»"),
        ),
        None => (
            format!("chiave sconosciuta «{key}»"),
            format!("le chiavi ammesse sono: {}", allowed.join(", ")),
        ),
    }
}

/// True for an existing calendar date written `YYYY-MM-DD`.
pub fn is_valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2200).contains(&y) && d >= 1 && d <= days
}

/// Decodes bytes as UTF-8 (dropping a BOM), or reports why not.
pub fn decode<'b>(file: &str, bytes: &'b [u8], diags: &mut Vec<Diagnostic>) -> Option<&'b str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) if text.trim().is_empty() => {
            diags.push(
                Diagnostic::error(file, None, "il file è vuoto")
                    .hint("scrivi il contenuto o cancella il file"),
            );
            None
        }
        Ok(text) => Some(text),
        Err(e) => {
            let line = crate::diag::line_of(&String::from_utf8_lossy(bytes), e.valid_up_to());
            diags.push(
                Diagnostic::error(file, Some(line), "il file non è in UTF-8")
                    .hint("salvalo di nuovo scegliendo la codifica UTF-8 (in Excel: «CSV UTF-8»)"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2023-13-01"));
        assert!(!is_valid_date("31/12/2023"));
        assert!(!is_valid_date("2023-1-01"));
    }

    #[test]
    fn suggests_close_key() {
        let (m, _) = unknown_key_message("quesiton", ENTRY_KEYS);
        assert!(m.contains("«question»"), "{m}");
        let (m, _) = unknown_key_message("colore", ENTRY_KEYS);
        assert!(!m.contains("forse"), "{m}");
    }
}
