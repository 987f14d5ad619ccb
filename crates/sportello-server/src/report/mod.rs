//! The editors' report from the feedback store: questions per week by channel and reply
//! kind, the most frequent unanswered and clarified groups (with the entry the engine would
//! pick, when the KB is given), satisfaction per entry and the entries due for review.
//! [`html`] writes it as one self-contained page, [`csv`] as spreadsheets.

mod chart;
pub mod csv;
pub mod html;
pub mod suggest;

use crate::feedback::{EntryCounts, FeedbackError, FeedbackStore, ReportRow, WeekCount};
use sportello_core::Engine;

/// The entry the engine would pick today for a group's question.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub entry_id: String,
    pub question: String,
    /// Calibrated confidence (0–1).
    pub confidence: f32,
}

/// A group of similar questions and, with a KB, the engine's pick.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub row: ReportRow,
    pub pick: Option<Pick>,
}

/// An entry's counts and, with a KB, its main question.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryLine {
    pub counts: EntryCounts,
    pub question: Option<String>,
}

/// An entry due for review, expiring, expired or not yet valid.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewLine {
    pub entry_id: String,
    pub question: String,
    /// `file:line` of the entry's `reviewed` field, when known.
    pub location: Option<String>,
    pub note: String,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub agency: Option<String>,
    /// The agency's name, from the KB.
    pub agency_name: Option<String>,
    /// Day number of the report (see `sportello_core::date`).
    pub today: i64,
    pub groups: Vec<Group>,
    pub weeks: Vec<WeekCount>,
    pub entries: Vec<EntryLine>,
    pub review: Vec<ReviewLine>,
    pub review_months: u32,
}

/// What [`gather`] reads.
pub struct Source<'a> {
    pub store: &'a dyn FeedbackStore,
    pub agency: Option<&'a str>,
    /// Groups shown at most.
    pub limit: usize,
    /// The agency's engine, for picks, questions and review dates.
    pub engine: Option<&'a Engine>,
    pub today: i64,
    pub review_months: u32,
}

/// Reads the store (and the KB) into a [`Report`].
pub fn gather(src: &Source<'_>) -> Result<Report, FeedbackError> {
    let groups = src
        .store
        .report(src.agency, src.limit)?
        .into_iter()
        .map(|row| {
            let pick = src
                .engine
                .filter(|_| row.unanswered + row.clarified > 0)
                .and_then(|e| e.search(&row.example, 1).into_iter().next())
                .map(|c| Pick {
                    entry_id: c.id,
                    question: c.question,
                    confidence: c.confidence,
                });
            Group { row, pick }
        })
        .collect();
    let question = |id: &str| {
        src.engine
            .and_then(|e| e.kb().entry(id))
            .map(|e| e.question.clone())
    };
    let entries = src
        .store
        .per_entry(src.agency)?
        .into_iter()
        .map(|counts| EntryLine {
            question: question(&counts.entry_id),
            counts,
        })
        .collect();
    let review = src.engine.map_or_else(Vec::new, |e| review_lines(e, src));
    Ok(Report {
        agency: src.agency.map(str::to_string),
        agency_name: src.engine.map(|e| e.kb().agency.name.clone()),
        today: src.today,
        groups,
        weeks: src.store.weekly(src.agency)?,
        entries,
        review,
        review_months: src.review_months,
    })
}

fn review_lines(engine: &Engine, src: &Source<'_>) -> Vec<ReviewLine> {
    sportello_core::lifecycle::flagged(engine.kb(), src.today, src.review_months)
        .into_iter()
        .map(|n| ReviewLine {
            entry_id: n.entry.id.clone(),
            question: n.entry.question.clone(),
            location: n
                .entry
                .origin
                .as_ref()
                .map(|o| format!("{}:{}", o.file, o.line_of(n.status.field()))),
            note: n.status.message(),
        })
        .collect()
}

/// Italian names of the reply kinds, in the order the charts stack them.
pub const KINDS: [(&str, &str); 4] = [
    ("answer", "Risposta"),
    ("clarify", "Forse cercavi…"),
    ("decline", "Nessuna risposta"),
    ("small_talk", "Conversazione"),
];
