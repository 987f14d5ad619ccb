//! Names: a proper name after a cue ("mi chiamo", "sig.ra") and a street address with its
//! house number.

use super::{ends_word, found, Found};

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
pub(super) fn street_address(s: &[char], i: usize) -> Option<Found> {
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
pub(super) fn name_after_cue(s: &[char], i: usize) -> Option<Found> {
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
