//! Runs of digits: phone numbers and payment cards are redacted, dates and protocol numbers
//! kept.

use super::{ends_word, found, Found};

/// A run of digit groups separated by one of ` .-/`, with an optional `+` or `(+39)` prefix:
/// a date or a protocol number (kept), a card number passing the Luhn check, or, with seven
/// digits or more, a phone number.
pub(super) fn number(s: &[char], i: usize) -> Option<Found> {
    let digits = prefix_end(s, i)?;
    let prefixed = digits > i;
    let (mut groups, mut seps, mut j) = digit_groups(s, digits);
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

/// Where the digits start after an optional `+` or `(+39)` prefix at `i` (`i` without one);
/// `None` for a parenthesis that is not such a prefix.
fn prefix_end(s: &[char], i: usize) -> Option<usize> {
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
    Some(j)
}

/// The groups of digits from `from` (start, end), the separator before each group after the
/// first, and where the last group ends.
fn digit_groups(s: &[char], from: usize) -> (Vec<(usize, usize)>, Vec<char>, usize) {
    let mut j = from;
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
    (groups, seps, j)
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
