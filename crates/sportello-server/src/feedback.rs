//! The editors' feedback loop: questions Sportello did not answer, answered with "Forse
//! cercavi…", or that got a thumbs-down, stored (redacted) so editors can add phrasings or
//! entries. Storage is behind [`FeedbackStore`]; [`SqliteStore`] is the embedded one.
//! [`FeedbackSink`] takes events off the request path and writes them in batches on a thread.

use rusqlite::{params, Connection};
use serde::Serialize;
use sportello_core::redact::redact;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("database delle segnalazioni {path}: {source} (controllare percorso e permessi)")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database delle segnalazioni: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("URL di PostgreSQL non valido: {source} (forma: postgres://utente:password@host:5432/database)")]
    PgUrl { source: Box<postgres::Error> },
    #[error("impossibile collegarsi a PostgreSQL {target} (controllare host, porta, utente, password e che il server sia avviato)")]
    PgConnect {
        target: String,
        source: postgres::Error,
    },
    #[error("database PostgreSQL delle segnalazioni: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("lo schema del database è alla versione {found}, più recente di quella che questa versione di sportello conosce ({known}): aggiornare sportello alla versione che ha scritto il database, oppure usare un altro database")]
    NewerSchema { found: i64, known: i64 },
    #[error("la variabile d'ambiente {0} (l'URL di PostgreSQL) non è impostata o è vuota")]
    MissingEnv(String),
}

/// Why a question is worth an editor's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// Declined: no answer.
    Unanswered,
    /// Answered with "Forse cercavi…".
    Clarified,
    /// The citizen gave the answer a thumbs-down.
    ThumbsDown,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Unanswered => "unanswered",
            FeedbackKind::Clarified => "clarified",
            FeedbackKind::ThumbsDown => "thumbs_down",
        }
    }
}

/// One stored event. Build it with [`FeedbackEvent::new`], which redacts the question.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackEvent {
    pub agency: String,
    pub channel: &'static str,
    pub kind: FeedbackKind,
    /// The question with personal data replaced by placeholders.
    pub question: String,
    /// Words that identify the question for grouping (stemmed, sorted, no stop words).
    pub group_key: String,
    /// Entries offered (clarify), closest (decline) or rated (thumbs-down), best first.
    pub entry_ids: Vec<String>,
    /// Unix seconds.
    pub at: i64,
}

/// Longest question stored, in characters.
const MAX_QUESTION_CHARS: usize = 500;

impl FeedbackEvent {
    pub fn new(
        agency: &str,
        channel: &'static str,
        kind: FeedbackKind,
        raw_question: &str,
        entry_ids: Vec<String>,
    ) -> FeedbackEvent {
        let cut: String = raw_question.chars().take(MAX_QUESTION_CHARS).collect();
        let question = redact(cut.trim());
        let mut key = group_key(&question);
        if key.is_empty() {
            // A vote without the question (chat buttons): group by the rated entry.
            if let Some(id) = entry_ids.first() {
                key = format!("voce:{id}");
            }
        }
        FeedbackEvent {
            agency: agency.to_string(),
            channel,
            kind,
            group_key: key,
            question,
            entry_ids,
            at: now_unix(),
        }
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Questions differing only in case, accents, stop words, word order or inflection share a key.
pub fn group_key(question: &str) -> String {
    let mut stems: Vec<String> = sportello_core::analysis::words(question)
        .into_iter()
        .filter(|w| !w.stop)
        .map(|w| sportello_core::analysis::light_stem(&w.folded).to_string())
        .collect();
    stems.sort();
    stems.dedup();
    stems.join(" ")
}

/// A group of similar stored questions, for the editors' report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRow {
    pub agency: String,
    pub group_key: String,
    /// The most recent wording in the group.
    pub example: String,
    pub count: u64,
    pub unanswered: u64,
    pub clarified: u64,
    pub thumbs_down: u64,
    /// The entry most often offered or rated in the group, if any.
    pub top_entry: Option<String>,
    /// Unix seconds of the last occurrence.
    pub last_at: i64,
}

/// One reply or vote, counted per day, agency, channel, kind and entry: no text, no user.
/// `kind` is the reply's (`answer`, `clarify`, `decline`, `small_talk`) or `vote_up` /
/// `vote_down`; `entry_id` is the answered or first offered entry, or empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplyCount {
    pub agency: String,
    pub channel: &'static str,
    pub kind: &'static str,
    pub entry_id: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
}

