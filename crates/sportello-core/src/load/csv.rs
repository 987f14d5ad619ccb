//! Spreadsheet export: CSV with a header row naming the fields.
//!
//! List fields (`alternatives`, `tags`, `related`) hold one item per line inside the cell
//! (Alt+Invio in a spreadsheet); `|` also separates items on import.

use super::fields::{decode, unknown_key_message, EntryBuilder, RawField, RawValue, ENTRY_KEYS};
use crate::diag::Diagnostic;
use crate::kb::Entry;

const LIST_KEYS: &[&str] = &["alternatives", "tags", "related"];

/// Parses a CSV knowledge base; every bad row is reported, good rows are kept.
pub fn parse_csv(file: &str, bytes: &[u8]) -> (Vec<Entry>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut entries = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (entries, diags);
    };
    // Excel in Italian locales writes `;`-separated files.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
        Err(e) => {
            diags.push(Diagnostic::error(
                file,
                Some(1),
                format!("intestazione CSV non leggibile: {e}"),
            ));
            return (entries, diags);
        }
    };
    let header_ok = check_headers(file, &headers, &mut diags);
    if !header_ok {
        return (entries, diags);
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                diags.push(
                    Diagnostic::error(file, line, format!("riga CSV non valida: {e}"))
                        .hint("controlla le virgolette: un testo con virgole o a capo va tra virgolette doppie"),
                );
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            diags.push(
                Diagnostic::error(
                    file,
                    Some(line),
                    format!(
                        "la riga ha {} celle, l'intestazione {}",
                        record.len(),
                        headers.len()
                    ),
                )
                .hint("ogni riga deve avere tante celle quante sono le colonne"),
            );
            continue;
        }
        let fields = row_fields(&headers, &record, line);
        let builder = EntryBuilder {
            file,
            line,
            diags: &mut diags,
            allowed: ENTRY_KEYS,
        };
        if let Some(entry) = builder.build(None, &fields, None) {
            entries.push(entry);
        }
    }
    (entries, diags)
}

/// An error for each unknown column and each missing required one; true when the header
/// can be used.
fn check_headers(file: &str, headers: &[String], diags: &mut Vec<Diagnostic>) -> bool {
    let mut header_ok = true;
    for h in headers {
        if !ENTRY_KEYS.contains(&h.as_str()) {
            let (message, hint) = unknown_key_message(h, ENTRY_KEYS);
            diags.push(
                Diagnostic::error(file, Some(1), message)
                    .field(h.clone())
                    .hint(hint),
            );
            header_ok = false;
        }
    }
    for required in ["id", "question", "answer"] {
        if !headers.iter().any(|h| h == required) {
            diags.push(
                Diagnostic::error(file, Some(1), format!("manca la colonna «{required}»"))
                    .hint("la prima riga deve nominare le colonne: id, question, answer, alternatives, tags…"),
            );
            header_ok = false;
        }
    }
    header_ok
}

/// One row's non-empty cells as fields (list columns split on new lines or `|`).
fn row_fields(headers: &[String], record: &csv::StringRecord, line: usize) -> Vec<RawField> {
    headers
        .iter()
        .zip(record.iter())
        .filter(|(_, cell)| !cell.trim().is_empty())
        .map(|(key, cell)| {
            let value = if LIST_KEYS.contains(&key.as_str()) {
                RawValue::List(
                    cell.split(['\n', '|'])
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| RawValue::Str(s.to_string()))
                        .collect(),
                )
            } else {
                RawValue::Str(cell.replace("\r\n", "\n"))
            };
            RawField {
                key: key.clone(),
                line,
                value,
            }
        })
        .collect()
}

/// Writes entries as CSV with every column.
pub fn to_csv(entries: &[Entry]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    // Writing into a Vec cannot fail.
    let _ = writer.write_record(ENTRY_KEYS);
    for e in entries {
        let _ = writer.write_record([
            e.id.clone(),
            e.question.clone(),
            e.alternatives.join("\n"),
            e.answer.clone(),
            opt(&e.short_answer),
            e.tags.join("\n"),
            opt(&e.office),
            opt(&e.source),
            opt(&e.reviewed),
            opt(&e.valid_from),
            opt(&e.valid_until),
            e.related.join("\n"),
        ]);
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
