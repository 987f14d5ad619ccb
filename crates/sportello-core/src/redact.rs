//! Personal data out of citizens' questions before anything stores or prints them.
//!
//! A hand-written scanner (no regular expressions, so the wasm build can use the same rules)
//! that replaces with placeholders: e-mail addresses, IBANs, codici fiscali, payment cards
//! (Luhn), phone numbers, number plates, identity-card and passport numbers, and a name after
//! a cue ("mi chiamo", "sono", "sig.") or a street address with its house number. Dates
//! (`12/05/2024`) and protocol numbers (`2024/000123`) are kept, since editors need them and
//! they identify no one. Control characters, ANSI escape sequences and bidirectional
//! overrides are removed first ([`strip_controls`]), so that stored text cannot drive the
//! terminal of the editor who reads the report.
//!
//! The scanner looks at each word start once and every rule reads a bounded number of
//! characters from there, so the cost is linear in the text.
//!
//! ```
//! use sportello_core::redact::redact;
//! assert_eq!(redact("targa AB123CD, tel 333 1234567"), "targa [TARGA], tel [TELEFONO]");
//! assert_eq!(redact("pratica 2024/000123 del 12/05/2024"), "pratica 2024/000123 del 12/05/2024");
//! ```

/// The text with personal data replaced by placeholders such as `[TELEFONO]`, after
/// [`strip_controls`].
pub fn redact(text: &str) -> String {
    let mut out = redact_once(&strip_controls(text));
    // A placeholder can open a word boundary that the text did not have ("Mc4 2811…" after a
    // name): a few more passes take what it exposes, so that redacting twice changes nothing.
    for _ in 0..3 {
        let again = redact_once(&out);
        if again == out {
            break;
        }
        out = again;
    }
    out
}