impl ReplyCount {
    pub fn now(agency: &str, channel: &'static str, kind: &'static str, entry_id: &str) -> Self {
        ReplyCount {
            agency: agency.to_string(),
            channel,
            kind,
            entry_id: entry_id.to_string(),
            day: sportello_core::date::day_of_unix(now_unix()),
        }
    }
}

/// Replies of one week (starting on Monday) on one channel, by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekCount {
    /// Days since 1970-01-01 of the week's Monday.
    pub week: i64,
    pub channel: String,
    pub kind: String,
    pub count: u64,
}

/// How one entry fared: replies that gave it, and votes on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryCounts {
    pub agency: String,
    pub entry_id: String,
    pub answered: u64,
    /// Times it was the first choice of a "Forse cercavi…".
    pub clarified: u64,
    pub thumbs_up: u64,
    pub thumbs_down: u64,
}

/// Where feedback events live.
pub trait FeedbackStore: Send + Sync {
    fn record(&self, events: &[FeedbackEvent]) -> Result<(), FeedbackError>;
    /// Adds `n` to each count.
    fn count(&self, counts: &[(ReplyCount, u64)]) -> Result<(), FeedbackError>;
    /// Replies per week, channel and kind, oldest week first.
    fn weekly(&self, agency: Option<&str>) -> Result<Vec<WeekCount>, FeedbackError>;
    /// Replies and votes per entry, most used first.
    fn per_entry(&self, agency: Option<&str>) -> Result<Vec<EntryCounts>, FeedbackError>;
    /// Deletes events older than `unix_seconds`; returns how many.
    fn purge_before(&self, unix_seconds: i64) -> Result<usize, FeedbackError>;
    /// The most frequent groups, optionally for one agency.
    fn report(&self, agency: Option<&str>, limit: usize) -> Result<Vec<ReportRow>, FeedbackError>;
    /// The same store's subscribers and notice queue ([`crate::broadcast`]), if it keeps them.
    fn subscribers(self: Arc<Self>) -> Option<Arc<dyn crate::broadcast::SubscriberStore>> {
        None
    }
}

/// The embedded SQLite store.
pub struct SqliteStore {
    pub(crate) conn: Mutex<Connection>,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, FeedbackError> {
        let conn = Connection::open(path).map_err(|source| FeedbackError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::init(conn)
    }

    pub fn in_memory() -> Result<SqliteStore, FeedbackError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<SqliteStore, FeedbackError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA busy_timeout = 5000;
             PRAGMA secure_delete = ON;",
        )?;
        migrate_sqlite(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version found in the database.
    pub fn schema_version(&self) -> Result<i64, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        Ok(conn.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?)
    }
}

/// The SQLite schema, one migration per version, applied in order at open. Never edit a
/// released migration: add the next one. Version 1 is the schema written before versions were
/// recorded (hence `IF NOT EXISTS`: such a file is taken to version 1 unchanged).
const SQLITE_MIGRATIONS: &[&str] = &[
    // 1: the feedback events and the reply counts.
    "CREATE TABLE IF NOT EXISTS feedback (
         id INTEGER PRIMARY KEY,
         at INTEGER NOT NULL,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         kind TEXT NOT NULL,
         question TEXT NOT NULL,
         group_key TEXT NOT NULL,
         entry_ids TEXT NOT NULL
     );
     CREATE INDEX IF NOT EXISTS feedback_at ON feedback(at);
     CREATE INDEX IF NOT EXISTS feedback_group ON feedback(agency, group_key);
     CREATE TABLE IF NOT EXISTS reply_counts (
         day INTEGER NOT NULL,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         kind TEXT NOT NULL,
         entry_id TEXT NOT NULL,
         n INTEGER NOT NULL,
         PRIMARY KEY (day, agency, channel, kind, entry_id)
     ) WITHOUT ROWID;",
    // 2: notices broadcast to chat subscribers (see `crate::broadcast`).
    "CREATE TABLE subscribers (
         id INTEGER PRIMARY KEY,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         chat_id TEXT NOT NULL,
         since INTEGER NOT NULL,
         seen_at INTEGER NOT NULL,
         UNIQUE (agency, channel, chat_id)
     );
     CREATE TABLE deliveries (
         agency TEXT NOT NULL,
         notice TEXT NOT NULL,
         subscriber INTEGER NOT NULL,
         state TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_at INTEGER NOT NULL DEFAULT 0,
         updated_at INTEGER NOT NULL,
         PRIMARY KEY (agency, notice, subscriber)
     );
     CREATE INDEX deliveries_due ON deliveries (agency, notice, state, next_at);
     CREATE INDEX deliveries_subscriber ON deliveries (subscriber);",
    // 3: the next delivery found from the index alone (pending ones by subscriber, retries
    // by time), so a claim costs the same with 100,000 subscribers.
    "DROP INDEX deliveries_due;
     CREATE INDEX deliveries_next ON deliveries (agency, notice, state, next_at, subscriber);",
];

