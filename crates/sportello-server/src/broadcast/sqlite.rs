//! [`SubscriberStore`] on the SQLite store (tables of migration 2).

use super::{Claim, Delivery, Outcome, Progress, Queued, SubscriberStore};
use crate::config::Channel;
use crate::feedback::{FeedbackError, SqliteStore};
use rusqlite::{params, OptionalExtension, TransactionBehavior};

/// After a subscriber's row is deleted: the deleted bytes are already zeroed on their page
/// (`secure_delete`), and the write-ahead log, which still holds the pages as they were, is
/// written back and emptied, so the chat id is nowhere in the files.
fn forget(conn: &rusqlite::Connection) -> Result<(), FeedbackError> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

impl SubscriberStore for SqliteStore {
    fn subscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<bool, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let added = conn.execute(
            "INSERT INTO subscribers (agency, channel, chat_id, since, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (agency, channel, chat_id) DO NOTHING",
            params![agency, channel.as_str(), chat_id, now],
        )?;
        if added == 0 {
            conn.execute(
                "UPDATE subscribers SET seen_at = ?4
                 WHERE agency = ?1 AND channel = ?2 AND chat_id = ?3",
                params![agency, channel.as_str(), chat_id, now],
            )?;
        }
        Ok(added > 0)
    }

    fn seen(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<(), FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        conn.execute(
            "UPDATE subscribers SET seen_at = ?4
             WHERE agency = ?1 AND channel = ?2 AND chat_id = ?3",
            params![agency, channel.as_str(), chat_id, now],
        )?;
        Ok(())
    }

    fn unsubscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
    ) -> Result<bool, FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id: Option<i64> = tx
            .query_row(
                "DELETE FROM subscribers WHERE agency = ?1 AND channel = ?2 AND chat_id = ?3
                 RETURNING id",
                params![agency, channel.as_str(), chat_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            tx.execute("DELETE FROM deliveries WHERE subscriber = ?1", params![id])?;
        }
        tx.commit()?;
        if id.is_some() {
            forget(&conn)?;
        }
        Ok(id.is_some())
    }

    fn subscriber_counts(&self, agency: &str) -> Result<Vec<(String, u64)>, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare(
            "SELECT channel, COUNT(*) FROM subscribers WHERE agency = ?1
             GROUP BY channel ORDER BY channel",
        )?;
        let rows = stmt.query_map(params![agency], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    fn enqueue(
        &self,
        agency: &str,
        notice: &str,
        now: i64,
        resend_uncertain: bool,
    ) -> Result<Queued, FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let interrupted = tx.execute(
            "UPDATE deliveries SET state = 'uncertain', updated_at = ?3
             WHERE agency = ?1 AND notice = ?2 AND state = 'sending'",
            params![agency, notice, now],
        )?;
        let again = if resend_uncertain {
            "('failed', 'retry', 'skipped', 'uncertain')"
        } else {
            "('failed', 'retry', 'skipped')"
        };
        tx.execute(
            &format!(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = 0, updated_at = ?3
                 WHERE agency = ?1 AND notice = ?2 AND state IN {again}"
            ),
            params![agency, notice, now],
        )?;
        let added = tx.execute(
            "INSERT INTO deliveries (agency, notice, subscriber, state, attempts, next_at, updated_at)
             SELECT ?1, ?2, id, 'pending', 0, 0, ?3 FROM subscribers WHERE agency = ?1
             ON CONFLICT (agency, notice, subscriber) DO NOTHING",
            params![agency, notice, now],
        )?;
        tx.commit()?;
        Ok(Queued {
            added: added as u64,
            interrupted: interrupted as u64,
        })
    }

    fn claim(&self, agency: &str, notice: &str, now: i64) -> Result<Claim, FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claimed: Option<(i64, u32)> = tx
            .query_row(
                "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ?3
                 WHERE rowid = COALESCE(
                     (SELECT rowid FROM deliveries
                      WHERE agency = ?1 AND notice = ?2 AND state = 'retry' AND next_at <= ?3
                      ORDER BY next_at, subscriber LIMIT 1),
                     (SELECT rowid FROM deliveries
                      WHERE agency = ?1 AND notice = ?2 AND state = 'pending'
                      ORDER BY next_at, subscriber LIMIT 1))
                 RETURNING subscriber, attempts",
                params![agency, notice, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let claim = match claimed {
            Some((subscriber, attempts)) => {
                let sub: Option<(String, String, i64)> = tx
                    .query_row(
                        "SELECT channel, chat_id, seen_at FROM subscribers WHERE id = ?1",
                        params![subscriber],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                match sub {
                    Some((channel, chat_id, seen_at)) => Claim::Send(Delivery {
                        subscriber,
                        channel,
                        chat_id,
                        attempts,
                        seen_at,
                    }),
                    None => {
                        // Unsubscribed meanwhile: nothing to send to.
                        tx.execute(
                            "DELETE FROM deliveries WHERE subscriber = ?1",
                            params![subscriber],
                        )?;
                        Claim::WaitUntil(now)
                    }
                }
            }
            None => {
                let next: Option<i64> = tx.query_row(
                    "SELECT MIN(next_at) FROM deliveries
                     WHERE agency = ?1 AND notice = ?2 AND state = 'retry'",
                    params![agency, notice],
                    |r| r.get(0),
                )?;
                next.map_or(Claim::Done, Claim::WaitUntil)
            }
        };
        tx.commit()?;
        Ok(claim)
    }

    fn finish(
        &self,
        agency: &str,
        notice: &str,
        subscriber: i64,
        outcome: Outcome,
        now: i64,
    ) -> Result<(), FeedbackError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let next_at = match outcome {
            Outcome::Retry(at) => at,
            _ => 0,
        };
        tx.execute(
            "UPDATE deliveries SET state = ?4, next_at = ?5, updated_at = ?6
             WHERE agency = ?1 AND notice = ?2 AND subscriber = ?3",
            params![agency, notice, subscriber, outcome.state(), next_at, now],
        )?;
        let removed = outcome == Outcome::Removed;
        if removed {
            tx.execute("DELETE FROM subscribers WHERE id = ?1", params![subscriber])?;
            tx.execute(
                "DELETE FROM deliveries WHERE subscriber = ?1 AND NOT (agency = ?2 AND notice = ?3)",
                params![subscriber, agency, notice],
            )?;
        }
        tx.commit()?;
        if removed {
            forget(&conn)?;
        }
        Ok(())
    }

    fn progress(&self, agency: &str, notice: &str) -> Result<Progress, FeedbackError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut stmt = conn.prepare_cached(
            "SELECT state, COUNT(*) FROM deliveries WHERE agency = ?1 AND notice = ?2
             GROUP BY state",
        )?;
        let mut p = Progress::default();
        let rows = stmt.query_map(params![agency, notice], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (state, n) = row?;
            p.add(&state, n as u64);
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_claims_each_delivery_once_and_resumes() {
        let s = SqliteStore::in_memory().unwrap();
        for i in 0..5 {
            assert!(s
                .subscribe("ente", Channel::Telegram, &format!("{i}"), 100)
                .unwrap());
        }
        assert!(!s.subscribe("ente", Channel::Telegram, "0", 200).unwrap());
        s.subscribe("altro", Channel::Telegram, "0", 100).unwrap();
        assert_eq!(
            s.subscriber_counts("ente").unwrap(),
            vec![("telegram".to_string(), 5)]
        );
        assert_eq!(s.enqueue("ente", "n", 1000, false).unwrap().added, 5);
        assert_eq!(s.enqueue("ente", "n", 1000, false).unwrap().added, 0);
        let Claim::Send(a) = s.claim("ente", "n", 1000).unwrap() else {
            panic!()
        };
        assert_eq!((a.chat_id.as_str(), a.attempts, a.seen_at), ("0", 1, 200));
        s.finish("ente", "n", a.subscriber, Outcome::Sent, 1000)
            .unwrap();
        let Claim::Send(b) = s.claim("ente", "n", 1000).unwrap() else {
            panic!()
        };
        s.finish("ente", "n", b.subscriber, Outcome::Retry(1010), 1000)
            .unwrap();
        let Claim::Send(c) = s.claim("ente", "n", 1000).unwrap() else {
            panic!()
        };
        s.finish("ente", "n", c.subscriber, Outcome::Removed, 1000)
            .unwrap();
        // One claimed and never finished: a crash.
        let Claim::Send(_) = s.claim("ente", "n", 1000).unwrap() else {
            panic!()
        };
        let Claim::Send(e) = s.claim("ente", "n", 1000).unwrap() else {
            panic!()
        };
        s.finish("ente", "n", e.subscriber, Outcome::Sent, 1000)
            .unwrap();
        assert_eq!(s.claim("ente", "n", 1000).unwrap(), Claim::WaitUntil(1010));
        let Claim::Send(b2) = s.claim("ente", "n", 1010).unwrap() else {
            panic!()
        };
        assert_eq!((b2.subscriber, b2.attempts), (b.subscriber, 2));
        let p = s.progress("ente", "n").unwrap();
        assert_eq!((p.total, p.sent, p.removed, p.sending), (5, 2, 1, 2));
        // The blocked subscriber is gone.
        assert_eq!(
            s.subscriber_counts("ente").unwrap(),
            vec![("telegram".to_string(), 4)]
        );
        // A new run: what was in flight is uncertain, not sent again.
        let q = s.enqueue("ente", "n", 2000, false).unwrap();
        assert_eq!((q.added, q.interrupted), (0, 2));
        assert_eq!(s.claim("ente", "n", 2000).unwrap(), Claim::Done);
        let p = s.progress("ente", "n").unwrap();
        assert_eq!((p.sent, p.uncertain), (2, 2));
        // Unless asked to resend them.
        s.enqueue("ente", "n", 2000, true).unwrap();
        assert!(matches!(
            s.claim("ente", "n", 2000).unwrap(),
            Claim::Send(_)
        ));
        // Unsubscribing deletes the row and its deliveries.
        assert!(s.unsubscribe("ente", Channel::Telegram, "0").unwrap());
        assert!(!s.unsubscribe("ente", Channel::Telegram, "0").unwrap());
        assert_eq!(s.progress("ente", "n").unwrap().total, 4);
    }
}
