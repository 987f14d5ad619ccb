//! [`SubscriberStore`] on PostgreSQL (tables of migration 2), for replicas sharing a database.
//! Claims take `FOR UPDATE SKIP LOCKED`, so two senders never claim the same delivery.

use super::{Claim, Delivery, Outcome, Progress, Queued, SubscriberStore};
use crate::config::Channel;
use crate::feedback::FeedbackError;
use crate::pg::PgStore;

impl SubscriberStore for PgStore {
    fn subscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<bool, FeedbackError> {
        self.with_client(|c| {
            // `xmax = 0` tells an inserted row from an updated one.
            let row = c.query_one(
                "INSERT INTO subscribers (agency, channel, chat_id, since, seen_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (agency, channel, chat_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
                 RETURNING (xmax = 0)",
                &[&agency, &channel.as_str(), &chat_id, &now],
            )?;
            Ok(row.get(0))
        })
    }

    fn seen(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<(), FeedbackError> {
        self.with_client(|c| {
            c.execute(
                "UPDATE subscribers SET seen_at = $4
                 WHERE agency = $1 AND channel = $2 AND chat_id = $3",
                &[&agency, &channel.as_str(), &chat_id, &now],
            )?;
            Ok(())
        })
    }

    fn unsubscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
    ) -> Result<bool, FeedbackError> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let id: Option<i64> = tx
                .query_opt(
                    "DELETE FROM subscribers WHERE agency = $1 AND channel = $2 AND chat_id = $3
                     RETURNING id",
                    &[&agency, &channel.as_str(), &chat_id],
                )?
                .map(|r| r.get(0));
            if let Some(id) = id {
                tx.execute("DELETE FROM deliveries WHERE subscriber = $1", &[&id])?;
            }
            tx.commit()?;
            Ok(id.is_some())
        })
    }

    fn subscriber_counts(&self, agency: &str) -> Result<Vec<(String, u64)>, FeedbackError> {
        self.with_client(|c| {
            Ok(c.query(
                "SELECT channel, COUNT(*) FROM subscribers WHERE agency = $1
                 GROUP BY channel ORDER BY channel",
                &[&agency],
            )?
            .iter()
            .map(|r| (r.get(0), r.get::<_, i64>(1).max(0) as u64))
            .collect())
        })
    }

    fn enqueue(
        &self,
        agency: &str,
        notice: &str,
        now: i64,
        resend_uncertain: bool,
    ) -> Result<Queued, FeedbackError> {
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            let interrupted = tx.execute(
                "UPDATE deliveries SET state = 'uncertain', updated_at = $3
                 WHERE agency = $1 AND notice = $2 AND state = 'sending'",
                &[&agency, &notice, &now],
            )?;
            let mut again = vec!["failed", "retry", "skipped"];
            if resend_uncertain {
                again.push("uncertain");
            }
            tx.execute(
                "UPDATE deliveries SET state = 'pending', attempts = 0, next_at = 0, updated_at = $3
                 WHERE agency = $1 AND notice = $2 AND state = ANY($4)",
                &[&agency, &notice, &now, &again],
            )?;
            let added = tx.execute(
                "INSERT INTO deliveries (agency, notice, subscriber, state, attempts, next_at, updated_at)
                 SELECT $1, $2, id, 'pending', 0, 0, $3 FROM subscribers WHERE agency = $1
                 ON CONFLICT (agency, notice, subscriber) DO NOTHING",
                &[&agency, &notice, &now],
            )?;
            tx.commit()?;
            Ok(Queued {
                added,
                interrupted,
            })
        })
    }

    fn claim(&self, agency: &str, notice: &str, now: i64) -> Result<Claim, FeedbackError> {
        self.with_client(|c| {
            // Retries due first, then pending deliveries (each found from the index).
            let mut row = None;
            for state in ["retry", "pending"] {
                row = c.query_opt(
                    "UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, updated_at = $3
                     FROM (SELECT subscriber FROM deliveries
                           WHERE agency = $1 AND notice = $2 AND state = $4 AND next_at <= $3
                           ORDER BY next_at, subscriber LIMIT 1
                           FOR UPDATE SKIP LOCKED) next,
                          subscribers s
                     WHERE d.agency = $1 AND d.notice = $2 AND d.subscriber = next.subscriber
                       AND s.id = d.subscriber
                     RETURNING d.subscriber, d.attempts, s.channel, s.chat_id, s.seen_at",
                    &[&agency, &notice, &now, &state],
                )?;
                if row.is_some() {
                    break;
                }
            }
            if let Some(r) = row {
                return Ok(Claim::Send(Delivery {
                    subscriber: r.get(0),
                    attempts: r.get::<_, i32>(1).max(0) as u32,
                    channel: r.get(2),
                    chat_id: r.get(3),
                    seen_at: r.get(4),
                }));
            }
            // Due deliveries whose subscriber is gone (unsubscribed meanwhile) would block
            // the claim above: delete them.
            let orphans = c.execute(
                "DELETE FROM deliveries d WHERE agency = $1 AND notice = $2
                   AND state IN ('pending', 'retry')
                   AND NOT EXISTS (SELECT 1 FROM subscribers s WHERE s.id = d.subscriber)",
                &[&agency, &notice],
            )?;
            if orphans > 0 {
                return Ok(Claim::WaitUntil(now));
            }
            let next: Option<i64> = c
                .query_one(
                    "SELECT MIN(next_at) FROM deliveries
                     WHERE agency = $1 AND notice = $2 AND state IN ('pending', 'retry')",
                    &[&agency, &notice],
                )?
                .get(0);
            Ok(next.map_or(Claim::Done, |at| Claim::WaitUntil(at.max(now))))
        })
    }

    fn finish(
        &self,
        agency: &str,
        notice: &str,
        subscriber: i64,
        outcome: Outcome,
        now: i64,
    ) -> Result<(), FeedbackError> {
        let next_at = match outcome {
            Outcome::Retry(at) => at,
            _ => 0,
        };
        self.with_client(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "UPDATE deliveries SET state = $4, next_at = $5, updated_at = $6
                 WHERE agency = $1 AND notice = $2 AND subscriber = $3",
                &[
                    &agency,
                    &notice,
                    &subscriber,
                    &outcome.state(),
                    &next_at,
                    &now,
                ],
            )?;
            if outcome == Outcome::Removed {
                tx.execute("DELETE FROM subscribers WHERE id = $1", &[&subscriber])?;
                tx.execute(
                    "DELETE FROM deliveries
                     WHERE subscriber = $1 AND NOT (agency = $2 AND notice = $3)",
                    &[&subscriber, &agency, &notice],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn progress(&self, agency: &str, notice: &str) -> Result<Progress, FeedbackError> {
        self.with_client(|c| {
            let mut p = Progress::default();
            for r in c.query(
                "SELECT state, COUNT(*) FROM deliveries WHERE agency = $1 AND notice = $2
                 GROUP BY state",
                &[&agency, &notice],
            )? {
                p.add(r.get(0), r.get::<_, i64>(1).max(0) as u64);
            }
            Ok(p)
        })
    }
}
