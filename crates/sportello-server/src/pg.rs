//! The PostgreSQL backend (`[store] backend = "postgres"`), for several `sportello serve`
//! replicas sharing one database: [`PgStore`], the editors' feedback store (the same tables
//! and reports as [`crate::feedback::SqliteStore`]), and [`PgDedup`], delivery
//! de-duplication on a table whose primary key is the delivery id.
//!
//! No TLS to the database: it is meant to be reached on loopback, a unix socket or a private
//! network (`host=/var/run/postgresql` works too). The URL's password is never logged:
//! [`describe`] names the target without it.

use crate::feedback::{
    EntryCounts, FeedbackError, FeedbackEvent, FeedbackStore, ReplyCount, ReportRow, WeekCount,
};
use postgres::NoTls;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The schema, one migration per version, applied in order at open. Never edit a released
/// migration: add the next one.
const MIGRATIONS: &[&str] = &[
    // 1: the feedback events, the reply counts and the delivery ids.
    "CREATE TABLE feedback (
         id BIGSERIAL PRIMARY KEY,
         at BIGINT NOT NULL,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         kind TEXT NOT NULL,
         question TEXT NOT NULL,
         group_key TEXT NOT NULL,
         entry_ids TEXT NOT NULL
     );
     CREATE INDEX feedback_at ON feedback (at);
     CREATE INDEX feedback_group ON feedback (agency, group_key);
     CREATE TABLE reply_counts (
         day BIGINT NOT NULL,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         kind TEXT NOT NULL,
         entry_id TEXT NOT NULL,
         n BIGINT NOT NULL,
         PRIMARY KEY (day, agency, channel, kind, entry_id)
     );
     CREATE TABLE dedup (
         key TEXT PRIMARY KEY,
         expires_at BIGINT NOT NULL
     );
     CREATE INDEX dedup_expires ON dedup (expires_at);",
    // 2: notices broadcast to chat subscribers (see `crate::broadcast`).
    "CREATE TABLE subscribers (
         id BIGSERIAL PRIMARY KEY,
         agency TEXT NOT NULL,
         channel TEXT NOT NULL,
         chat_id TEXT NOT NULL,
         since BIGINT NOT NULL,
         seen_at BIGINT NOT NULL,
         UNIQUE (agency, channel, chat_id)
     );
     CREATE TABLE deliveries (
         agency TEXT NOT NULL,
         notice TEXT NOT NULL,
         subscriber BIGINT NOT NULL,
         state TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_at BIGINT NOT NULL DEFAULT 0,
         updated_at BIGINT NOT NULL,
         PRIMARY KEY (agency, notice, subscriber)
     );
     CREATE INDEX deliveries_due ON deliveries (agency, notice, state, next_at);
     CREATE INDEX deliveries_subscriber ON deliveries (subscriber);",
    // 3: the next delivery found from the index alone (pending ones by subscriber, retries
    // by time), so a claim costs the same with 100,000 subscribers.
    "DROP INDEX deliveries_due;
     CREATE INDEX deliveries_next ON deliveries (agency, notice, state, next_at, subscriber);",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Any constant: migrations of replicas starting together are serialised on it.
const MIGRATION_LOCK: i64 = 0x5350_4f52_5445_4c4c; // "SPORTELL"

/// `user@host:port/dbname` of a PostgreSQL URL or key=value string, without the password.
pub fn describe(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(s) => s.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(",");
            let port = c
                .get_ports()
                .first()
                .map(|p| format!(":{p}"))
                .unwrap_or_default();
            format!(
                "{}@{}{}/{}",
                c.get_user().unwrap_or("?"),
                if host.is_empty() { "localhost" } else { &host },
                port,
                c.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "(URL non leggibile)".to_string(),
    }
}

/// Parses a URL (`postgres://user:password@host/db`) or key=value string.
pub fn parse_url(url: &str) -> Result<tokio_postgres::Config, FeedbackError> {
    url.parse::<tokio_postgres::Config>()
        .map_err(|source| FeedbackError::PgUrl {
            source: Box::new(source),
        })
}

