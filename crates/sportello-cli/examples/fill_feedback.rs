//! Fills a feedback database with demonstration data, for the report's browser test and the
//! editors' guide: questions of a question set asked to the real engine over the last weeks,
//! on several channels, with votes. Deterministic (a fixed pseudo-random sequence).
//!
//!     cargo run -p sportello-cli --example fill_feedback -- DB KB QUERIES.jsonl... [--events N] [--weeks W]

use sportello_core::{DeclineReason, Engine, Reply};
use sportello_server::feedback::{
    FeedbackEvent, FeedbackKind, FeedbackStore, ReplyCount, SqliteStore,
};
use std::path::PathBuf;

/// A small linear congruential generator: the same data on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((self.0 >> 33) % n as u64) as usize
    }
}

const CHANNELS: [&str; 4] = ["widget", "widget", "telegram", "whatsapp"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut take = |flag: &str, default: usize| -> Result<usize, Box<dyn std::error::Error>> {
        match args.iter().position(|a| a == flag) {
            Some(i) if i + 1 < args.len() => {
                let v = args.remove(i + 1).parse()?;
                args.remove(i);
                Ok(v)
            }
            Some(_) => Err(format!("{flag} needs a number").into()),
            None => Ok(default),
        }
    };
    let events = take("--events", 400)?;
    let weeks = take("--weeks", 10)?;
    if args.len() < 3 {
        return Err("usage: fill_feedback DB KB QUERIES.jsonl... [--events N] [--weeks W]".into());
    }
    let store = SqliteStore::open(&PathBuf::from(&args[0]))?;
    let loaded = sportello_core::load::load_path(PathBuf::from(&args[1]))?;
    let agency = loaded.kb.agency.id.clone();
    let engine = Engine::new(loaded.kb)?;
    let mut questions = Vec::new();
    for file in &args[2..] {
        for line in std::fs::read_to_string(file)?.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(q) = v["query"].as_str() {
                    questions.push(q.to_string());
                }
            }
        }
    }
    if questions.is_empty() {
        return Err("no questions in the question sets".into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let span = (weeks.max(1) * 7 * 86_400) as i64;
    let mut rng = Lcg(2016);
    let (mut rows, mut counts) = (Vec::new(), Vec::new());
    for i in 0..events {
        // More questions in recent weeks: the position grows like a square root.
        let frac = ((i as f64 + 0.5) / events as f64).sqrt();
        let at = now - span + (span as f64 * frac) as i64 - rng.below(86_400) as i64;
        let day = sportello_core::date::day_of_unix(at);
        let mut q = questions[rng.below(questions.len())].clone();
        if rng.below(12) == 0 {
            // Citizens type personal data: the store must only ever hold it redacted.
            q.push_str(" il mio numero è 333 123 4567, codice fiscale RSSMRA85T10A562S");
        }
        let channel = CHANNELS[rng.below(CHANNELS.len())];
        let reply = engine.ask(&q);
        let ids: Vec<String> = match &reply {
            Reply::Decline { candidates, .. } => candidates.iter().map(|c| c.id.clone()).collect(),
            other => other.entry_ids().iter().map(|s| s.to_string()).collect(),
        };
        let first = reply
            .entry_ids()
            .first()
            .map_or(String::new(), |s| s.to_string());
        let count = |kind, entry: &str| ReplyCount {
            agency: agency.clone(),
            channel,
            kind,
            entry_id: entry.to_string(),
            day,
        };
        counts.push((count(reply.kind(), &first), 1));
        let kind = match &reply {
            Reply::Decline {
                reason: DeclineReason::Empty,
                ..
            } => None,
            Reply::Decline { .. } => Some(FeedbackKind::Unanswered),
            Reply::Clarify { .. } => Some(FeedbackKind::Clarified),
            Reply::Answer { .. } if rng.below(3) == 0 => {
                let up = rng.below(5) != 0;
                counts.push((count(if up { "vote_up" } else { "vote_down" }, &first), 1));
                (!up).then_some(FeedbackKind::ThumbsDown)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            let mut ev = FeedbackEvent::new(&agency, channel, kind, &q, ids);
            ev.at = at;
            rows.push(ev);
        }
    }
    store.record(&rows)?;
    store.count(&counts)?;
    println!(
        "{} events, {} stored questions, agency {agency}",
        events,
        rows.len()
    );
    Ok(())
}
