//! Word segmentation (Unicode UAX #29 words), with a fast path for Latin text.
//!
//! `unicode-segmentation` looks every character up in large tables; knowledge bases and
//! questions are almost all Latin letters, digits and common punctuation, whose word-break
//! classes are few and fixed. For text made only of such characters, [`word_indices`] applies
//! the UAX #29 rules directly; any other character sends the whole text to
//! `unicode-segmentation`. Both give the same words (checked by a property test).

use unicode_segmentation::UnicodeSegmentation;

/// UAX #29 word-break classes of the characters the fast path knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Numeric,
    /// `_`
    ExtendNumLet,
    /// `:` `·`
    MidLetter,
    /// `,` `;`
    MidNum,
    /// `.` `'` `‘` `’`: join letters with letters and digits with digits.
    MidNumLet,
    /// Anything that breaks words (spaces, other punctuation, symbols).
    Other,
}

/// The class of `c`, or `None` when the fast path does not know it.
fn class(c: char) -> Option<Class> {
    Some(match c {
        'a'..='z' | 'A'..='Z' => Class::Letter,
        '0'..='9' => Class::Numeric,
        '_' => Class::ExtendNumLet,
        ':' => Class::MidLetter,
        ',' | ';' => Class::MidNum,
        '.' | '\'' => Class::MidNumLet,
        // Other ASCII (spaces, controls and punctuation); CR/LF/tab only break.
        '\0'..='\x7f' => Class::Other,
        // Latin-1 and Latin Extended-A letters (× and ÷ are symbols).
        'ª' | 'µ' | 'º' => Class::Letter,
        '\u{c0}'..='\u{ff}' if c != '×' && c != '÷' => Class::Letter,
        '\u{100}'..='\u{17f}' => Class::Letter,
        '·' => Class::MidLetter,
        '‘' | '’' => Class::MidNumLet,
        // Common punctuation and symbols of Italian text that only break words.
        '\u{a0}' | '«' | '»' | '°' | '€' | '–' | '—' | '“' | '”' | '„' | '…' | '×' | '÷' | '§'
        | '©' | '®' | '±' | '¿' | '¡' | '•' => Class::Other,
        _ => return None,
    })
}

/// Whether `mid` joins `left` and `right` (rules WB6/WB7 and WB11/WB12).
fn joins_across(left: Class, mid: Class, right: Class) -> bool {
    match (left, right) {
        (Class::Letter, Class::Letter) => matches!(mid, Class::MidLetter | Class::MidNumLet),
        (Class::Numeric, Class::Numeric) => matches!(mid, Class::MidNum | Class::MidNumLet),
        _ => false,
    }
}

fn is_word_char(c: Class) -> bool {
    matches!(c, Class::Letter | Class::Numeric | Class::ExtendNumLet)
}

/// The words of `text` with their byte offsets, as `unicode_word_indices` gives them.
pub fn word_indices(text: &str) -> Vec<(usize, &str)> {
    match latin_word_indices(text) {
        Some(words) => words,
        None => text.unicode_word_indices().collect(),
    }
}

/// The fast path: `None` when `text` has a character it does not know.
fn latin_word_indices(text: &str) -> Option<Vec<(usize, &str)>> {
    let mut classes: Vec<(usize, Class)> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        classes.push((i, class(c)?));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < classes.len() {
        if !is_word_char(classes[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        let mut alphanumeric = false;
        loop {
            let here = classes[i].1;
            alphanumeric |= here != Class::ExtendNumLet;
            let Some(&(_, next)) = classes.get(i + 1) else {
                break;
            };
            // WB5, WB8–WB10, WB13a/b: letters, digits and `_` all join one another.
            if is_word_char(next) {
                i += 1;
                continue;
            }
            // WB6/7, WB11/12: one middle character between two letters or two digits.
            match classes.get(i + 2) {
                Some(&(_, after)) if joins_across(here, next, after) => i += 2,
                _ => break,
            }
        }
        let from = classes[start].0;
        let to = classes.get(i + 1).map_or(text.len(), |&(b, _)| b);
        if alphanumeric {
            out.push((from, &text[from..to]));
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(text: &str) -> Vec<(usize, &str)> {
        text.unicode_word_indices().collect()
    }

    #[test]
    fn italian_sentences_match_unicode_segmentation() {
        for text in [
            "Quanto costa la carta d'identità? 22,21 € (o 16,79).",
            "Dell’anagrafe: l'ufficio è aperto lun.–ven. 8:30–12:30, tel. 06 1234567",
            "C.I.E. e S.P.I.D. — «pagoPA» … a_b __ _x 3.5.7 a.1 1.a x:y 1:2 1,a a,1",
            "perché città ÀÉÎÕÜ ß ÿ Ł ł œ × ÷ ª º µ n° 5 §2 ©",
        ] {
            assert_eq!(word_indices(text), reference(text), "{text}");
            assert!(latin_word_indices(text).is_some(), "{text}");
        }
    }

    #[test]
    fn unknown_characters_take_the_full_path() {
        assert!(latin_word_indices("emoji 🙂 qui").is_none());
        assert!(latin_word_indices("combining e\u{301}").is_none());
        assert_eq!(word_indices("ciao 🙂 mondo"), reference("ciao 🙂 mondo"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_path_agrees_with_unicode_segmentation(
            text in "[aZé’‘'.,;:·_0-9 \t\r\n«»€–\u{a0}×ªÿŁ!?()\"/-]{0,40}"
        ) {
            prop_assert!(latin_word_indices(&text).is_some());
            prop_assert_eq!(word_indices(&text), reference(&text));
        }
    }
}
