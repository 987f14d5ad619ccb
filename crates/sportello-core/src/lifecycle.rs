//! The life of an entry: when it was last reviewed and when it is valid (`valid_from`,
//! `valid_until`, both included). The engine leaves out entries outside their window; `check`
//! warns with file and line, and the editors' report lists them. No clock: the caller passes
//! today's date (a day number, see [`crate::date`]).

use crate::diag::Diagnostic;
use crate::kb::{Entry, KnowledgeBase};

/// An answer is due for review when its `reviewed` date is this many months old.
pub const DEFAULT_REVIEW_MONTHS: u32 = 12;

/// An entry whose `valid_until` is this close is listed as expiring.
pub const EXPIRING_DAYS: i64 = 30;

/// Why an entry needs an editor's look (dates are day numbers, see [`crate::date`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not answered yet: `valid_from` is later.
    NotYetValid { from: i64 },
    /// Not answered any more: `valid_until` has passed.
    Expired { until: i64 },
    /// Answered, but `valid_until` is within [`EXPIRING_DAYS`].
    Expiring { until: i64 },
    /// `reviewed` is older than the configured age.
    Stale { reviewed: i64, due: i64 },
}

impl Status {
    /// The field the status is about (for the diagnostic's line).
    pub fn field(&self) -> &'static str {
        match self {
            Status::NotYetValid { .. } => "valid_from",
            Status::Expired { .. } | Status::Expiring { .. } => "valid_until",
            Status::Stale { .. } => "reviewed",
        }
    }

    /// What an editor reads, in Italian.
    pub fn message(&self) -> String {
        use crate::date::italian;
        match *self {
            Status::NotYetValid { from } => {
                format!(
                    "la voce non è ancora valida: sarà usata dal {}",
                    italian(from)
                )
            }
            Status::Expired { until } => format!(
                "la voce è scaduta il {}: non viene più usata per rispondere",
                italian(until)
            ),
            Status::Expiring { until } => format!("la voce scade il {}", italian(until)),
            Status::Stale { reviewed, .. } => format!(
                "la risposta è stata ricontrollata l'ultima volta il {}",
                italian(reviewed)
            ),
        }
    }
}

/// Whether the entry may be answered on `today`: inside its validity window (an entry
/// without dates always is).
pub fn is_valid_on(entry: &Entry, today: i64) -> bool {
    let day = |d: &Option<String>| d.as_deref().and_then(crate::date::parse);
    day(&entry.valid_from).is_none_or(|from| from <= today)
        && day(&entry.valid_until).is_none_or(|until| today <= until)
}

/// One entry that needs a look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flagged<'k> {
    pub entry: &'k Entry,
    pub status: Status,
}

/// What an entry needs on `today`, the most pressing first (validity, then review).
pub fn status(entry: &Entry, today: i64, review_months: u32) -> Option<Status> {
    let day = |d: &Option<String>| d.as_deref().and_then(crate::date::parse);
    if let Some(from) = day(&entry.valid_from).filter(|&f| today < f) {
        return Some(Status::NotYetValid { from });
    }
    if let Some(until) = day(&entry.valid_until) {
        if until < today {
            return Some(Status::Expired { until });
        }
        if until - today <= EXPIRING_DAYS {
            return Some(Status::Expiring { until });
        }
    }
    let reviewed = day(&entry.reviewed)?;
    let due = crate::date::add_months(reviewed, review_months);
    (due <= today).then_some(Status::Stale { reviewed, due })
}

/// Every entry of `kb` that needs a look on `today`, in KB order.
pub fn flagged(kb: &KnowledgeBase, today: i64, review_months: u32) -> Vec<Flagged<'_>> {
    kb.entries
        .iter()
        .filter_map(|e| status(e, today, review_months).map(|status| Flagged { entry: e, status }))
        .collect()
}