/// The SQLite schema version this build writes.
pub const SQLITE_SCHEMA_VERSION: i64 = SQLITE_MIGRATIONS.len() as i64;

fn migrate_sqlite(conn: &mut Connection) -> Result<i64, FeedbackError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )?;
    let found: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    if found > SQLITE_SCHEMA_VERSION {
        return Err(FeedbackError::NewerSchema {
            found,
            known: SQLITE_SCHEMA_VERSION,
        });
    }
    for (i, sql) in SQLITE_MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![i as i64 + 1, now_unix()],
        )?;
    }
    tx.commit()?;
    Ok(SQLITE_SCHEMA_VERSION)
}

impl FeedbackStore for SqliteStore {
    fn subscribers(self: Arc<Self>) -> Option<Arc<dyn crate::broadcast::SubscriberStore>> {
        Some(self)
    }

    fn record(&self, events: &[FeedbackEvent]) -> Result<(), FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO feedback (at, agency, channel, kind, question, group_key, entry_ids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for e in events {
                stmt.execute(params![
                    e.at,
                    e.agency,
                    e.channel,
                    e.kind.as_str(),
                    e.question,
                    e.group_key,
                    e.entry_ids.join(" "),
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn count(&self, counts: &[(ReplyCount, u64)]) -> Result<(), FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO reply_counts (day, agency, channel, kind, entry_id, n)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, agency, channel, kind, entry_id) DO UPDATE SET n = n + ?6",
            )?;
            for (c, n) in counts {
                stmt.execute(params![
                    c.day, c.agency, c.channel, c.kind, c.entry_id, *n as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn weekly(&self, agency: Option<&str>) -> Result<Vec<WeekCount>, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        // 1970-01-01 was a Thursday: (day + 3) % 7 days after the week's Monday.
        let mut stmt = conn.prepare(
            "SELECT day - ((day + 3) % 7 + 7) % 7 AS week, channel, kind, SUM(n)
             FROM reply_counts
             WHERE (?1 IS NULL OR agency = ?1) AND kind NOT LIKE 'vote_%'
             GROUP BY week, channel, kind
             ORDER BY week, channel, kind",
        )?;
        let rows = stmt.query_map(params![agency], |r| {
            Ok(WeekCount {
                week: r.get(0)?,
                channel: r.get(1)?,
                kind: r.get(2)?,
                count: r.get::<_, i64>(3)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn per_entry(&self, agency: Option<&str>) -> Result<Vec<EntryCounts>, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(
            "SELECT agency, entry_id,
                    SUM(CASE WHEN kind = 'answer' THEN n ELSE 0 END),
                    SUM(CASE WHEN kind = 'clarify' THEN n ELSE 0 END),
                    SUM(CASE WHEN kind = 'vote_up' THEN n ELSE 0 END),
                    SUM(CASE WHEN kind = 'vote_down' THEN n ELSE 0 END) AS down
             FROM reply_counts
             WHERE (?1 IS NULL OR agency = ?1) AND entry_id != ''
             GROUP BY agency, entry_id
             ORDER BY SUM(n) DESC, down DESC, entry_id",
        )?;
        let rows = stmt.query_map(params![agency], |r| {
            Ok(EntryCounts {
                agency: r.get(0)?,
                entry_id: r.get(1)?,
                answered: r.get::<_, i64>(2)? as u64,
                clarified: r.get::<_, i64>(3)? as u64,
                thumbs_up: r.get::<_, i64>(4)? as u64,
                thumbs_down: r.get::<_, i64>(5)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn purge_before(&self, unix_seconds: i64) -> Result<usize, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let events = conn.execute("DELETE FROM feedback WHERE at < ?1", params![unix_seconds])?;
        let day = sportello_core::date::day_of_unix(unix_seconds);
        conn.execute("DELETE FROM reply_counts WHERE day < ?1", params![day])?;
        Ok(events)
    }

    fn report(&self, agency: Option<&str>, limit: usize) -> Result<Vec<ReportRow>, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(
            "SELECT agency, group_key, COUNT(*) AS n,
                    SUM(kind = 'unanswered'), SUM(kind = 'clarified'), SUM(kind = 'thumbs_down'),
                    MAX(at),
                    (SELECT question FROM feedback f2 WHERE f2.agency = f.agency
                        AND f2.group_key = f.group_key ORDER BY at DESC, id DESC LIMIT 1),
                    (SELECT entry_ids FROM feedback f3 WHERE f3.agency = f.agency
                        AND f3.group_key = f.group_key AND entry_ids != ''
                        GROUP BY entry_ids ORDER BY COUNT(*) DESC LIMIT 1)
             FROM feedback f
             WHERE ?1 IS NULL OR agency = ?1
             GROUP BY agency, group_key
             ORDER BY n DESC, MAX(at) DESC
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![agency, limit as i64], |r| {
            let ids: Option<String> = r.get(8)?;
            Ok(ReportRow {
                agency: r.get(0)?,
                group_key: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
                unanswered: r.get::<_, i64>(3)? as u64,
                clarified: r.get::<_, i64>(4)? as u64,
                thumbs_down: r.get::<_, i64>(5)? as u64,
                last_at: r.get(6)?,
                example: r.get(7)?,
                top_entry: ids.and_then(|s| s.split(' ').next().map(str::to_string)),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

/// What the writer thread stores.
enum Item {
    Event(FeedbackEvent),
    Count(ReplyCount),
}

/// Takes events off the request path: a bounded queue drained by one writer thread that
/// stores them in batches and applies the retention. When the queue is full, events are
/// dropped (and counted) rather than slowing replies down.
pub struct FeedbackSink {
    tx: Mutex<Option<SyncSender<Item>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
    dropped: std::sync::atomic::AtomicU64,
    /// Events stored per agency and per day at most (0: no cap).
    daily_cap: u64,
    /// Per agency: (day, events taken that day, events refused by the cap since start).
    quota: Mutex<std::collections::HashMap<String, (i64, u64, u64)>>,
}

impl FeedbackSink {
    /// A sink writing to `store`, deleting events older than `retention_days` (0: keep all).
    pub fn new(store: Arc<dyn FeedbackStore>, retention_days: u32) -> FeedbackSink {
        let (tx, rx) = sync_channel(10_000);
        let worker = std::thread::Builder::new()
            .name("sportello-feedback".into())
            .spawn(move || writer(rx, store, retention_days))
            .expect("spawning the feedback writer thread");
        FeedbackSink {
            tx: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
            dropped: Default::default(),
            daily_cap: 0,
            quota: Default::default(),
        }
    }

    /// A sink that stores nothing.
    pub fn disabled() -> FeedbackSink {
        FeedbackSink {
            tx: Mutex::new(None),
            worker: Mutex::new(None),
            dropped: Default::default(),
            daily_cap: 0,
            quota: Default::default(),
        }
    }

    /// Stores at most `per_day` events per agency and per day (UTC); 0: no cap.
    pub fn with_daily_cap(mut self, per_day: u32) -> FeedbackSink {
        self.daily_cap = u64::from(per_day);
        self
    }

    /// Whether the agency's quota for today has room, taking one place if so.
    fn take_quota(&self, agency: &str, at: i64) -> bool {
        if self.daily_cap == 0 {
            return true;
        }
        let day = at.div_euclid(86_400);
        let mut q = self.quota.lock().unwrap_or_else(|e| e.into_inner());
        // Agencies are few (configured); the map never holds more than one day each.
        let slot = q.entry(agency.to_string()).or_insert((day, 0, 0));
        if slot.0 != day {
            *slot = (day, 0, slot.2);
        }
        if slot.1 < self.daily_cap {
            slot.1 += 1;
            true
        } else {
            slot.2 += 1;
            false
        }
    }

    /// Events not stored because their agency's daily cap was reached, by agency.
    pub fn capped(&self) -> Vec<(String, u64)> {
        let q = self.quota.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<_> = q.iter().map(|(a, s)| (a.clone(), s.2)).collect();
        v.sort();
        v
    }

    pub fn submit(&self, event: FeedbackEvent) {
        if self.tx.lock().unwrap_or_else(|e| e.into_inner()).is_none() {
            return;
        }
        if !self.take_quota(&event.agency, event.at) {
            return;
        }
        self.send(Item::Event(event));
    }

    /// Counts a reply or a vote (not capped: a count carries no text and takes one row per
    /// day, channel, kind and entry).
    pub fn count(&self, count: ReplyCount) {
        self.send(Item::Count(count));
    }

    fn send(&self, item: Item) {
        let guard = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = guard.as_ref() {
            if let Err(TrySendError::Full(_)) = tx.try_send(item) {
                self.dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    /// False when the writer thread has ended while the sink is open (it failed); true for a
    /// disabled or closed sink, which has nothing left to write.
    pub fn is_running(&self) -> bool {
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let worker = self.worker.lock().unwrap_or_else(|e| e.into_inner());
        match worker.as_ref() {
            Some(w) => tx.is_some() && !w.is_finished(),
            None => tx.is_none(),
        }
    }

    /// Events dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops accepting events and waits until the queued ones are written.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(w) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = w.join();
        }
    }
}

impl Drop for FeedbackSink {
    fn drop(&mut self) {
        self.close();
    }
}

fn writer(rx: Receiver<Item>, store: Arc<dyn FeedbackStore>, retention_days: u32) {
    let purge = |store: &dyn FeedbackStore| {
        if retention_days > 0 {
            let cutoff = now_unix() - i64::from(retention_days) * 86_400;
            match store.purge_before(cutoff) {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "feedback retention applied"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "feedback retention failed"),
            }
        }
    };
    purge(&*store);
    let mut last_purge = Instant::now();
    loop {
        let first = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(e) => Some(e),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        if let Some(first) = first {
            write_batch(&*store, first, &rx);
        }
        if last_purge.elapsed() > Duration::from_secs(3600) {
            purge(&*store);
            last_purge = Instant::now();
        }
    }
}

/// Items written per batch at most.
const MAX_BATCH: usize = 4096;

/// Stores `first` and what else is queued (up to [`MAX_BATCH`] items): events as rows, counts
/// summed. Each batch is one or two commits, so a larger batch keeps up with a busier server
/// (a commit to PostgreSQL shared by replicas can take milliseconds).
fn write_batch(store: &dyn FeedbackStore, first: Item, rx: &Receiver<Item>) {
    let mut events = Vec::new();
    let mut counts: std::collections::HashMap<ReplyCount, u64> = Default::default();
    let mut item = Some(first);
    let mut taken = 0;
    while let Some(it) = item.take() {
        match it {
            Item::Event(e) => events.push(e),
            Item::Count(c) => *counts.entry(c).or_default() += 1,
        }
        taken += 1;
        if taken < MAX_BATCH {
            item = rx.try_recv().ok();
        }
    }
    if !events.is_empty() {
        if let Err(e) = store.record(&events) {
            tracing::warn!(error = %e, events = events.len(), "feedback not stored");
        }
    }
    if !counts.is_empty() {
        let counts: Vec<_> = counts.into_iter().collect();
        if let Err(e) = store.count(&counts) {
            tracing::warn!(error = %e, counts = counts.len(), "reply counts not stored");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_redacted_and_groups() {
        let store = SqliteStore::in_memory().unwrap();
        let ev = |q: &str, kind| FeedbackEvent::new("ente", "api", kind, q, vec!["a".into()]);
        store
            .record(&[
                ev("Orari della piscina comunale?", FeedbackKind::Unanswered),
                ev("piscina comunale orari", FeedbackKind::Unanswered),
                ev("il mio cf è RSSMRA85T10A562S", FeedbackKind::Clarified),
            ])
            .unwrap();
        let rows = store.report(None, 10).unwrap();
        assert_eq!(rows[0].count, 2, "{rows:?}");
        assert_eq!(rows[0].unanswered, 2);
        assert_eq!(rows[0].top_entry.as_deref(), Some("a"));
        assert!(rows.iter().all(|r| !r.example.contains("RSSMRA85T10A562S")));
        assert_eq!(store.purge_before(i64::MAX).unwrap(), 3);
        assert!(store.report(Some("ente"), 10).unwrap().is_empty());
    }

    #[test]
    fn counts_replies_per_week_and_entry() {
        let store = SqliteStore::in_memory().unwrap();
        let thu = sportello_core::date::parse("2026-12-03").unwrap();
        let c = |day, channel, kind, entry: &str| ReplyCount {
            agency: "ente".into(),
            channel,
            kind,
            entry_id: entry.into(),
            day,
        };
        store
            .count(&[
                (c(thu, "api", "answer", "cie"), 3),
                (c(thu - 3, "api", "answer", "cie"), 2), // Monday, same week
                (c(thu - 4, "api", "answer", "tari"), 1), // Sunday, the week before
                (c(thu, "telegram", "decline", ""), 4),
                (c(thu, "api", "vote_down", "cie"), 1),
                (c(thu, "api", "vote_up", "cie"), 2),
            ])
            .unwrap();
        // Adding again sums.
        store.count(&[(c(thu, "api", "answer", "cie"), 1)]).unwrap();
        let weeks = store.weekly(None).unwrap();
        let monday = thu - 3;
        assert_eq!(
            weeks
                .iter()
                .map(|w| (w.week, w.channel.as_str(), w.kind.as_str(), w.count))
                .collect::<Vec<_>>(),
            vec![
                (monday - 7, "api", "answer", 1),
                (monday, "api", "answer", 6),
                (monday, "telegram", "decline", 4),
            ]
        );
        let entries = store.per_entry(Some("ente")).unwrap();
        assert_eq!(entries[0].entry_id, "cie");
        assert_eq!(
            (
                entries[0].answered,
                entries[0].thumbs_up,
                entries[0].thumbs_down
            ),
            (6, 2, 1)
        );
        assert_eq!(
            entries.len(),
            2,
            "the empty entry id of declines is left out"
        );
        assert!(store.per_entry(Some("altro")).unwrap().is_empty());
        store.purge_before((thu - 1) * 86_400).unwrap();
        assert_eq!(store.weekly(None).unwrap().len(), 2);
    }

    #[test]
    fn sqlite_schema_versioned_and_newer_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        // A file written before versions were recorded is taken to version 1, data kept.
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SQLITE_MIGRATIONS[0]).unwrap();
            conn.execute(
                "INSERT INTO feedback (at, agency, channel, kind, question, group_key, entry_ids)
                 VALUES (1, 'ente', 'api', 'unanswered', 'piscina', 'piscin', '')",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SQLITE_SCHEMA_VERSION);
        assert_eq!(store.report(None, 10).unwrap().len(), 1);
        drop(store);
        // Opening again applies nothing.
        assert_eq!(
            SqliteStore::open(&path).unwrap().schema_version().unwrap(),
            SQLITE_SCHEMA_VERSION
        );
        Connection::open(&path)
            .unwrap()
            .execute("INSERT INTO schema_version VALUES (99, 0)", [])
            .unwrap();
        let err = SqliteStore::open(&path)
            .err()
            .expect("newer schema refused");
        assert!(
            err.to_string().contains("versione 99, più recente"),
            "{err}"
        );
    }

    #[test]
    fn sink_counts_through_the_writer() {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let sink = FeedbackSink::new(store.clone(), 0).with_daily_cap(1);
        for _ in 0..5 {
            sink.count(ReplyCount::now("ente", "api", "answer", "cie"));
        }
        sink.close();
        let entries = store.per_entry(None).unwrap();
        assert_eq!(entries[0].answered, 5, "counts are not capped");
    }
}
