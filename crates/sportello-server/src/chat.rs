//! Turning a [`Reply`] into chat messages: plain text pieces, splitting long text at paragraph
//! boundaries, short button labels, and the compact choice ids carried by buttons.
//! No matching here: the engine decides, this only formats.

use sha2::{Digest, Sha256};
use sportello_core::{Contacts, Engine, Reply};

/// Italian texts of the bots.
pub mod text {
    pub const ONLY_TEXT: &str =
        "Posso rispondere solo a messaggi di testo. Scriva la sua domanda, per favore.";
    pub const RATE_LIMITED: &str =
        "Ho ricevuto molti messaggi in poco tempo: riprovi tra un minuto, per favore.";
    pub const NONE_OF_THESE: &str = "Nessuna di queste";
    pub const CHOICE_GONE: &str =
        "Questa scelta non è più disponibile: le informazioni sono state aggiornate. Riscriva la domanda, per favore.";
    pub const THANKS_FEEDBACK: &str =
        "Grazie della segnalazione: la useremo per migliorare le risposte.";
    pub const THANKS_POSITIVE: &str = "Grazie!";
    pub const SOURCE: &str = "Fonte";
    pub const UPDATED: &str = "Aggiornato il";
    pub const RELATED: &str = "Potrebbe interessarle anche:";
    pub const CONTINUES: &str = "La risposta completa è qui:";
}

/// A choice carried by a button: pick an entry, say none fits, or rate an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Entry(String),
    NoneOfThese,
    ThumbsUp(String),
    ThumbsDown(String),
}

/// Longest button payload we produce (Telegram's `callback_data` limit is 64 bytes).
pub const MAX_CHOICE_BYTES: usize = 64;

fn short_hash(id: &str) -> String {
    hex::encode(&Sha256::digest(id.as_bytes())[..8])
}

fn id_token(id: &str) -> String {
    // "e:" + id must fit in 64 bytes; longer ids travel as a hash, resolved against the KB.
    if id.len() + 2 <= MAX_CHOICE_BYTES {
        id.to_string()
    } else {
        format!("#{}", short_hash(id))
    }
}

impl Choice {
    /// The payload for a button (at most [`MAX_CHOICE_BYTES`] bytes).
    pub fn encode(&self) -> String {
        match self {
            Choice::Entry(id) => format!("e:{}", id_token(id)),
            Choice::NoneOfThese => "x".into(),
            Choice::ThumbsUp(id) => format!("u:{}", id_token(id)),
            Choice::ThumbsDown(id) => format!("d:{}", id_token(id)),
        }
    }

    /// Reads a payload back; hashed ids are resolved against the engine's entries. `None` for
    /// payloads we did not produce or entries no longer in the KB.
    pub fn decode(payload: &str, engine: &Engine) -> Option<Choice> {
        if payload == "x" {
            return Some(Choice::NoneOfThese);
        }
        let (tag, token) = payload.split_once(':')?;
        let id = if let Some(hash) = token.strip_prefix('#') {
            engine
                .kb()
                .entries
                .iter()
                .find(|e| short_hash(&e.id) == hash)?
                .id
                .clone()
        } else {
            engine.kb().entry(token)?.id.clone()
        };
        match tag {
            "e" => Some(Choice::Entry(id)),
            "u" => Some(Choice::ThumbsUp(id)),
            "d" => Some(Choice::ThumbsDown(id)),
            _ => None,
        }
    }
}

/// At most `max` characters, with "…" when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out = out.trim_end().to_string();
    out.push('…');
    out
}

