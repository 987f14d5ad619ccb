//! The interchange format: one JSON object per line (`../shared/eval/README.md`).

use super::fields::{decode, EntryBuilder, RawField, RawValue, ENTRY_KEYS};
use crate::diag::Diagnostic;
use crate::kb::Entry;

fn raw(value: &serde_json::Value) -> RawValue {
    match value {
        serde_json::Value::String(s) => RawValue::Str(s.clone()),
        serde_json::Value::Array(items) => RawValue::List(items.iter().map(raw).collect()),
        serde_json::Value::Null => RawValue::Null,
        serde_json::Value::Bool(_) => RawValue::Other("un valore vero/falso"),
        serde_json::Value::Number(_) => RawValue::Other("un numero"),
        serde_json::Value::Object(_) => RawValue::Other("un oggetto"),
    }
}

/// Parses a JSONL knowledge base; every bad line is reported, good lines are kept.
pub fn parse_jsonl(file: &str, bytes: &[u8]) -> (Vec<Entry>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut entries = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (entries, diags);
    };
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(file, Some(lineno), format!("riga JSON non valida: {e}"))
                        .hint("ogni riga deve essere un oggetto JSON completo: {\"id\": \"…\", \"question\": \"…\", \"answer\": \"…\"}; controlla virgolette, virgole e parentesi"),
                );
                continue;
            }
        };
        let Some(obj) = value.as_object() else {
            diags.push(
                Diagnostic::error(file, Some(lineno), "la riga non è un oggetto JSON")
                    .hint("ogni riga deve iniziare con { e finire con }"),
            );
            continue;
        };
        let fields: Vec<RawField> = obj
            .iter()
            .map(|(k, v)| RawField {
                key: k.clone(),
                line: lineno,
                value: raw(v),
            })
            .collect();
        let builder = EntryBuilder {
            file,
            line: lineno,
            diags: &mut diags,
            allowed: ENTRY_KEYS,
        };
        if let Some(entry) = builder.build(None, &fields, None) {
            entries.push(entry);
        }
    }
    (entries, diags)
}

/// Writes entries as JSONL, one object per line, in the interchange format.
pub fn to_jsonl(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        // Serializing a plain struct of strings cannot fail.
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
        out.push('\n');
    }
    out
}
