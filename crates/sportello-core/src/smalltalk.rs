//! Small talk in a public-administration register: greetings, thanks, "sei un robot?",
//! requests for a person, rude messages. Checked before matching, and only when the message
//! is nothing but small talk ("buongiorno, come rinnovo la carta d'identità?" is a question).

use crate::analysis::{fold, words};
use serde::{Deserialize, Serialize};

/// The intents an agency can override in `smalltalk.toml`.
pub const INTENTS: &[&str] = &[
    "greeting",
    "thanks",
    "goodbye",
    "bot_identity",
    "help",
    "human",
    "rude",
];

/// An agency's replacement reply (and extra trigger phrases) for one intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmallTalkOverride {
    pub intent: String,
    pub reply: String,
    #[serde(default)]
    pub patterns: Vec<String>,
}

/// A recognised small-talk message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmallTalk {
    /// One of [`INTENTS`].
    pub intent: &'static str,
    /// The reply text, in Italian.
    pub text: String,
    /// True when the reply should show the agency's contacts.
    pub show_contacts: bool,
}

const GREETING: &[&str] = &[
    "ciao",
    "salve",
    "buongiorno",
    "buonasera",
    "buondi",
    "hey",
    "ehi",
    "hello",
    "hi",
    "buon",
    "giorno",
    "pomeriggio",
];
const THANKS: &[&str] = &[
    "grazie",
    "ringrazio",
    "gentilissimo",
    "gentilissima",
    "gentilissimi",
    "perfetto",
    "ottimo",
    "mille",
    "tante",
    "infinite",
];
const GOODBYE: &[&str] = &[
    "arrivederci",
    "addio",
    "presto",
    "saluti",
    "buona",
    "giornata",
    "serata",
    "notte",
    "buonanotte",
];
const FILLER: &[&str] = &[
    "a",
    "e",
    "ok",
    "okay",
    "va",
    "bene",
    "allora",
    "molto",
    "molte",
    "tanto",
    "sportello",
    "assistente",
    "la",
    "lei",
    "te",
    "ti",
    "vi",
    "di",
    "cuore",
    "davvero",
    "si",
];
const RUDE: &[&str] = &[
    "stupido",
    "stupida",
    "idiota",
    "inutile",
    "cretino",
    "cretina",
    "scemo",
    "scema",
    "vaffanculo",
    "fanculo",
    "merda",
    "cazzo",
    "schifo",
    "deficiente",
    "imbecille",
    "coglione",
    "stronzo",
    "stronza",
    "incapace",
    "incapaci",
    "ladri",
    "buffoni",
    "vergogna",
    "vergognatevi",
];
const RUDE_ALLOWED: &[&str] = &[
    "sei",
    "siete",
    "bot",
    "robot",
    "assistente",
    "servizio",
    "questo",
    "che",
    "un",
    "una",
    "proprio",
    "veramente",
    "davvero",
    "fai",
    "fate",
    "di",
    "e",
    "ma",
    "non",
    "funziona",
    "capisci",
    "capisce",
    "niente",
    "nulla",
    "tu",
    "voi",
    "comune",
];

/// Phrase triggers: (intent, folded phrase).
const PHRASES: &[(&str, &str)] = &[
    ("bot_identity", "sei un robot"),
    ("bot_identity", "sei un bot"),
    ("bot_identity", "sei umano"),
    ("bot_identity", "sei una persona"),
    ("bot_identity", "sei una persona vera"),
    ("bot_identity", "sei un essere umano"),
    ("bot_identity", "sei vero"),
    ("bot_identity", "sei reale"),
    ("bot_identity", "chi sei"),
    ("bot_identity", "con chi parlo"),
    ("bot_identity", "con chi sto parlando"),
    ("bot_identity", "sei un intelligenza artificiale"),
    ("bot_identity", "sei una intelligenza artificiale"),
    ("bot_identity", "sei un ai"),
    ("bot_identity", "sei chatgpt"),
    ("help", "aiuto"),
    ("help", "cosa sai fare"),
    ("help", "che cosa sai fare"),
    ("help", "come funziona"),
    ("help", "cosa posso chiedere"),
    ("help", "cosa posso chiederti"),
    ("help", "che domande posso fare"),
    ("help", "help"),
    ("human", "operatore"),
    ("human", "operatore umano"),
    ("human", "parlare con un operatore"),
    ("human", "parlare con una persona"),
    ("human", "parlare con qualcuno"),
    ("human", "voglio parlare con un operatore"),
    ("human", "voglio parlare con una persona"),
    ("human", "posso parlare con una persona"),
    ("human", "posso parlare con un operatore"),
    ("human", "mi passi un operatore"),
    ("human", "persona vera"),
];

fn shows_contacts(intent: &str) -> bool {
    matches!(intent, "bot_identity" | "human" | "rude")
}

