//! Notices (avvisi), the stage after the decision: which of the KB's time-limited notices go
//! before a reply. A notice is shown while the caller's moment is inside its `from` / `until`
//! window, when it is global or concerns an entry the reply offers (by id, or by one of the
//! entry's tags among its topics); urgent ones first. The engine reads no clock: with no
//! moment given, only notices without a window are shown.

use crate::context::{Date, Timestamp};
use crate::kb::{Entry, Notice};
use crate::render::Rendered;
use crate::reply::ShownNotice;

/// Most notices shown before one reply.
pub const MAX_SHOWN: usize = 3;

/// A `from` or `until` that is not a moment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("«{0}» non è una data (AAAA-MM-GG) né una data con ora (AAAA-MM-GGTHH:MM, ora italiana)")]
pub struct MomentError(pub String);

/// Reads `YYYY-MM-DD` (midnight, or the end of the day when `end_of_day`) or
/// `YYYY-MM-DD[T| ]HH:MM[:SS]` (Italian time, or UTC with `Z`, or with a `±HH:MM` offset).
pub fn parse_moment(text: &str, end_of_day: bool) -> Result<Timestamp, MomentError> {
    let bad = || MomentError(text.to_string());
    let s = text.trim();
    let date = parse_date(s.get(..10).ok_or_else(bad)?).ok_or_else(bad)?;
    let rest = &s[10..];
    if rest.is_empty() {
        let seconds = if end_of_day { 86_400 - 1 } else { 0 };
        return Ok(Timestamp::from_italy_local(date, seconds));
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(bad)?
        .trim_start();
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let seconds = parse_clock(clock).ok_or_else(bad)?;
    match zone {
        None => Ok(Timestamp::from_italy_local(date, seconds)),
        Some(zone) => {
            let offset = parse_offset(zone).ok_or_else(bad)?;
            let utc = date.days_since_epoch() * 86_400 + seconds - offset;
            Ok(Timestamp::from_unix_seconds(utc))
        }
    }
}

fn number(s: &str, digits: usize) -> Option<u32> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let date = Date {
        year: i32::try_from(number(y, 4)?).ok()?,
        month: u8::try_from(number(m, 2)?).ok()?,
        day: u8::try_from(number(d, 2)?).ok()?,
    };
    // A real day: it survives the round trip through day numbers.
    ((1..=12).contains(&date.month)
        && date.day >= 1
        && Date::from_days(date.days_since_epoch()) == date)
        .then_some(date)
}

/// `HH:MM` or `HH:MM:SS` (fractions of a second ignored) as seconds after midnight.
fn parse_clock(s: &str) -> Option<i64> {
    let s = s.split('.').next()?;
    let mut parts = s.split(':');
    let h = number(parts.next()?, 2)?;
    let m = number(parts.next()?, 2)?;
    let sec = match parts.next() {
        Some(p) => number(p, 2)?,
        None => 0,
    };
    (parts.next().is_none() && h < 24 && m < 60 && sec < 60)
        .then(|| i64::from(h * 3_600 + m * 60 + sec))
}

/// `Z` or `±HH:MM` as seconds east of Greenwich.
fn parse_offset(s: &str) -> Option<i64> {
    if s.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, m) = s[1..].split_once(':')?;
    let (h, m) = (number(h, 2)?, number(m, 2)?);
    (h < 24 && m < 60).then(|| sign * i64::from(h * 3_600 + m * 60))
}

/// A notice's window as moments: (first, last), each `None` when open.
pub fn window(n: &Notice) -> Result<(Option<Timestamp>, Option<Timestamp>), MomentError> {
    let from = n
        .from
        .as_deref()
        .map(|s| parse_moment(s, false))
        .transpose()?;
    let until = n
        .until
        .as_deref()
        .map(|s| parse_moment(s, true))
        .transpose()?;
    Ok((from, until))
}