/// `check`'s warnings: one per entry that needs a look, at the line of the field concerned.
pub fn diagnostics(kb: &KnowledgeBase, today: i64, review_months: u32) -> Vec<Diagnostic> {
    let mut diags: Vec<Diagnostic> = flagged(kb, today, review_months)
        .into_iter()
        .map(|n| {
            let field = n.status.field();
            let (file, line) = n.entry.origin.as_ref().map_or_else(
                || (n.entry.id.clone(), None),
                |o| (o.file.clone(), Some(o.line_of(field))),
            );
            let hint = match n.status {
                Status::Stale { .. } => format!(
                    "ricontrolla la risposta (norme, costi, orari, link) e aggiorna «reviewed» alla data di oggi; il controllo scatta dopo {review_months} mesi"
                ),
                Status::Expired { .. } => {
                    "se la voce vale ancora sposta «valid_until», altrimenti eliminala".to_string()
                }
                Status::Expiring { .. } => {
                    "se la scadenza è prorogata aggiorna «valid_until»".to_string()
                }
                Status::NotYetValid { .. } => {
                    "nessuna azione: la voce sarà usata da quel giorno".to_string()
                }
            };
            Diagnostic::warning(file, line, format!("{}: {}", n.entry.id, n.status.message()))
                .field(field)
                .hint(hint)
        })
        .collect();
    diags.extend(expired_notices(kb, today));
    diags
}

/// A warning for each notice whose `until` is before `today` (it is no longer shown).
fn expired_notices(kb: &KnowledgeBase, today: i64) -> Vec<Diagnostic> {
    let midnight =
        crate::context::Timestamp::from_italy_local(crate::context::Date::from_days(today), 0);
    kb.notices
        .iter()
        .filter(|n| matches!(crate::notices::window(n), Ok((_, Some(until))) if until < midnight))
        .map(|n| {
            let (file, line) = n.origin.as_ref().map_or_else(
                || (n.id.clone(), None),
                |o| (o.file.clone(), Some(o.line_of("until"))),
            );
            Diagnostic::warning(
                file,
                line,
                format!(
                    "avviso {}: scaduto il {}, non viene più mostrato",
                    n.id,
                    n.until.as_deref().unwrap_or_default()
                ),
            )
            .field("until")
            .hint("se vale ancora sposta «until», altrimenti elimina il file")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::parse;

    #[test]
    fn stale_after_the_configured_months() {
        let entry = |reviewed: Option<&str>| Entry {
            id: "x".into(),
            reviewed: reviewed.map(str::to_string),
            ..Entry::default()
        };
        let today = parse("2026-12-03").unwrap();
        assert_eq!(status(&entry(None), today, 12), None);
        assert_eq!(status(&entry(Some("2026-01-10")), today, 12), None);
        assert_eq!(
            status(&entry(Some("2025-12-03")), today, 12),
            Some(Status::Stale {
                reviewed: parse("2025-12-03").unwrap(),
                due: today
            })
        );
        assert!(status(&entry(Some("2026-06-01")), today, 6).is_some());
        assert!(status(&entry(Some("2026-06-04")), today, 6).is_none());
    }

    #[test]
    fn validity_window_includes_both_days() {
        let entry = |from: Option<&str>, until: Option<&str>| Entry {
            valid_from: from.map(str::to_string),
            valid_until: until.map(str::to_string),
            ..Entry::default()
        };
        let d = |s| parse(s).unwrap();
        let e = entry(Some("2026-12-01"), Some("2026-12-31"));
        assert!(!is_valid_on(&e, d("2026-11-30")));
        assert!(is_valid_on(&e, d("2026-12-01")));
        assert!(is_valid_on(&e, d("2026-12-31")));
        assert!(!is_valid_on(&e, d("2027-01-01")));
        assert!(is_valid_on(&entry(None, None), d("2026-12-31")));
        assert_eq!(
            status(&e, d("2027-01-01"), 12),
            Some(Status::Expired {
                until: d("2026-12-31")
            })
        );
        assert_eq!(
            status(&e, d("2026-12-02"), 12),
            Some(Status::Expiring {
                until: d("2026-12-31")
            })
        );
        assert_eq!(
            status(&e, d("2026-11-02"), 12),
            Some(Status::NotYetValid {
                from: d("2026-12-01")
            })
        );
        assert!(status(&entry(None, Some("2027-06-30")), d("2026-12-02"), 12).is_none());
    }
}
