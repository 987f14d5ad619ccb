//! Edits of entry files that keep everything else as written: adding alternatives to the
//! TOML front matter of a native entry file changes only the lines of the `alternatives`
//! list (a new line per phrasing in a multi-line list, or the list's own line), so comments,
//! order, spacing and the answer stay byte for byte.

/// Why an entry file could not be edited.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("il file non inizia con la riga +++ del formato nativo")]
    NoFrontMatter,
    #[error("la lista «alternatives» non è scritta come lista tra [ ] su righe proprie: aggiungere a mano")]
    UnusualList,
}

/// A TOML basic string for `text`.
fn quoted(text: &str) -> String {
    let mut s = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' | '\r' | '\t' => s.push(' '),
            c if c.is_control() => {}
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// Index of the quote that closes the TOML string opening at `open` (`"` with `\` escapes,
/// or `'` literal), or `b.len()` when it is not closed.
fn closing_quote(b: &[u8], open: usize) -> usize {
    let q = b[open];
    let mut i = open + 1;
    while i < b.len() && b[i] != q {
        if q == b'"' && b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i
}

/// Byte offset just after the `]` that closes the list opening at `open` (a `[`), skipping
/// strings and comments.
fn list_end(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = open + 1;
    let mut depth = 1;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                i = closing_quote(b, i);
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The native entry file `text` with `phrasings` appended to its alternatives.
pub fn add_alternatives(text: &str, phrasings: &[String]) -> Result<String, EditError> {
    if phrasings.is_empty() {
        return Ok(text.to_string());
    }
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let (fm_start, fm_len) = front_matter(text)?;
    let Some(line_start) = alternatives_line(text, fm_start, fm_len) else {
        // No list yet: a new line after the question's line (or at the end of the front matter).
        let new_line = format!(
            "alternatives = [{}]{nl}",
            phrasings
                .iter()
                .map(|p| quoted(p))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let at = question_line_end(text, fm_start, fm_len).unwrap_or(fm_start + fm_len);
        return Ok(format!("{}{new_line}{}", &text[..at], &text[at..]));
    };
    let open = text[line_start..]
        .find('[')
        .map(|i| line_start + i)
        .filter(|&i| !text[line_start..i].contains('\n'))
        .ok_or(EditError::UnusualList)?;
    let end = list_end(text, open).ok_or(EditError::UnusualList)?;
    let close = end - 1;
    let inside = &text[open + 1..close];
    if !inside.contains('\n') {
        // One line: `alternatives = ["a", "b"]` → `alternatives = ["a", "b", "new"]`.
        let items = phrasings.iter().map(|p| quoted(p)).collect::<Vec<_>>();
        let trimmed = inside.trim_end();
        let sep = if trimmed.trim().is_empty() {
            ""
        } else if trimmed.ends_with(',') {
            " "
        } else {
            ", "
        };
        let new_inside = format!("{trimmed}{sep}{}", items.join(", "));
        return Ok(format!(
            "{}{new_inside}{}",
            &text[..open + 1],
            &text[close..]
        ));
    }
    append_lines(text, open, close, phrasings, nl)
}

/// The front matter of a native entry file: (start, length), between the `+++` lines.
fn front_matter(text: &str) -> Result<(usize, usize), EditError> {
    let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if !text[body_start..].starts_with("+++") {
        return Err(EditError::NoFrontMatter);
    }
    let fm_start = text[body_start..]
        .find('\n')
        .ok_or(EditError::NoFrontMatter)?
        + body_start
        + 1;
    let fm_len = text[fm_start..]
        .match_indices("+++")
        .find(|(i, _)| *i == 0 || text.as_bytes()[fm_start + i - 1] == b'\n')
        .map(|(i, _)| i)
        .ok_or(EditError::NoFrontMatter)?;
    Ok((fm_start, fm_len))
}

/// Where the line that starts with `alternatives =` (a key at the start of a line) begins.
fn alternatives_line(text: &str, fm_start: usize, fm_len: usize) -> Option<usize> {
    let fm = &text[fm_start..fm_start + fm_len];
    let mut offset = 0;
    for line in fm.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("alternatives") {
            if rest.trim_start().starts_with('=') {
                return Some(fm_start + offset);
            }
        }
        offset += line.len();
    }
    None
}

/// A list over several lines, from `open` to `close` (its brackets): new lines before the line of the closing
/// bracket, indented like the last item, and a comma after the last item when it has none.
fn append_lines(
    text: &str,
    open: usize,
    close: usize,
    phrasings: &[String],
    nl: &str,
) -> Result<String, EditError> {
    let close_line = text[..close].rfind('\n').map_or(0, |i| i + 1);
    if !text[close_line..close].trim().is_empty() {
        return Err(EditError::UnusualList);
    }
    let before = &text[open + 1..close_line];
    let last_item = before
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let indent: String = last_item
        .map(|l| l.chars().take_while(|c| *c == ' ' || *c == '\t').collect())
        .unwrap_or_else(|| "  ".into());
    let mut out = String::with_capacity(text.len() + 64);
    match last_item {
        Some(l) if !item_ends_with_comma(l) => {
            // The comma goes right after the last item's value (before any comment).
            let l_start = text[..close_line - 1]
                .rfind(l)
                .ok_or(EditError::UnusualList)?;
            let value_end = l_start + value_len(l);
            out.push_str(&text[..value_end]);
            out.push(',');
            out.push_str(&text[value_end..close_line]);
        }
        _ => out.push_str(&text[..close_line]),
    }
    for p in phrasings {
        out.push_str(&format!("{indent}{},{nl}", quoted(p)));
    }
    out.push_str(&text[close_line..]);
    Ok(out)
}

/// Length of a list item line up to the end of its value (before a trailing comment).
fn value_len(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    let mut end = 0;
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => {
                i = closing_quote(b, i);
                end = i + 1;
            }
            b'#' => break,
            b' ' | b'\t' | b'\r' => {}
            _ => end = i + 1,
        }
        i += 1;
    }
    end.min(line.len())
}

fn item_ends_with_comma(line: &str) -> bool {
    line[..value_len(line)].trim_end().ends_with(',')
}

/// The byte offset after the `question = …` line of the front matter (single-line values).
fn question_line_end(text: &str, fm_start: usize, fm_len: usize) -> Option<usize> {
    let fm = &text[fm_start..fm_start + fm_len];
    let mut offset = 0;
    for line in fm.split_inclusive('\n') {
        let t = line.trim_start();
        if t.strip_prefix("question")
            .is_some_and(|r| r.trim_start().starts_with('='))
            && !t.contains("\"\"\"")
            && !t.contains("'''")
        {
            return Some(fm_start + offset + line.len());
        }
        offset += line.len();
    }
    None
}

#[cfg(all(test, feature = "formats"))]
mod tests {
    use super::*;

    fn alternatives(text: &str) -> Vec<String> {
        let (entry, diags) = crate::load::parse_entry_file("x.md", "x", text.as_bytes());
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}\n{text}");
        entry.unwrap().alternatives
    }

    fn added(before: &str, after: &str) -> Vec<String> {
        let (a, b): (Vec<_>, Vec<_>) = (before.lines().collect(), after.lines().collect());
        let mut i = 0;
        let mut out = Vec::new();
        for line in &b {
            if i < a.len() && a[i] == *line {
                i += 1;
            } else {
                out.push(line.to_string());
            }
        }
        assert_eq!(
            i,
            a.len(),
            "lines were changed or removed:\n{before}\n---\n{after}"
        );
        out
    }

    #[test]
    fn multi_line_list_gets_new_lines_only() {
        let text = "+++\nquestion = \"Quanto costa la CIE?\"\n# citizens' words\nalternatives = [\n  \"costo cie\", # short\n    \"prezzo carta\",\n]\ntags = [\"anagrafe\"]\n+++\nCosta 22,21 euro.\n\n# Not front matter\n";
        let out = add_alternatives(
            text,
            &["quanto si paga la \"cie\"".into(), "cie costo".into()],
        )
        .unwrap();
        assert_eq!(
            added(text, &out),
            [
                "    \"quanto si paga la \\\"cie\\\"\",",
                "    \"cie costo\","
            ]
        );
        assert_eq!(
            alternatives(&out),
            [
                "costo cie",
                "prezzo carta",
                "quanto si paga la \"cie\"",
                "cie costo"
            ]
        );
    }

    #[test]
    fn last_item_without_comma_gets_one() {
        let text = "+++\nquestion = \"Q?\"\nalternatives = [\n  \"uno\",\n  \"due\" # no comma\n]\n+++\nA.\n";
        let out = add_alternatives(text, &["tre".into()]).unwrap();
        assert!(
            out.contains("  \"due\", # no comma\n  \"tre\",\n]"),
            "{out}"
        );
        assert_eq!(alternatives(&out), ["uno", "due", "tre"]);
    }

    #[test]
    fn one_line_and_missing_lists() {
        let text = "+++\nquestion = \"Q?\"\nalternatives = [\"a]b\", \"c\"] # keep\n+++\nA.\n";
        let out = add_alternatives(text, &["d".into()]).unwrap();
        assert_eq!(
            out,
            "+++\nquestion = \"Q?\"\nalternatives = [\"a]b\", \"c\", \"d\"] # keep\n+++\nA.\n"
        );
        let text = "+++\nquestion = \"Q?\"\ntags = [\"t\"]\n+++\nA.\n";
        let out = add_alternatives(text, &["d".into()]).unwrap();
        assert_eq!(added(text, &out), ["alternatives = [\"d\"]"]);
        assert_eq!(alternatives(&out), ["d"]);
        let crlf = "+++\r\nquestion = \"Q?\"\r\nalternatives = [\r\n  \"a\",\r\n]\r\n+++\r\nA.\r\n";
        let out = add_alternatives(crlf, &["b".into()]).unwrap();
        assert_eq!(out, "+++\r\nquestion = \"Q?\"\r\nalternatives = [\r\n  \"a\",\r\n  \"b\",\r\n]\r\n+++\r\nA.\r\n");
        assert_eq!(
            add_alternatives("no front matter", &["x".into()]),
            Err(EditError::NoFrontMatter)
        );
    }
}