/// True when the notice is shown at `now`: inside its window (a notice whose dates cannot be
/// read is never shown; `check` reports it).
pub fn is_active_at(n: &Notice, now: Timestamp) -> bool {
    match window(n) {
        Ok((from, until)) => from.is_none_or(|f| f <= now) && until.is_none_or(|u| now <= u),
        Err(_) => false,
    }
}

/// One notice as the engine keeps it: its window read, the entries it concerns found.
#[derive(Debug, Clone)]
struct Prepared {
    shown: ShownNotice,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
    global: bool,
    /// Indices of the entries it concerns, sorted.
    entries: Vec<u32>,
}

/// The KB's notices, ready to be picked for replies.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    prepared: Vec<Prepared>,
}

impl Notices {
    /// Prepares `notices` (rendered in the same order) against the KB's entries; notices
    /// whose dates cannot be read are left out.
    pub fn new(notices: &[Notice], rendered: &[Rendered], entries: &[Entry]) -> Notices {
        let mut prepared = Vec::new();
        for (n, r) in notices.iter().zip(rendered) {
            let Ok((from, until)) = window(n) else {
                continue;
            };
            let topics: Vec<String> = n.topics.iter().map(|t| t.to_lowercase()).collect();
            let concerned = entries
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    n.entries.contains(&e.id)
                        || e.tags.iter().any(|t| topics.contains(&t.to_lowercase()))
                })
                .map(|(i, _)| i as u32)
                .collect();
            prepared.push(Prepared {
                shown: ShownNotice {
                    id: n.id.clone(),
                    title: n.title.clone(),
                    html: r.html.clone(),
                    text: r.text.clone(),
                    priority: n.priority,
                    until: n.until.clone(),
                },
                from,
                until,
                global: n.is_global(),
                entries: concerned,
            });
        }
        // Urgent first, then the most recent, then by id: the order replies show them in.
        // An insertion sort: a KB has a few notices, and the browser's wasm stays smaller
        // than with another instance of the standard library's sort.
        let before = |a: &Prepared, b: &Prepared| {
            (b.shown.priority, b.from, &a.shown.id) < (a.shown.priority, a.from, &b.shown.id)
        };
        for i in 1..prepared.len() {
            let mut j = i;
            while j > 0 && before(&prepared[j], &prepared[j - 1]) {
                prepared.swap(j, j - 1);
                j -= 1;
            }
        }
        Notices { prepared }
    }

    /// True when the KB has no notice.
    pub fn is_empty(&self) -> bool {
        self.prepared.is_empty()
    }

    /// The notices to show before a reply offering `entries` (none for a decline: then
    /// only global ones), at `now`.
    pub fn for_reply(&self, entries: &[u32], now: Option<Timestamp>) -> Vec<ShownNotice> {
        self.prepared
            .iter()
            .filter(|p| match now {
                Some(now) => p.from.is_none_or(|f| f <= now) && p.until.is_none_or(|u| now <= u),
                None => p.from.is_none() && p.until.is_none(),
            })
            .filter(|p| p.global || entries.iter().any(|e| p.entries.binary_search(e).is_ok()))
            .take(MAX_SHOWN)
            .map(|p| p.shown.clone())
            .collect()
    }
}

/// Renders each notice (safe HTML, plain text for chats: the title, then the text).
#[cfg(feature = "markdown")]
pub fn render(notices: &[Notice]) -> Vec<Rendered> {
    notices
        .iter()
        .map(|n| Rendered {
            html: crate::render::markdown_to_html(&n.text),
            text: format!(
                "{}\n{}",
                n.title.trim(),
                crate::render::markdown_to_text(&n.text)
            ),
        })
        .collect()
}