/// Runs `f` on a thread of its own when called from inside a tokio runtime, where the sync
/// client (which blocks on a runtime of its own) would panic.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(f).join().expect("PostgreSQL call panicked"))
    } else {
        f()
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The editors' store on PostgreSQL. One connection, reopened when it breaks (the store is
/// written by one thread and read by the report).
pub struct PgStore {
    config: postgres::Config,
    target: String,
    client: Mutex<Option<postgres::Client>>,
}

impl PgStore {
    /// Connects and brings the schema up to date (refusing a newer one).
    pub fn open(url: &str) -> Result<PgStore, FeedbackError> {
        let config: postgres::Config = parse_url(url)?.into();
        let store = PgStore {
            target: describe(url),
            config,
            client: Mutex::new(None),
        };
        store.with_client(|c| migrate(c).map(|_| ()))?;
        Ok(store)
    }

    /// The schema version found in the database.
    pub fn schema_version(&self) -> Result<i64, FeedbackError> {
        self.with_client(|c| current_version(&mut c.transaction()?))
    }

    pub(crate) fn with_client<T: Send>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, FeedbackError> + Send,
    ) -> Result<T, FeedbackError> {
        off_runtime(|| {
            let mut guard = self.client.lock().unwrap_or_else(|e| e.into_inner());
            if guard.as_ref().is_none_or(|c| c.is_closed()) {
                *guard = None;
                let c = self
                    .config
                    .connect(NoTls)
                    .map_err(|source| FeedbackError::PgConnect {
                        target: self.target.clone(),
                        source,
                    })?;
                *guard = Some(c);
            }
            f(guard.as_mut().expect("connected above"))
        })
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // The sync client blocks on its own runtime when closing, which panics inside another.
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(c) = client {
            off_runtime(move || drop(c));
        }
    }
}

fn current_version(tx: &mut postgres::Transaction<'_>) -> Result<i64, FeedbackError> {
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version BIGINT PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )?;
    Ok(tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?
        .get(0))
}

