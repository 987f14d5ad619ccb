//! The knowledge-base model: an agency, its human contacts and its FAQ entries.

use serde::{Deserialize, Serialize};

/// Where a piece of the knowledge base came from, for messages to editors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Origin {
    /// File name (or another label for in-memory sources).
    pub file: String,
    /// 1-based line number of the entry in that file.
    pub line: usize,
    /// The line of each field the entry was read from (key, line), where known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, usize)>,
}

impl Origin {
    /// The line of `field`, or of the entry when the field's own line is not known.
    pub fn line_of(&self, field: &str) -> usize {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map_or(self.line, |&(_, l)| l)
    }
}

/// One FAQ entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Entry {
    /// Stable identifier (the file name without `.md` in the native format).
    pub id: String,
    /// The main question, as editors want it shown.
    pub question: String,
    /// Other phrasings of the same question, the way citizens write.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// The answer in Markdown (left out of widget bundles, which carry it rendered).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub answer: String,
    /// A plain-text answer of one or two sentences for chat apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_answer: Option<String>,
    /// Topics, used for matching and grouping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The office in charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    /// Link to the authoritative page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Date of the last review, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<String>,
    /// First day the entry is answered, `YYYY-MM-DD` (a bonus that opens on a date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    /// Last day the entry is answered, `YYYY-MM-DD` (a deadline); after it the entry is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Ids of follow-up entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Where the entry was read from (not part of the interchange format).
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl Entry {
    /// The main question followed by the alternatives.
    pub fn phrasings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.alternatives.iter().map(String::as_str))
    }
}

/// The human channel a citizen is pointed to when Sportello cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Contacts {
    /// True when no way to reach a person is given.
    pub fn is_empty(&self) -> bool {
        self.phone.is_none() && self.email.is_none() && self.url.is_none() && self.address.is_none()
    }
}

/// Decision thresholds on the calibrated confidence (0–1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: answer directly.
    pub answer: f32,
    /// At or above (and below `answer`): offer "Forse cercavi…".
    pub clarify: f32,
}

impl Thresholds {
    /// The default thresholds, chosen on the dev sets (see docs/quality.md).
    pub const DEFAULT: Thresholds = Thresholds {
        answer: 0.55,
        clarify: 0.33,
    };
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::DEFAULT
    }
}

/// Agency metadata (`agency.toml` in the native format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// Short id, the folder name in the native format.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Free note for readers (for instance "ente fittizio").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// BCP 47 language tag of the KB content; only `it` is analysed specially today.
    pub language: String,
    /// Human fallback channel.
    #[serde(default)]
    pub contacts: Contacts,
    /// Agency-specific synonym groups (words or expressions with the same meaning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<Vec<String>>,
    /// Optional per-agency thresholds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// Optional replacement for the AI-disclosure sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_disclosure: Option<String>,
    /// Shared packs whose entries and notices are merged in (folders, relative to the KB's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extends: Vec<String>,
    /// Ids of pack entries (or notices) left out of this KB.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

impl Default for Agency {
    fn default() -> Self {
        Agency {
            id: "agency".into(),
            name: "Ente".into(),
            note: None,
            language: "it".into(),
            contacts: Contacts::default(),
            synonyms: Vec::new(),
            thresholds: None,
            ai_disclosure: None,
            extends: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

/// How prominently a notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// An ordinary notice (a changed deadline, new opening hours).
    #[default]
    Normal,
    /// An urgent one (a closure, a strike, a weather alert): shown first and marked.
    High,
}

impl Priority {
    /// `normal` or `high`, as in the wire format.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }
}

/// A time-limited notice (avviso): shown before the answers it concerns while it is valid
/// (`notices/<id>.md` in the native format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Notice {
    /// Stable identifier (the file name without `.md`).
    pub id: String,
    /// A short title ("Uffici chiusi per sciopero").
    pub title: String,
    /// The notice in Markdown.
    pub text: String,
    /// First moment the notice is shown: `YYYY-MM-DD` (from midnight) or
    /// `YYYY-MM-DDTHH:MM[:SS]`, Italian time unless it ends with `Z` or an offset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last moment the notice is shown: `YYYY-MM-DD` (to the end of that day) or a date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Topics (entries' tags) the notice concerns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Ids of the entries the notice concerns. With no topics and no entries the notice is
    /// global: it is shown with every answer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    #[serde(default, skip_serializing_if = "is_normal")]
    pub priority: Priority,
    /// Where the notice was read from (not part of the interchange format).
    #[serde(skip)]
    pub origin: Option<Origin>,
}

fn is_normal(p: &Priority) -> bool {
    *p == Priority::Normal
}

impl Notice {
    /// True when the notice concerns no particular entry or topic.
    pub fn is_global(&self) -> bool {
        self.topics.is_empty() && self.entries.is_empty()
    }
}

/// A whole knowledge base: agency, entries, notices and optional small-talk overrides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KnowledgeBase {
    pub agency: Agency,
    pub entries: Vec<Entry>,
    /// Small-talk replies overriding the built-in pack, by intent name.
    pub smalltalk: Vec<crate::smalltalk::SmallTalkOverride>,
    /// Time-limited notices.
    pub notices: Vec<Notice>,
}

impl KnowledgeBase {
    /// A knowledge base made of entries only, with default agency metadata.
    pub fn from_entries(entries: Vec<Entry>) -> Self {
        KnowledgeBase {
            agency: Agency::default(),
            entries,
            smalltalk: Vec::new(),
            notices: Vec::new(),
        }
    }

    /// The entry with this id.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The notice with this id.
    pub fn notice(&self, id: &str) -> Option<&Notice> {
        self.notices.iter().find(|n| n.id == id)
    }
}