/// Without the Markdown renderer (the wasm build, whose bundles carry notices rendered):
/// the text escaped, as one paragraph.
#[cfg(not(feature = "markdown"))]
pub fn render(notices: &[Notice]) -> Vec<Rendered> {
    notices
        .iter()
        .map(|n| {
            let escaped = n
                .text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            Rendered {
                html: format!("<p>{escaped}</p>"),
                text: format!("{}\n{}", n.title.trim(), n.text.trim()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Priority;

    fn at(s: &str) -> i64 {
        parse_moment(s, false).unwrap().unix_seconds()
    }

    #[test]
    fn moments_in_italian_time_utc_and_offsets() {
        let day = Date {
            year: 2026,
            month: 12,
            day: 4,
        }
        .days_since_epoch()
            * 86_400;
        assert_eq!(at("2026-12-04"), day - 3_600);
        assert_eq!(
            parse_moment("2026-12-04", true).unwrap().unix_seconds(),
            day + 86_400 - 3_600 - 1
        );
        assert_eq!(at("2026-12-04T08:30"), day + 7 * 3_600 + 1_800);
        assert_eq!(at("2026-12-04 08:30:15"), day + 7 * 3_600 + 1_815);
        assert_eq!(at("2026-12-04T08:30Z"), day + 8 * 3_600 + 1_800);
        assert_eq!(at("2026-12-04T08:30:00+02:00"), day + 6 * 3_600 + 1_800);
        for bad in [
            "",
            "domani",
            "2026-13-01",
            "2026-02-30",
            "2026-12-04T25:00",
            "2026-12-04T08",
            "2026-12-04X08:00",
            "2026-12-04T08:00+2",
            "2026-1-04",
            "२०२६-12-04",
        ] {
            assert!(parse_moment(bad, false).is_err(), "{bad:?} accepted");
        }
    }

    fn notice(id: &str, from: Option<&str>, until: Option<&str>) -> Notice {
        Notice {
            id: id.into(),
            title: id.into(),
            text: "Testo.".into(),
            from: from.map(Into::into),
            until: until.map(Into::into),
            ..Notice::default()
        }
    }

    #[test]
    fn picks_valid_notices_for_the_entries_offered() {
        let entries = vec![
            Entry {
                id: "cie".into(),
                tags: vec!["Documenti".into()],
                ..Entry::default()
            },
            Entry {
                id: "tari".into(),
                ..Entry::default()
            },
        ];
        let mut by_topic = notice("sciopero", Some("2026-12-01"), Some("2026-12-05"));
        by_topic.topics = vec!["documenti".into()];
        let mut by_id = notice("scadenza", None, Some("2026-12-31T12:00"));
        by_id.entries = vec!["tari".into()];
        let mut global = notice("neve", Some("2026-12-04T06:00"), None);
        global.priority = Priority::High;
        let broken = notice("rotto", Some("presto"), None);
        let all = [by_topic, by_id, global, broken];
        let rendered = vec![Rendered::default(); all.len()];
        let n = Notices::new(&all, &rendered, &entries);
        let ids = |entries: &[u32], now: &str| -> Vec<String> {
            n.for_reply(entries, Some(parse_moment(now, false).unwrap()))
                .into_iter()
                .map(|s| s.id)
                .collect()
        };
        assert_eq!(ids(&[0], "2026-12-04T10:00"), ["neve", "sciopero"]);
        assert_eq!(ids(&[0], "2026-12-04T05:00"), ["sciopero"]);
        assert_eq!(ids(&[1], "2026-12-04T05:00"), ["scadenza"]);
        assert_eq!(ids(&[], "2026-12-04T10:00"), ["neve"]);
        // The last day is shown to its end; the day after, no more.
        assert_eq!(ids(&[0], "2026-12-05T23:59"), ["neve", "sciopero"]);
        assert_eq!(ids(&[0], "2026-12-06T00:00"), ["neve"]);
        assert!(n.for_reply(&[0, 1], None).is_empty());
        // Same priority: the most recent first.
        assert_eq!(ids(&[0, 1], "2026-12-04T05:00"), ["sciopero", "scadenza"]);
    }
}
