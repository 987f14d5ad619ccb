//! Control characters, ANSI/VT escape sequences and bidirectional overrides, removed before
//! anything is redacted, stored or printed.

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
