//! Removes personal data from citizens' questions before they are stored for editors:
//! e-mail addresses, IBANs, codici fiscali, payment card numbers and phone numbers become
//! placeholders. It errs on the side of removing too much (a long number is taken for a phone).

use regex::Regex;
use std::sync::LazyLock;

struct Rule {
    re: Regex,
    placeholder: &'static str,
    /// Extra check on the match (for instance the Luhn checksum of a card number).
    accept: fn(&str) -> bool,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |re: &str, placeholder, accept| Rule {
        re: Regex::new(re).expect("valid redaction pattern"),
        placeholder,
        accept,
    };
    vec![
        rule(
            r"(?i)[a-z0-9._%+\-]+@[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.[a-z]{2,}",
            "[EMAIL]",
            |_| true,
        ),
        // IBAN: country, check digits, 11–30 alphanumerics, optionally in groups of four.
        rule(
            r"(?i)\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]){11,30}\b",
            "[IBAN]",
            |m| m.chars().filter(char::is_ascii_digit).count() >= 8,
        ),
        // Codice fiscale, including omocodia (digits replaced by letters).
        rule(
            r"(?i)\b[a-z]{6}[0-9lmnpqrstuv]{2}[abcdehlmprst][0-9lmnpqrstuv]{2}[a-z][0-9lmnpqrstuv]{3}[a-z]\b",
            "[CODICE FISCALE]",
            |_| true,
        ),
        // Payment cards: 13–19 digits passing the Luhn check.
        rule(r"\b(?:\d[ \-]?){12,18}\d\b", "[CARTA]", luhn),
        // Phone numbers: seven or more digits, with optional +/00 prefix and separators.
        rule(
            r"(?:\+|\(\+?\d{1,3}\)[ ]?)?\d(?:[ .\-/]?\d){6,}",
            "[TELEFONO]",
            |_| true,
        ),
    ]
});

fn luhn(m: &str) -> bool {
    let digits: Vec<u32> = m.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    matches!(sum % 10, 0)
}

/// The text with personal data replaced by placeholders such as `[TELEFONO]`.
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    for rule in RULES.iter() {
        if !rule.re.is_match(&out) {
            continue;
        }
        out = rule
            .re
            .replace_all(&out, |caps: &regex::Captures| {
                let m = &caps[0];
                if (rule.accept)(m) {
                    rule.placeholder.to_string()
                } else {
                    m.to_string()
                }
            })
            .into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_personal_data() {
        let cases = [
            (
                "il mio cf è RSSMRA85T10A562S grazie",
                "il mio cf è [CODICE FISCALE] grazie",
            ),
            ("cf rssmra85t10a562s", "cf [CODICE FISCALE]"),
            ("omocodia RSSMRA85T10A56NS", "omocodia [CODICE FISCALE]"),
            ("chiamatemi al 333 1234567", "chiamatemi al [TELEFONO]"),
            ("tel +39 06 12345678.", "tel [TELEFONO]."),
            ("tel 0039-333-123-4567", "tel [TELEFONO]"),
            ("fisso 06/12345678", "fisso [TELEFONO]"),
            ("scrivete a mario.rossi@example.it", "scrivete a [EMAIL]"),
            ("iban IT60 X054 2811 1010 0000 0123 456", "iban [IBAN]"),
            ("iban IT60X0542811101000000123456", "iban [IBAN]"),
            ("carta 4111 1111 1111 1111 scaduta", "carta [CARTA] scaduta"),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "input: {input}");
        }
    }

    #[test]
    fn keeps_ordinary_questions() {
        for q in [
            "quanto costa la carta d'identità? 22,21 euro",
            "orari dell'anagrafe il 12 maggio",
            "ISEE 2025 per la mensa",
            "modulo 730",
        ] {
            assert_eq!(redact(q), q);
        }
    }
}