/// One pass of the detectors over a text without control characters.
fn redact_once(clean: &str) -> String {
    let chars: Vec<char> = clean.chars().collect();
    let mut out = String::with_capacity(clean.len());
    let mut i = 0;
    while i < chars.len() {
        if starts_word(&chars, i) {
            if let Some(found) = scan_at(&chars, i) {
                out.extend(&chars[i..found.start]);
                match found.placeholder {
                    Some(p) => out.push_str(p),
                    None => out.extend(&chars[found.start..found.end]),
                }
                i = found.end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// The text without control characters (C0 and C1, DEL), ANSI/VT escape sequences and
/// bidirectional-override characters. Tabs and line breaks become a space.
pub fn strip_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => skip_escape(&mut it),
            // C1 control sequence introducer (the one-character form of ESC [).
            '\u{9b}' => skip_csi(&mut it),
            // Operating system command / device control strings (one-character forms).
            '\u{9d}' | '\u{90}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: a CSI (`ESC [` … final byte), a string (`ESC ]`, `ESC P`, `ESC ^`, `ESC _`,
/// ended by BEL or `ESC \`), or a two-character sequence (with its intermediates).
fn skip_escape(it: &mut Chars) {
    match it.peek().copied() {
        Some('[') => {
            it.next();
            skip_csi(it);
        }
        Some(']' | 'P' | '^' | '_' | 'X') => {
            it.next();
            skip_string(it);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // Intermediate bytes, then one final byte.
            while let Some(&c) = it.peek() {
                it.next();
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    break;
                }
            }
        }
        Some(c) if ('\u{30}'..='\u{7e}').contains(&c) => {
            it.next();
        }
        _ => {}
    }
}

/// Parameters and intermediates (0x20–0x3F), then one final byte (0x40–0x7E).
fn skip_csi(it: &mut Chars) {
    while let Some(&c) = it.peek() {
        if ('\u{20}'..='\u{3f}').contains(&c) {
            it.next();
        } else {
            if ('\u{40}'..='\u{7e}').contains(&c) {
                it.next();
            }
            return;
        }
    }
}

/// Up to BEL, ST (`ESC \` or U+009C); an unterminated string runs to the end.
fn skip_string(it: &mut Chars) {
    while let Some(c) = it.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if it.peek() == Some(&'\\') {
                    it.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// What a rule found at a word start: the span `start..end` (`start` may follow a cue
/// that is kept, as in "mi chiamo [NOME]"), replaced by `placeholder`, or kept as it is
/// (`None`: a date or protocol number, which the phone rule must not take).
struct Found {
    start: usize,
    end: usize,
    placeholder: Option<&'static str>,
}

fn found(start: usize, end: usize, placeholder: &'static str) -> Option<Found> {
    Some(Found {
        start,
        end,
        placeholder: Some(placeholder),
    })
}

fn starts_word(s: &[char], i: usize) -> bool {
    i == 0 || !s[i - 1].is_alphanumeric()
}

/// True when position `i` is the end of a word (nothing alphanumeric follows).
fn ends_word(s: &[char], i: usize) -> bool {
    i >= s.len() || !s[i].is_alphanumeric()
}

fn scan_at(s: &[char], i: usize) -> Option<Found> {
    email(s, i)
        .or_else(|| iban(s, i))
        .or_else(|| codice_fiscale(s, i))
        .or_else(|| identity_document(s, i))
        .or_else(|| number_plate(s, i))
        .or_else(|| number(s, i))
        .or_else(|| street_address(s, i))
        .or_else(|| name_after_cue(s, i))
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// `local@domain.tld`: the domain has at least one dot and a final label of two or more
/// letters.
fn email(s: &[char], i: usize) -> Option<Found> {
    // Bounded by the longest local part and domain (64 and 255 characters) so that a long
    // run of dots is not read again from each of its words.
    let mut j = i;
    while j < s.len() && is_local(s[j]) && j - i < 64 {
        j += 1;
    }
    if j == i || s.get(j) != Some(&'@') {
        return None;
    }
    let mut k = j + 1;
    while k < s.len()
        && k - j <= 255
        && (s[k].is_ascii_alphanumeric() || s[k] == '-' || s[k] == '.')
    {
        k += 1;
    }
    // The address ends at its last label of letters: a trailing dot ends the sentence, and
    // what follows a dot without letters ("….it.1234") is not part of it (found by fuzzing:
    // otherwise a second pass would redact differently).
    loop {
        while k > j + 1 && s[k - 1] == '.' {
            k -= 1;
        }
        let last_dot = j + 1 + s[j + 1..k].iter().rposition(|&c| c == '.')?;
        let tld = &s[last_dot + 1..k];
        if last_dot == j + 1 {
            return None;
        }
        if tld.len() >= 2 && tld.iter().all(char::is_ascii_alphabetic) {
            return found(i, k, "[EMAIL]");
        }
        k = last_dot;
    }
}

fn letters(s: &[char], i: usize, n: usize) -> bool {
    i + n <= s.len() && s[i..i + n].iter().all(char::is_ascii_alphabetic)
}

fn digits(s: &[char], i: usize, n: usize) -> bool {
    i + n <= s.len() && s[i..i + n].iter().all(char::is_ascii_digit)
}

/// An IBAN: country, two check digits, then 11–30 letters and digits, written together or
/// in groups of four separated by one space. It stops where the groups stop, so the words
/// after it are never taken; among the possible ends it prefers one whose ISO 7064 check
/// (mod 97) holds.
fn iban(s: &[char], i: usize) -> Option<Found> {
    if !letters(s, i, 2) || !digits(s, i + 2, 2) {
        return None;
    }
    // Ends of the candidate (exclusive), each at a group boundary.
    let mut ends = Vec::new();
    let mut j = i + 4;
    let mut len = 4;
    let grouped = s.get(j) == Some(&' ');
    loop {
        if grouped {
            if s.get(j) != Some(&' ') {
                break;
            }
            let start = j + 1;
            let mut k = start;
            while k < s.len() && k - start < 4 && s[k].is_ascii_alphanumeric() {
                k += 1;
            }
            if k == start || !ends_word(s, k) {
                break;
            }
            len += k - start;
            if len > 34 {
                break;
            }
            j = k;
            ends.push(j);
            if k - start < 4 {
                break;
            }
        } else {
            let mut k = j;
            while k < s.len() && s[k].is_ascii_alphanumeric() && len + (k - j) < 34 {
                k += 1;
            }
            if !ends_word(s, k) {
                return None;
            }
            ends.push(k);
            break;
        }
    }
    let compact = |end: usize| -> Vec<char> {
        s[i..end]
            .iter()
            .filter(|c| c.is_ascii_alphanumeric())
            .copied()
            .collect()
    };
    let plausible = |end: usize| {
        let c = compact(end);
        (15..=34).contains(&c.len()) && c.iter().filter(|c| c.is_ascii_digit()).count() >= 8
    };
    let end = ends
        .iter()
        .rev()
        .copied()
        .find(|&e| plausible(e) && iban_checksum(&compact(e)))
        .or_else(|| {
            // Mistyped: the longest plausible end whose last group holds a digit (a word
            // such as "per" after the last group is not part of it).
            ends.iter().rev().copied().find(|&e| {
                plausible(e) && {
                    let group_start = s[..e].iter().rposition(|&c| c == ' ').unwrap_or(i);
                    s[group_start..e].iter().any(char::is_ascii_digit)
                }
            })
        })?;
    found(i, end, "[IBAN]")
}

/// ISO 13616 check: the first four characters moved to the end, letters as 10–35, mod 97 = 1.
fn iban_checksum(c: &[char]) -> bool {
    let mut rem: u32 = 0;
    for &ch in c[4..].iter().chain(&c[..4]) {
        let v = match ch.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    rem == 1
}

/// Codice fiscale: six letters, two digits (year), the month letter, two digits (day), a
/// letter and three digits (place), the check letter; omocodia writes digits as letters.
fn codice_fiscale(s: &[char], i: usize) -> Option<Found> {
    if i + 16 > s.len() || !ends_word(s, i + 16) {
        return None;
    }
    let omocode = |c: char| c.is_ascii_digit() || "lmnpqrstuvLMNPQRSTUV".contains(c);
    let month = |c: char| "abcdehlmprstABCDEHLMPRST".contains(c);
    let w = &s[i..i + 16];
    let ok = w[..6].iter().all(char::is_ascii_alphabetic)
        && w[6..8].iter().all(|&c| omocode(c))
        && month(w[8])
        && w[9..11].iter().all(|&c| omocode(c))
        && w[11].is_ascii_alphabetic()
        && w[12..15].iter().all(|&c| omocode(c))
        && w[15].is_ascii_alphabetic();
    if ok {
        found(i, i + 16, "[CODICE FISCALE]")
    } else {
        None
    }
}

/// Identity documents: the electronic identity card (CA12345AB: two letters, five digits,
/// two letters) and the paper card or passport (two letters, an optional space, seven
/// digits).
fn identity_document(s: &[char], i: usize) -> Option<Found> {
    if !letters(s, i, 2) {
        return None;
    }
    if digits(s, i + 2, 5) && letters(s, i + 7, 2) && ends_word(s, i + 9) {
        return found(i, i + 9, "[DOCUMENTO]");
    }
    let j = if s.get(i + 2) == Some(&' ') {
        i + 3
    } else {
        i + 2
    };
    if digits(s, j, 7) && ends_word(s, j + 7) {
        return found(i, j + 7, "[DOCUMENTO]");
    }
    None
}

/// Italian number plates since 1994: two letters, three digits, two letters (AB123CD,
/// also written AB 123 CD).
fn number_plate(s: &[char], i: usize) -> Option<Found> {
    if !letters(s, i, 2) {
        return None;
    }
    let mut j = i + 2;
    let spaced = s.get(j) == Some(&' ');
    if spaced {
        j += 1;
    }
    if !digits(s, j, 3) {
        return None;
    }
    j += 3;
    if spaced {
        if s.get(j) != Some(&' ') {
            return None;
        }
        j += 1;
    }
    if letters(s, j, 2) && ends_word(s, j + 2) {
        found(i, j + 2, "[TARGA]")
    } else {
        None
    }
}

/// A run of digit groups separated by one of ` .-/`, with an optional `+` or `(+39)` prefix:
/// a date or a protocol number (kept), a card number passing the Luhn check, or, with seven
/// digits or more, a phone number.
fn number(s: &[char], i: usize) -> Option<Found> {
    let mut j = i;
    if s.get(j) == Some(&'(') {
        let mut k = j + 1;
        if s.get(k) == Some(&'+') {
            k += 1;
        }
        let d = k;
        while k < s.len() && s[k].is_ascii_digit() && k - d < 3 {
            k += 1;
        }
        if k == d || s.get(k) != Some(&')') {
            return None;
        }
        j = k + 1;
        if s.get(j) == Some(&' ') {
            j += 1;
        }
    } else if s.get(j) == Some(&'+') {
        j += 1;
    }
    let prefixed = j > i;
    // Groups of digits and the separator before each group after the first.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut seps: Vec<char> = Vec::new();
    let mut total = 0;
    loop {
        let start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        if j == start {
            // A separator not followed by a digit is not part of the number.
            if seps.pop().is_some() {
                j = start - 1;
            }
            break;
        }
        total += j - start;
        groups.push((start, j));
        // Bounded: nothing personal is longer than this.
        if total > 40 {
            break;
        }
        match s.get(j) {
            Some(&c) if matches!(c, ' ' | '.' | '-' | '/') => {
                seps.push(c);
                j += 1;
            }
            _ => break,
        }
    }
    if groups.len() >= 2 && !ends_word(s, j) {
        // The last group is glued to a word ("0000 012rivesi"): it belongs to that word, and
        // the number ends before its separator (else a second pass, seeing the word replaced
        // by a placeholder, would find a number the first one missed).
        groups.pop();
        seps.pop();
        j = groups.last().map_or(i, |g| g.1);
    }
    if groups.is_empty() || !ends_word(s, j) {
        return None;
    }
    let end = j;
    let keep = Some(Found {
        start: i,
        end,
        placeholder: None,
    });
    let group = |k: usize| &s[groups[k].0..groups[k].1];
    if !prefixed && is_date(&groups, &seps, &group) {
        return keep;
    }
    if !prefixed && is_protocol(&groups, &seps, &group) {
        return keep;
    }
    let all: Vec<u32> = groups
        .iter()
        .flat_map(|&(a, b)| s[a..b].iter().filter_map(|c| c.to_digit(10)))
        .collect();
    if !prefixed
        && (13..=19).contains(&all.len())
        && seps.iter().all(|&c| c == ' ' || c == '-')
        && luhn(&all)
    {
        return found(i, end, "[CARTA]");
    }
    if all.len() >= 7 {
        return found(i, end, "[TELEFONO]");
    }
    // Short numbers are kept whole, so that their inner groups are not looked at again.
    keep
}

/// `d{1,2} sep d{1,2} sep d{2}|d{4}` with the same separator (`/`, `.` or `-`) twice.
fn is_date<'a>(
    groups: &[(usize, usize)],
    seps: &[char],
    group: &impl Fn(usize) -> &'a [char],
) -> bool {
    groups.len() == 3
        && seps[0] == seps[1]
        && matches!(seps[0], '/' | '.' | '-')
        && (1..=2).contains(&group(0).len())
        && (1..=2).contains(&group(1).len())
        && matches!(group(2).len(), 2 | 4)
}

/// Two groups joined by `/`, one of them a year (1900–2099): `2024/000123`, `123/2024`.
fn is_protocol<'a>(
    groups: &[(usize, usize)],
    seps: &[char],
    group: &impl Fn(usize) -> &'a [char],
) -> bool {
    let year = |g: &[char]| g.len() == 4 && (g[..2] == ['1', '9'] || g[..2] == ['2', '0']);
    groups.len() == 2 && seps[0] == '/' && (year(group(0)) || year(group(1)))
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, x) if x > 9 => x - 9,
            (true, x) => x,
            (false, _) => d,
        })
        .sum();
    matches!(sum % 10, 0)
}

/// The word (letters and apostrophes) starting at `i`, as its end.
fn word_end(s: &[char], i: usize) -> usize {
    let mut j = i;
    while j < s.len() && (s[j].is_alphabetic() || (j > i && matches!(s[j], '\'' | '’'))) {
        j += 1;
    }
    j
}

fn word_is(s: &[char], i: usize, end: usize, w: &str) -> bool {
    end - i == w.chars().count()
        && s[i..end]
            .iter()
            .zip(w.chars())
            .all(|(a, b)| a.to_lowercase().eq(std::iter::once(b)))
}

/// A proper name's word: an upper-case letter then lower-case ones (`Rossi`, `D'Angelo`).
fn is_name_word(s: &[char], i: usize, end: usize) -> bool {
    end - i >= 2
        && s[i].is_uppercase()
        && s[i + 1..end]
            .iter()
            .all(|c| c.is_lowercase() || matches!(c, '\'' | '’') || c.is_uppercase())
        && s[i + 1..end].iter().any(|c| c.is_lowercase())
}

fn skip_spaces(s: &[char], mut i: usize) -> usize {
    while i < s.len() && s[i] == ' ' {
        i += 1;
    }
    i
}

const STREET_WORDS: &[&str] = &[
    "via",
    "viale",
    "piazza",
    "piazzale",
    "piazzetta",
    "corso",
    "largo",
    "vicolo",
    "vico",
    "strada",
    "contrada",
    "località",
    "borgo",
    "lungomare",
    "lungotevere",
    "salita",
    "galleria",
];

const PARTICLES: &[&str] = &[
    "di", "de", "del", "della", "dei", "degli", "delle", "dello", "d'", "san", "santa", "sant'",
];

/// A street address with a house number: a street word, up to five words of its name (at
/// least one capitalised), then the number (`12`, `12/A`, `12b`). Without a number the place
/// is kept ("l'ufficio di piazza Garibaldi" names an office, not a person's home).
fn street_address(s: &[char], i: usize) -> Option<Found> {
    let e = word_end(s, i);
    if !STREET_WORDS.iter().any(|w| word_is(s, i, e, w)) {
        return None;
    }
    let mut j = e;
    let mut named = false;
    let mut words = 0;
    loop {
        let k = skip_spaces(s, j);
        if k == j || k >= s.len() {
            return None;
        }
        let we = word_end(s, k);
        if we > k {
            if is_name_word(s, k, we) {
                named = true;
            } else if !PARTICLES.iter().any(|p| word_is(s, k, we, p))
                && !s[k..we].iter().all(|c| "IVXLC".contains(*c))
            {
                return None;
            }
            words += 1;
            if words > 5 {
                return None;
            }
            j = we;
            continue;
        }
        // A number: the house number if the name is complete, else part of the name ("via
        // 20 Settembre").
        let mut d = k;
        while d < s.len() && s[d].is_ascii_digit() && d - k < 5 {
            d += 1;
        }
        if d == k {
            return None;
        }
        let after = skip_spaces(s, d);
        let next = word_end(s, after);
        if !named && next > after && is_name_word(s, after, next) {
            j = d;
            words += 1;
            continue;
        }
        if !named {
            return None;
        }
        // Optional "/A" or a single letter.
        if s.get(d) == Some(&'/') && s.get(d + 1).is_some_and(|c| c.is_alphanumeric()) {
            d += 2;
        } else if s.get(d).is_some_and(|c| c.is_ascii_alphabetic()) && ends_word(s, d + 1) {
            d += 1;
        }
        if !ends_word(s, d) {
            return None;
        }
        return found(i, d, "[INDIRIZZO]");
    }
}

/// Cues after which capitalised words are a person's name.
const NAME_CUES: &[&[&str]] = &[
    &["mi", "chiamo"],
    &["sono"],
    &["signor"],
    &["signora"],
    &["signorina"],
    &["sig"],
    &["sig", "ra"],
    &["sig", "na"],
    &["dott"],
    &["dott", "ssa"],
    &["avv"],
    &["prof"],
    &["nome"],
    &["cognome"],
];

/// One to three capitalised words after a cue ("mi chiamo Mario Rossi", "sono Anna",
/// "sig.ra Bianchi"); the cue is kept.
fn name_after_cue(s: &[char], i: usize) -> Option<Found> {
    let mut best = None;
    for cue in NAME_CUES {
        let mut j = i;
        let mut ok = true;
        for (n, w) in cue.iter().enumerate() {
            if n > 0 {
                // Between the parts of a cue: a space ("mi chiamo") or a dot ("sig.ra").
                match s.get(j) {
                    Some(' ') => j = skip_spaces(s, j),
                    Some('.') => j += 1,
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            let e = word_end(s, j);
            if !word_is(s, j, e, w) {
                ok = false;
                break;
            }
            j = e;
        }
        if ok && best.is_none_or(|b| j > b) {
            best = Some(j);
        }
    }
    let mut j = best?;
    if matches!(s.get(j), Some('.') | Some(':')) {
        j += 1;
    }
    let start = skip_spaces(s, j);
    if start == j && s.get(j).is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    let mut end = start;
    let mut count = 0;
    let mut k = start;
    while count < 3 {
        let we = word_end(s, k);
        // A name's word ends the token: "Mc4" is a code, not a name cut before its digit.
        if we == k || !ends_word(s, we) || !is_name_word(s, k, we) {
            break;
        }
        end = we;
        count += 1;
        k = skip_spaces(s, we);
        if k == we {
            break;
        }
    }
    if count == 0 {
        return None;
    }
    found(start, end, "[NOME]")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern, both directions: what must be redacted and what must be kept.
    #[test]
    fn table() {
        let cases = [
            // E-mail.
            ("scrivete a mario.rossi@example.it", "scrivete a [EMAIL]"),
            ("mail: a_b+c@pec.comune.esempio.it.", "mail: [EMAIL]."),
            ("chi risponde @comune?", "chi risponde @comune?"),
            ("utente@localhost", "utente@localhost"),
            ("a@example.it.1234.5678", "[EMAIL].[TELEFONO]"),
            // IBAN: together, in groups, and never the words after it.
            ("iban IT60X0542811101000000123456", "iban [IBAN]"),
            ("iban IT60 X054 2811 1010 0000 0123 456", "iban [IBAN]"),
            (
                "iban IT60X0542811101000000123456 per pagare la mensa",
                "iban [IBAN] per pagare la mensa",
            ),
            (
                "IT60 X054 2811 1010 0000 0123 456 per la mensa",
                "[IBAN] per la mensa",
            ),
            (
                "IT60 X054 2811 1010 0000 0123 4567 per la TARI",
                "[IBAN] per la TARI",
            ),
            (
                "modello IT2024 per la dichiarazione",
                "modello IT2024 per la dichiarazione",
            ),
            // Codice fiscale, also lower case and with omocodia.
            (
                "il mio cf è RSSMRA85T10A562S grazie",
                "il mio cf è [CODICE FISCALE] grazie",
            ),
            ("cf rssmra85t10a562s", "cf [CODICE FISCALE]"),
            ("omocodia RSSMRA85T10A56NS", "omocodia [CODICE FISCALE]"),
            (
                "la parola PRECIPITEVOLISSIMEVOLMENTE",
                "la parola PRECIPITEVOLISSIMEVOLMENTE",
            ),
            // Payment cards (Luhn) and numbers that fail it.
            ("carta 4111 1111 1111 1111 scaduta", "carta [CARTA] scaduta"),
            ("carta 4111-1111-1111-1111", "carta [CARTA]"),
            ("codice 4111 1111 1111 1112", "codice [TELEFONO]"),
            // Phone numbers.
            ("chiamatemi al 333 1234567", "chiamatemi al [TELEFONO]"),
            ("tel +39 06 12345678.", "tel [TELEFONO]."),
            ("tel 0039-333-123-4567", "tel [TELEFONO]"),
            ("fisso 06/12345678", "fisso [TELEFONO]"),
            // A last group glued to a word belongs to the word (found by cargo fuzz: redacting
            // twice found a number the first pass missed).
            ("0812 1010 0000 012rivesi@exam.it", "[TELEFONO] [EMAIL]"),
            ("333 1234567 2a", "[TELEFONO] 2a"),
            ("mi chiamo Mc4 2811 10", "mi chiamo Mc4 2811 10"),
            ("(+39) 333.123.4567 ore pasti", "[TELEFONO] ore pasti"),
            // Dates and protocol numbers are kept.
            ("appuntamento il 12/05/2024", "appuntamento il 12/05/2024"),
            (
                "scadenza 1.7.2025 o 01-07-25",
                "scadenza 1.7.2025 o 01-07-25",
            ),
            ("pratica prot. 2024/000123", "pratica prot. 2024/000123"),
            ("protocollo n. 123456/2023", "protocollo n. 123456/2023"),
            // Number plates.
            ("multa alla targa AB123CD", "multa alla targa [TARGA]"),
            ("targa ab 123 cd", "targa [TARGA]"),
            ("modulo AB123", "modulo AB123"),
            // Identity card and passport numbers.
            (
                "la mia carta d'identità CA12345AB è scaduta",
                "la mia carta d'identità [DOCUMENTO] è scaduta",
            ),
            ("vecchia carta AR 1234567", "vecchia carta [DOCUMENTO]"),
            ("passaporto YA1234567", "passaporto [DOCUMENTO]"),
            ("il modulo F24 e il 730", "il modulo F24 e il 730"),
            // A name after a cue, and a street address with its number.
            (
                "mi chiamo Mario Rossi e abito in via Giuseppe Garibaldi 12",
                "mi chiamo [NOME] e abito in [INDIRIZZO]",
            ),
            (
                "sono Anna Maria Bianchi, residente",
                "sono [NOME], residente",
            ),
            ("la sig.ra Verdi chiede", "la sig.ra [NOME] chiede"),
            (
                "abito in piazza della Repubblica 3/A",
                "abito in [INDIRIZZO]",
            ),
            (
                "corso Vittorio Emanuele II 45b, interno 2",
                "[INDIRIZZO], interno 2",
            ),
            ("via 20 Settembre 7", "[INDIRIZZO]"),
            ("sono residente in via Roma", "sono residente in via Roma"),
            (
                "dov'è l'ufficio di piazza Garibaldi?",
                "dov'è l'ufficio di piazza Garibaldi?",
            ),
            (
                "posso inviarlo via PEC 2 volte?",
                "posso inviarlo via PEC 2 volte?",
            ),
            (
                "sono le 12 e sono in ritardo",
                "sono le 12 e sono in ritardo",
            ),
            // Ordinary questions are untouched.
            (
                "quanto costa la carta d'identità? 22,21 euro",
                "quanto costa la carta d'identità? 22,21 euro",
            ),
            (
                "orari dell'anagrafe il 12 maggio",
                "orari dell'anagrafe il 12 maggio",
            ),
            ("ISEE 2025 per la mensa", "ISEE 2025 per la mensa"),
            ("modulo 730", "modulo 730"),
        ];
        let mut failures = Vec::new();
        for (input, want) in cases {
            let got = redact(input);
            if got != want {
                failures.push(format!("{input:?}: got {got:?}, want {want:?}"));
            }
            let again = redact(&got);
            if again != got {
                failures.push(format!("{input:?}: not idempotent, {got:?} then {again:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn strips_control_characters_and_escapes() {
        let cases = [
            ("\u{1b}[31mrosso\u{1b}[0m", "rosso"),
            ("titolo\u{1b}]0;pwned\u{7}fine", "titolofine"),
            ("link \u{1b}]8;;http://x\u{1b}\\qui", "link qui"),
            ("a\u{0}b\u{8}c\u{7f}d\u{85}e", "abcde"),
            ("riga uno\nriga due\tfine\r", "riga uno riga due fine "),
            ("abc\u{202e}fed\u{2066}x", "abcfedx"),
            ("\u{9b}2Jpulito", "pulito"),
            ("solo \u{1b}", "solo "),
            ("è già così", "è già così"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_controls(input), want, "input: {input:?}");
            assert_eq!(redact(input), want, "redact of {input:?}");
        }
    }

    #[test]
    fn bounded_on_long_hostile_input() {
        // Long runs that several rules start reading: the scan must stay bounded.
        let inputs = [
            "a.".repeat(50_000),
            "1 ".repeat(50_000),
            "IT60 ".repeat(20_000),
            "via ".repeat(20_000),
            "sig.".repeat(20_000),
            "x@".repeat(50_000),
        ];
        // (A quadratic scan of these would run for minutes: the test would not end.)
        for text in &inputs {
            let out = redact(text);
            assert!(!out.is_empty() && out.len() <= text.len() * 2);
        }
    }
}