/// Applies the missing migrations in one transaction; returns the version reached.
fn migrate(client: &mut postgres::Client) -> Result<i64, FeedbackError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let found = current_version(&mut tx)?;
    if found > SCHEMA_VERSION {
        return Err(FeedbackError::NewerSchema {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = i as i64 + 1;
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[&version, &now_unix()],
        )?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    tx.commit()?;
    Ok(SCHEMA_VERSION)
}

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

impl FeedbackStore for PgStore {
    fn subscribers(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn crate::broadcast::SubscriberStore>> {
        Some(self)
    }

    /// One statement per batch (arrays unnested), so a burst does not fill the writer's queue.
    fn record(&self, events: &[FeedbackEvent]) -> Result<(), FeedbackError> {
        if events.is_empty() {
            return Ok(());
        }
        let at: Vec<i64> = events.iter().map(|e| e.at).collect();
        let agency: Vec<&str> = events.iter().map(|e| e.agency.as_str()).collect();
        let channel: Vec<&str> = events.iter().map(|e| e.channel).collect();
        let kind: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let question: Vec<&str> = events.iter().map(|e| e.question.as_str()).collect();
        let group_key: Vec<&str> = events.iter().map(|e| e.group_key.as_str()).collect();
        let entry_ids: Vec<String> = events.iter().map(|e| e.entry_ids.join(" ")).collect();
        self.with_client(|c| {
            c.execute(
                "INSERT INTO feedback (at, agency, channel, kind, question, group_key, entry_ids)
                 SELECT at, agency, channel, kind, question, group_key, entry_ids
                 FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[],
                             $6::TEXT[], $7::TEXT[]) WITH ORDINALITY
                      AS t (at, agency, channel, kind, question, group_key, entry_ids, i)
                 ORDER BY i",
                &[
                    &at, &agency, &channel, &kind, &question, &group_key, &entry_ids,
                ],
            )?;
            Ok(())
        })
    }

    /// One statement per batch; the same count twice in `counts` is summed first (an upsert
    /// cannot touch a row twice).
    fn count(&self, counts: &[(ReplyCount, u64)]) -> Result<(), FeedbackError> {
        let mut summed: std::collections::HashMap<&ReplyCount, i64> = Default::default();
        for (rc, n) in counts {
            *summed.entry(rc).or_default() += *n as i64;
        }
        if summed.is_empty() {
            return Ok(());
        }
        let (mut day, mut agency, mut channel, mut kind, mut entry, mut n) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (rc, k) in summed {
            day.push(rc.day);
            agency.push(rc.agency.as_str());
            channel.push(rc.channel);
            kind.push(rc.kind);
            entry.push(rc.entry_id.as_str());
            n.push(k);
        }
        self.with_client(|c| {
            c.execute(
                "INSERT INTO reply_counts (day, agency, channel, kind, entry_id, n)
                 SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[],
                                      $5::TEXT[], $6::BIGINT[])
                 ON CONFLICT (day, agency, channel, kind, entry_id)
                 DO UPDATE SET n = reply_counts.n + EXCLUDED.n",
                &[&day, &agency, &channel, &kind, &entry, &n],
            )?;
            Ok(())
        })
    }

    fn weekly(&self, agency: Option<&str>) -> Result<Vec<WeekCount>, FeedbackError> {
        self.with_client(|c| {
            // 1970-01-01 was a Thursday: (day + 3) % 7 days after the week's Monday.
            let rows = c.query(
                "SELECT day - ((day + 3) % 7 + 7) % 7 AS week, channel, kind, SUM(n)::BIGINT
                 FROM reply_counts
                 WHERE ($1::TEXT IS NULL OR agency = $1) AND kind NOT LIKE 'vote\\_%'
                 GROUP BY week, channel, kind
                 ORDER BY week, channel, kind",
                &[&agency],
            )?;
            Ok(rows
                .iter()
                .map(|r| WeekCount {
                    week: r.get(0),
                    channel: r.get(1),
                    kind: r.get(2),
                    count: u(r.get(3)),
                })
                .collect())
        })
    }

    fn per_entry(&self, agency: Option<&str>) -> Result<Vec<EntryCounts>, FeedbackError> {
        self.with_client(|c| {
            let rows = c.query(
                "SELECT agency, entry_id,
                        SUM(CASE WHEN kind = 'answer' THEN n ELSE 0 END)::BIGINT,
                        SUM(CASE WHEN kind = 'clarify' THEN n ELSE 0 END)::BIGINT,
                        SUM(CASE WHEN kind = 'vote_up' THEN n ELSE 0 END)::BIGINT,
                        SUM(CASE WHEN kind = 'vote_down' THEN n ELSE 0 END)::BIGINT AS down
                 FROM reply_counts
                 WHERE ($1::TEXT IS NULL OR agency = $1) AND entry_id <> ''
                 GROUP BY agency, entry_id
                 ORDER BY SUM(n) DESC, down DESC, entry_id",
                &[&agency],
            )?;
            Ok(rows
                .iter()
                .map(|r| EntryCounts {
                    agency: r.get(0),
                    entry_id: r.get(1),
                    answered: u(r.get(2)),
                    clarified: u(r.get(3)),
                    thumbs_up: u(r.get(4)),
                    thumbs_down: u(r.get(5)),
                })
                .collect())
        })
    }

    fn purge_before(&self, unix_seconds: i64) -> Result<usize, FeedbackError> {
        self.with_client(|c| {
            let events = c.execute("DELETE FROM feedback WHERE at < $1", &[&unix_seconds])?;
            let day = sportello_core::date::day_of_unix(unix_seconds);
            c.execute("DELETE FROM reply_counts WHERE day < $1", &[&day])?;
            c.execute("DELETE FROM dedup WHERE expires_at < $1", &[&now_unix()])?;
            Ok(events as usize)
        })
    }

    fn report(&self, agency: Option<&str>, limit: usize) -> Result<Vec<ReportRow>, FeedbackError> {
        self.with_client(|c| {
            let rows = c.query(
                "SELECT agency, group_key, COUNT(*) AS n,
                        SUM((kind = 'unanswered')::INT)::BIGINT,
                        SUM((kind = 'clarified')::INT)::BIGINT,
                        SUM((kind = 'thumbs_down')::INT)::BIGINT,
                        MAX(at),
                        (SELECT question FROM feedback f2 WHERE f2.agency = f.agency
                            AND f2.group_key = f.group_key ORDER BY at DESC, id DESC LIMIT 1),
                        (SELECT entry_ids FROM feedback f3 WHERE f3.agency = f.agency
                            AND f3.group_key = f.group_key AND entry_ids <> ''
                            GROUP BY entry_ids ORDER BY COUNT(*) DESC LIMIT 1)
                 FROM feedback f
                 WHERE $1::TEXT IS NULL OR agency = $1
                 GROUP BY agency, group_key
                 ORDER BY n DESC, MAX(at) DESC
                 LIMIT $2",
                &[&agency, &(limit.min(i64::MAX as usize) as i64)],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    let ids: Option<String> = r.get(8);
                    ReportRow {
                        agency: r.get(0),
                        group_key: r.get(1),
                        count: u(r.get(2)),
                        unanswered: u(r.get(3)),
                        clarified: u(r.get(4)),
                        thumbs_down: u(r.get(5)),
                        last_at: r.get(6),
                        example: r.get(7),
                        top_entry: ids.and_then(|s| s.split(' ').next().map(str::to_string)),
                    }
                })
                .collect())
        })
    }
}

