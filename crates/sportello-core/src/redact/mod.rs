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

mod codes;
mod controls;
mod names;
mod numbers;
#[cfg(test)]
mod tests;

use codes::{codice_fiscale, email, iban, identity_document, number_plate};
pub use controls::strip_controls;
use names::{name_after_cue, street_address};
use numbers::number;

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

/// What a rule found at a word start: the span `start..end` (`start` may follow a cue
/// that is kept, as in "mi chiamo [NOME]"), replaced by `placeholder`, or kept as it is
/// (`None`: a date or protocol number, which the phone rule must not take).
pub(super) struct Found {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) placeholder: Option<&'static str>,
}

pub(super) fn found(start: usize, end: usize, placeholder: &'static str) -> Option<Found> {
    Some(Found {
        start,
        end,
        placeholder: Some(placeholder),
    })
}

pub(super) fn starts_word(s: &[char], i: usize) -> bool {
    i == 0 || !s[i - 1].is_alphanumeric()
}

/// True when position `i` is the end of a word (nothing alphanumeric follows).
pub(super) fn ends_word(s: &[char], i: usize) -> bool {
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