/// The small-talk pack of one agency: built-in replies with the agency's overrides.
#[derive(Debug, Clone)]
pub struct SmallTalkPack {
    agency_name: String,
    overrides: Vec<SmallTalkOverride>,
    /// Override patterns, folded: (intent, phrase).
    extra: Vec<(&'static str, String)>,
}

fn normalize(text: &str) -> Vec<String> {
    words(text).into_iter().map(|w| w.folded).collect()
}

fn contains_phrase(haystack: &[String], phrase: &[String]) -> Option<usize> {
    if phrase.is_empty() || phrase.len() > haystack.len() {
        return None;
    }
    haystack.windows(phrase.len()).position(|w| w == phrase)
}

impl SmallTalkPack {
    pub fn new(agency_name: &str, overrides: &[SmallTalkOverride]) -> SmallTalkPack {
        let extra = overrides
            .iter()
            .filter_map(|o| INTENTS.iter().find(|i| **i == o.intent).map(|i| (i, o)))
            .flat_map(|(i, o)| o.patterns.iter().map(move |p| (*i, fold(p))))
            .collect();
        SmallTalkPack {
            agency_name: agency_name.to_string(),
            overrides: overrides.to_vec(),
            extra,
        }
    }

    fn reply(&self, intent: &'static str) -> SmallTalk {
        let text = self
            .overrides
            .iter()
            .find(|o| o.intent == intent)
            .map(|o| o.reply.clone())
            .unwrap_or_else(|| crate::messages::small_talk(intent).to_string())
            .replace("{ente}", &self.agency_name);
        SmallTalk {
            intent,
            text,
            show_contacts: shows_contacts(intent),
        }
    }

    /// The small-talk reply for `text`, when the message is only small talk.
    pub fn detect(&self, text: &str) -> Option<SmallTalk> {
        let w = normalize(text);
        if w.is_empty() || w.len() > 12 {
            return None;
        }
        let is = |list: &[&str], x: &str| list.contains(&x);
        // Rude: an insult and nothing else of substance.
        if w.iter().any(|x| is(RUDE, x))
            && w.iter().all(|x| {
                is(RUDE, x)
                    || is(RUDE_ALLOWED, x)
                    || is(FILLER, x)
                    || crate::analysis::is_stop_word(x)
            })
        {
            return Some(self.reply("rude"));
        }
        // Phrase intents (agency patterns first), with at most greetings and fillers around.
        let extra = self.extra.iter().map(|(i, p)| (*i, normalize(p)));
        let builtin = PHRASES.iter().map(|(i, p)| (*i, normalize(p)));
        for (intent, phrase) in extra.chain(builtin) {
            if let Some(at) = contains_phrase(&w, &phrase) {
                let rest = w[..at].iter().chain(&w[at + phrase.len()..]);
                if rest
                    .into_iter()
                    .all(|x| is(GREETING, x) || is(THANKS, x) || is(FILLER, x) || x == "?")
                {
                    return Some(self.reply(intent));
                }
            }
        }
        let polite =
            |x: &String| is(GREETING, x) || is(THANKS, x) || is(GOODBYE, x) || is(FILLER, x);
        if !w.iter().all(polite) {
            return None;
        }
        if w.iter().any(|x| is(THANKS, x)) {
            Some(self.reply("thanks"))
        } else if w.iter().any(|x| is(GOODBYE, x) && x != "buona") || w == ["ciao", "ciao"] {
            Some(self.reply("goodbye"))
        } else if w.iter().any(|x| is(GREETING, x)) {
            Some(self.reply("greeting"))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(p: &SmallTalkPack, s: &str) -> Option<&'static str> {
        p.detect(s).map(|t| t.intent)
    }

    #[test]
    fn recognises_pure_small_talk_only() {
        let p = SmallTalkPack::new("Comune di Prova", &[]);
        assert_eq!(intent(&p, "Buongiorno!"), Some("greeting"));
        assert_eq!(intent(&p, "ciao"), Some("greeting"));
        assert_eq!(intent(&p, "grazie mille"), Some("thanks"));
        assert_eq!(intent(&p, "Sei un robot?"), Some("bot_identity"));
        assert_eq!(intent(&p, "voglio parlare con un operatore"), Some("human"));
        assert_eq!(intent(&p, "sei proprio inutile"), Some("rude"));
        assert_eq!(intent(&p, "arrivederci"), Some("goodbye"));
        assert_eq!(
            intent(&p, "buongiorno, come rinnovo la carta d'identità?"),
            None
        );
        assert_eq!(intent(&p, "grazie, e per la tari?"), None);
        assert_eq!(intent(&p, ""), None);
    }

    #[test]
    fn agency_overrides_reply_and_patterns() {
        let o = SmallTalkOverride {
            intent: "greeting".into(),
            reply: "Benvenuto nello sportello di {ente}".into(),
            patterns: vec!["bella zio".into()],
        };
        let p = SmallTalkPack::new("Comune di Prova", &[o]);
        let r = p.detect("bella zio").unwrap();
        assert_eq!(r.text, "Benvenuto nello sportello di Comune di Prova");
        assert_eq!(p.detect("ciao").unwrap().text, r.text);
    }
}