/// Delivery de-duplication shared by replicas: `INSERT … ON CONFLICT` on the delivery id
/// tells the first time atomically (an expired row counts as absent and is taken over);
/// expired rows are deleted about once a minute. One async connection, pipelined, reopened
/// when it breaks. When the database cannot be reached the replica falls back to its own
/// memory (a redelivery to the other replica may then be answered twice, rather than a
/// first delivery never).
pub struct PgDedup {
    config: tokio_postgres::Config,
    target: String,
    ttl: Duration,
    conn: tokio::sync::Mutex<
        Option<(
            std::sync::Arc<tokio_postgres::Client>,
            tokio_postgres::Statement,
        )>,
    >,
    last_purge: Mutex<Instant>,
    fallback: crate::dedup::MemoryDedup,
}

const FIRST_TIME_SQL: &str = "INSERT INTO dedup (key, expires_at) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
     WHERE dedup.expires_at < $3
     RETURNING 1";

impl PgDedup {
    /// No connection is made here (the store's open has checked the database and schema);
    /// the first delivery connects.
    pub fn new(url: &str, ttl: Duration) -> Result<PgDedup, FeedbackError> {
        Ok(PgDedup {
            config: parse_url(url)?,
            target: describe(url),
            ttl,
            conn: Default::default(),
            last_purge: Mutex::new(Instant::now()),
            fallback: crate::dedup::MemoryDedup::new(ttl, 200_000),
        })
    }

    async fn connection(
        &self,
    ) -> Result<
        (
            std::sync::Arc<tokio_postgres::Client>,
            tokio_postgres::Statement,
        ),
        tokio_postgres::Error,
    > {
        let mut guard = self.conn.lock().await;
        if let Some((c, s)) = guard.as_ref() {
            if !c.is_closed() {
                return Ok((c.clone(), s.clone()));
            }
        }
        *guard = None;
        let (client, connection) = self.config.connect(tokio_postgres::NoTls).await?;
        let target = self.target.clone();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(target = target.as_str(), error = %e, "PostgreSQL de-duplication connection closed");
            }
        });
        let stmt = client.prepare(FIRST_TIME_SQL).await?;
        let client = std::sync::Arc::new(client);
        *guard = Some((client.clone(), stmt.clone()));
        Ok((client, stmt))
    }

    async fn try_first_time(&self, key: &str) -> Result<bool, tokio_postgres::Error> {
        let (client, stmt) = self.connection().await?;
        let now = now_unix();
        let expires = now + self.ttl.as_secs().min(i64::MAX as u64) as i64;
        let first = client
            .query_opt(&stmt, &[&key, &expires, &now])
            .await?
            .is_some();
        let purge = {
            let mut last = self.last_purge.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() > Duration::from_secs(60) {
                *last = Instant::now();
                true
            } else {
                false
            }
        };
        if purge {
            tokio::spawn(async move {
                if let Err(e) = client
                    .execute("DELETE FROM dedup WHERE expires_at < $1", &[&now])
                    .await
                {
                    tracing::warn!(error = %e, "expired delivery ids not deleted");
                }
            });
        }
        Ok(first)
    }

    /// Records `key`; true the first time any replica sees it (within the time limit).
    pub async fn first_time(&self, key: &str) -> bool {
        match tokio::time::timeout(Duration::from_secs(3), self.try_first_time(key)).await {
            Ok(Ok(first)) => first,
            failed => {
                let error = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timeout".to_string(),
                };
                tracing::warn!(
                    target = self.target.as_str(),
                    error,
                    "PostgreSQL unreachable for de-duplication; this replica's memory is used"
                );
                self.fallback.first_time(key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_database_falls_back_to_memory() {
        // Nothing listens on port 1: the replica still answers each delivery once.
        let d = PgDedup::new(
            "postgres://sportello:x@127.0.0.1:1/sportello",
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(d.first_time("whatsapp:wamid.1").await);
        assert!(!d.first_time("whatsapp:wamid.1").await);
        assert!(d.first_time("whatsapp:wamid.2").await);
    }

    #[test]
    fn describe_hides_the_password() {
        let d = describe("postgres://sportello:s3greta@db.example:5433/sportello");
        assert_eq!(d, "sportello@db.example:5433/sportello");
        let d = describe("host=/var/run/postgresql user=sportello password=s3greta dbname=x");
        assert!(!d.contains("s3greta"), "{d}");
    }
}
