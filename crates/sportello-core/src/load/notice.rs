//! Notices in the native format: `notices/<id>.md`, TOML front matter between `+++` lines
//! (`title`, `from`, `until`, `topics`, `entries`, `priority`) and the notice's text in
//! Markdown below.

use super::fields::{decode, unknown_key_message, EntryBuilder, RawField, RawValue};
use super::native::{raw, split_front_matter, toml_error};
use crate::diag::{line_of, Diagnostic};
use crate::kb::{Notice, Origin, Priority};
use toml::de::DeTable;

/// Keys of a notice's front matter (the id is the file name, the text is the body).
const NOTICE_KEYS: &[&str] = &["title", "from", "until", "topics", "entries", "priority"];

/// Parses one notice file; `id` is its file name without `.md`.
pub fn parse_notice_file(file: &str, id: &str, bytes: &[u8]) -> (Option<Notice>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(text) = decode(file, bytes, &mut diags) else {
        return (None, diags);
    };
    let Some((front, offset, body, body_line)) = split_front_matter(text) else {
        diags.push(
            Diagnostic::error(file, Some(1), "manca l'intestazione tra due righe +++")
                .hint("l'avviso deve iniziare con una riga +++, poi title = \"…\", from e until, poi un'altra riga +++ e sotto il testo"),
        );
        return (None, diags);
    };
    let (table, errors) = DeTable::parse_recoverable(front);
    for e in &errors {
        diags.push(toml_error(file, text, offset, e));
    }
    let mut fields: Vec<RawField> = table
        .get_ref()
        .iter()
        .map(|(key, value)| RawField {
            key: key.get_ref().to_string(),
            line: line_of(text, offset + key.span().start),
            value: raw(value.get_ref()),
        })
        .collect();
    fields.sort_by_key(|f| f.line);
    let notice = build(file, id, &fields, body.trim(), body_line, &mut diags);
    // A syntax error may have hidden keys: do not use a half-read notice.
    (notice.filter(|_| errors.is_empty()), diags)
}

fn build(
    file: &str,
    id: &str,
    fields: &[RawField],
    body: &str,
    body_line: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Notice> {
    let mut b = EntryBuilder {
        file,
        line: 1,
        diags,
        allowed: NOTICE_KEYS,
    };
    let mut notice = Notice {
        id: id.to_string(),
        text: body.to_string(),
        ..Notice::default()
    };
    let mut origin = Origin {
        file: file.to_string(),
        line: 1,
        fields: Vec::new(),
    };
    for f in fields {
        origin.fields.push((f.key.clone(), f.line));
        match f.key.as_str() {
            "title" => notice.title = b.string(f).unwrap_or_default().trim().to_string(),
            "from" => notice.from = moment(&mut b, f),
            "until" => notice.until = moment(&mut b, f),
            "topics" => notice.topics = b.list(f),
            "entries" => notice.entries = b.list(f),
            "priority" => notice.priority = priority(&mut b, f),
            key => {
                let (message, hint) = unknown_key_message(key, NOTICE_KEYS);
                b.err(f.line, key, message, &hint);
            }
        }
    }
    origin.fields.push(("text".into(), body_line));
    let mut ok = true;
    if notice.title.is_empty() {
        b.err(
            1,
            "title",
            "manca il titolo dell'avviso («title»)".into(),
            "aggiungi per esempio: title = \"Uffici chiusi per sciopero\"",
        );
        ok = false;
    }
    if notice.text.is_empty() {
        b.err(
            body_line,
            "text",
            "manca il testo dell'avviso sotto la seconda riga +++".into(),
            "scrivi sotto l'intestazione che cosa cambia, per chi e fino a quando",
        );
        ok = false;
    }
    notice.origin = Some(origin);
    ok.then_some(notice)
}

/// A `from` or `until`: a TOML date or date-time, or a text the notices stage reads.
fn moment(b: &mut EntryBuilder<'_>, f: &RawField) -> Option<String> {
    let text = match &f.value {
        RawValue::Date(d) => d.clone(),
        _ => b.string(f)?,
    };
    let end = f.key == "until";
    match crate::notices::parse_moment(&text, end) {
        Ok(_) => Some(text),
        Err(e) => {
            b.err(
                f.line,
                &f.key,
                format!("«{}»: {e}", f.key),
                "scrivi per esempio 2026-12-05 oppure 2026-12-05T08:30 (ora italiana)",
            );
            None
        }
    }
}

fn priority(b: &mut EntryBuilder<'_>, f: &RawField) -> Priority {
    match b.string(f).as_deref().map(str::trim) {
        None => Priority::Normal,
        Some(p) => match p.to_lowercase().as_str() {
            "normal" | "normale" => Priority::Normal,
            "high" | "alta" | "urgente" => Priority::High,
            _ => {
                b.err(
                    f.line,
                    "priority",
                    format!("priorità sconosciuta «{p}»"),
                    "usa priority = \"alta\" per un avviso urgente, oppure togli la riga",
                );
                Priority::Normal
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_notice_and_reports_bad_fields_with_their_line() {
        let text = "+++\ntitle = \"Sciopero\"\nfrom = 2026-12-04T08:00:00\nuntil = \"2026-12-05\"\ntopics = [\"anagrafe\"]\npriority = \"alta\"\n+++\nGli sportelli sono **chiusi**.\n";
        let (n, d) = parse_notice_file("notices/sciopero.md", "sciopero", text.as_bytes());
        assert!(d.is_empty(), "{d:?}");
        let n = n.unwrap();
        assert_eq!(n.title, "Sciopero");
        assert_eq!(n.from.as_deref(), Some("2026-12-04T08:00:00"));
        assert_eq!(n.until.as_deref(), Some("2026-12-05"));
        assert_eq!(n.topics, ["anagrafe"]);
        assert_eq!(n.priority, Priority::High);
        assert_eq!(n.text, "Gli sportelli sono **chiusi**.");

        let text = "+++\ntitle = \"X\"\nfrom = \"domani\"\nunitl = \"2026-12-05\"\n+++\ntesto\n";
        let (_, d) = parse_notice_file("n.md", "n", text.as_bytes());
        let lines: Vec<_> = d.iter().map(|d| (d.line, d.field.clone())).collect();
        assert_eq!(
            lines,
            [
                (Some(3), Some("from".to_string())),
                (Some(4), Some("unitl".to_string()))
            ]
        );
        assert!(d[1].message.contains("until"), "{}", d[1].message);
        let (n, d) = parse_notice_file("n.md", "n", b"+++\nfrom = 2026-12-01\n+++\n");
        assert!(n.is_none());
        assert_eq!(d.len(), 2, "{d:?}");
    }
}
