//! Identifiers with a fixed shape: e-mail addresses, IBANs (with their checksum), codici
//! fiscali, identity-document numbers and number plates.

use super::{ends_word, found, Found};

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

/// `local@domain.tld`: the domain has at least one dot and a final label of two or more
/// letters.
pub(super) fn email(s: &[char], i: usize) -> Option<Found> {
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

pub(super) fn letters(s: &[char], i: usize, n: usize) -> bool {
    i + n <= s.len() && s[i..i + n].iter().all(char::is_ascii_alphabetic)
}

pub(super) fn digits(s: &[char], i: usize, n: usize) -> bool {
    i + n <= s.len() && s[i..i + n].iter().all(char::is_ascii_digit)
}

/// An IBAN: country, two check digits, then 11–30 letters and digits, written together or
/// in groups of four separated by one space. It stops where the groups stop, so the words
/// after it are never taken; among the possible ends it prefers one whose ISO 7064 check
/// (mod 97) holds.
pub(super) fn iban(s: &[char], i: usize) -> Option<Found> {
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
pub(super) fn codice_fiscale(s: &[char], i: usize) -> Option<Found> {
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
pub(super) fn identity_document(s: &[char], i: usize) -> Option<Found> {
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
pub(super) fn number_plate(s: &[char], i: usize) -> Option<Found> {
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