/// Splits text into pieces of at most `max` characters, at paragraph boundaries when
/// possible, then at line ends, then at spaces, and only as a last resort inside a word.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let max = max.max(16);
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for para in text.split("\n\n") {
        let para = para.trim_matches('\n');
        if para.is_empty() {
            continue;
        }
        let len = para.chars().count();
        let joined = if current.is_empty() {
            len
        } else {
            current_len + 2 + len
        };
        if joined <= max {
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.push_str(para);
            current_len = joined;
            continue;
        }
        if !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
            current_len = 0;
        }
        if len <= max {
            current.push_str(para);
            current_len = len;
        } else {
            pieces.extend(split_long(para, max));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Splits one paragraph longer than `max`: at line ends, spaces, or anywhere.
fn split_long(para: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: &str = para;
    while rest.chars().count() > max {
        let cut_byte = rest
            .char_indices()
            .nth(max)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let window = &rest[..cut_byte];
        let at = window
            .rfind('\n')
            .or_else(|| window.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(cut_byte);
        out.push(rest[..at].trim_end().to_string());
        rest = rest[at..].trim_start();
    }
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// The contacts as lines of text.
pub fn contacts_text(c: &Contacts) -> String {
    let mut lines = Vec::new();
    if let Some(o) = &c.office {
        lines.push(o.clone());
    }
    if let Some(p) = &c.phone {
        lines.push(format!("Tel. {p}"));
    }
    if let Some(e) = &c.email {
        lines.push(format!("E-mail: {e}"));
    }
    if let Some(h) = &c.hours {
        lines.push(format!("Orari: {h}"));
    }
    if let Some(a) = &c.address {
        lines.push(a.clone());
    }
    if let Some(u) = &c.url {
        lines.push(u.clone());
    }
    lines.join("\n")
}

/// A reply as plain text, for channels that show no formatting, plus the choices to offer
/// as buttons.
pub struct PlainReply {
    /// Heading (the entry's question) for answers.
    pub title: Option<String>,
    pub body: String,
    pub choices: Vec<(String, Choice)>,
    /// The answered entry, for thumbs-up/down buttons.
    pub answered: Option<String>,
    /// The notices to send before the reply (one paragraph each), when there are.
    pub notices: Option<String>,
}

/// The reply's notices as chat text, urgent ones marked: "⚠️ Uffici chiusi…\n…".
pub fn notices_text(reply: &Reply) -> Option<String> {
    let blocks: Vec<String> = reply
        .notices()
        .iter()
        .map(|n| {
            let mark = match n.priority {
                sportello_core::Priority::High => "🚨",
                sportello_core::Priority::Normal => "⚠️",
            };
            format!("{mark} {}", n.text.trim())
        })
        .collect();
    (!blocks.is_empty()).then(|| blocks.join("\n\n"))
}

/// "Aggiornato il 10 marzo 2026." from an answer's `reviewed` date.
pub fn updated_line(reviewed: Option<&str>) -> Option<String> {
    let day = sportello_core::date::parse(reviewed?)?;
    Some(format!(
        "{} {}.",
        text::UPDATED,
        sportello_core::date::italian(day)
    ))
}

pub fn plain(reply: &Reply) -> PlainReply {
    let mut p = plain_reply(reply);
    p.notices = notices_text(reply);
    p
}

fn plain_reply(reply: &Reply) -> PlainReply {
    match reply {
        Reply::Answer {
            id,
            question,
            answer_text,
            source,
            reviewed,
            related,
            ..
        } => {
            let mut body = answer_text.trim().to_string();
            let updated = updated_line(reviewed.as_deref());
            if let Some(line) = &updated {
                body.push_str(&format!("\n\n{line}"));
            }
            if let Some(s) = source {
                let gap = if updated.is_some() { "\n" } else { "\n\n" };
                body.push_str(&format!("{gap}{}: {s}", text::SOURCE));
            }
            PlainReply {
                title: Some(question.clone()),
                body,
                choices: related
                    .iter()
                    .take(3)
                    .map(|(rid, q)| (q.clone(), Choice::Entry(rid.clone())))
                    .collect(),
                answered: Some(id.clone()),
                notices: None,
            }
        }
        Reply::Clarify {
            message, options, ..
        } => {
            let mut body = message.clone();
            for (i, o) in options.iter().enumerate() {
                body.push_str(&format!("\n{}. {}", i + 1, o.question));
            }
            let mut choices: Vec<(String, Choice)> = options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    (
                        format!("{}. {}", i + 1, o.question),
                        Choice::Entry(o.id.clone()),
                    )
                })
                .collect();
            choices.push((text::NONE_OF_THESE.to_string(), Choice::NoneOfThese));
            PlainReply {
                title: None,
                body,
                choices,
                answered: None,
                notices: None,
            }
        }
        Reply::Decline {
            message, contacts, ..
        } => PlainReply {
            title: None,
            body: join_nonempty(message, &contacts_text(contacts)),
            choices: Vec::new(),
            answered: None,
            notices: None,
        },
        Reply::SmallTalk {
            message, contacts, ..
        } => PlainReply {
            title: None,
            body: match contacts {
                Some(c) => join_nonempty(message, &contacts_text(c)),
                None => message.clone(),
            },
            choices: Vec::new(),
            answered: None,
            notices: None,
        },
    }
}

fn join_nonempty(a: &str, b: &str) -> String {
    if b.is_empty() {
        a.to_string()
    } else {
        format!("{a}\n\n{b}")
    }
}

/// The reply to "none of these": the agency's human contacts.
pub fn none_of_these(engine: &Engine) -> String {
    let agency = &engine.kb().agency;
    join_nonempty(
        &format!(
            "Mi dispiace. Per questa domanda può contattare direttamente {}:",
            agency.name
        ),
        &contacts_text(&agency.contacts),
    )
}

/// The welcome message (Telegram `/start`), with the AI disclosure.
pub fn welcome(engine: &Engine) -> String {
    format!(
        "Buongiorno! Sono l'assistente virtuale di {}.\n\n{}\n\nScriva la sua domanda, per esempio: «Come rinnovo la carta d'identità?»",
        engine.kb().agency.name,
        engine.ai_disclosure()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_respects_limit_and_paragraphs() {
        let para = "a".repeat(50);
        let text = vec![para.clone(); 5].join("\n\n");
        let pieces = split_text(&text, 120);
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|p| p.chars().count() <= 120));
        assert_eq!(pieces[0], format!("{para}\n\n{para}"));
        let long = "parola ".repeat(1000);
        let pieces = split_text(&long, 4096);
        assert!(pieces.iter().all(|p| p.chars().count() <= 4096));
        assert_eq!(pieces.join(" ").split_whitespace().count(), 1000);
        let unbroken = "é".repeat(10_000);
        assert!(split_text(&unbroken, 4096)
            .iter()
            .all(|p| p.chars().count() <= 4096));
        assert!(split_text("", 100).is_empty());
    }

    #[test]
    fn truncates_on_chars() {
        assert_eq!(truncate("carta d'identità", 20), "carta d'identità");
        assert_eq!(
            truncate("quanto costa la carta d'identità", 20)
                .chars()
                .count(),
            20
        );
    }

    #[test]
    fn long_ids_fit_in_callback_data() {
        let id = "x".repeat(200);
        assert!(Choice::ThumbsDown(id).encode().len() <= MAX_CHOICE_BYTES);
    }
}
