//! Notices broadcast to chat subscribers: citizens subscribe in chat (`/avvisi`, the
//! "Ricevi gli avvisi" button, or the same words on WhatsApp and Messenger) and unsubscribe
//! with `/stop` or "basta avvisi"; `sportello notify` queues one delivery per subscriber in
//! the store and sends them ([`send`]).
//!
//! The store ([`SubscriberStore`], implemented by the SQLite and PostgreSQL stores) keeps:
//! - `subscribers`: agency, channel and the chat's id on that platform (a Telegram chat id,
//!   a WhatsApp phone number, a Messenger PSID), stored only to send notices and deleted on
//!   unsubscribe or when the platform says the bot was blocked. Never logged.
//! - `deliveries`: the queue, one row per (agency, notice, subscriber) — the primary key, so
//!   queueing the same notice again adds only new subscribers. A row moves `pending` →
//!   `sending` (claimed, committed before the request) → `sent` (committed as soon as the
//!   platform accepted it), or `retry` (with the time of the next attempt), `failed`,
//!   `removed` (blocked), `skipped` (a channel that cannot be sent to now).
//!
//! **At most once.** A row is claimed (`sending`) before its request and marked `sent`
//! right after the platform's answer. A process killed in between leaves `sending` rows: the
//! next run cannot know whether the platform got them, so it marks them `uncertain` and does
//! not send them again (no message is ever sent twice); `--resend-uncertain` sends them
//! again, accepting a possible duplicate. At most the concurrent sends (8) are in that
//! window. A stop asked with Ctrl-C or SIGTERM waits for the sends in flight: none is left
//! uncertain.

pub mod notify;
pub mod send;
mod sqlite;

mod pg;

use crate::config::Channel;
use crate::feedback::FeedbackError;

/// Italian texts of the subscription replies.
pub mod text {
    /// The label of the subscription button.
    pub const BUTTON: &str = "🔔 Ricevi gli avvisi";
    pub const UNAVAILABLE: &str =
        "Il servizio avvisi non è attivo su questo canale. Per informazioni scriva la sua domanda.";
    pub const STORE_ERROR: &str =
        "Non è stato possibile registrare la richiesta: riprovi tra qualche minuto, per favore.";
    /// Appended to every notice sent.
    pub fn footer(channel: &str) -> String {
        format!(
            "Per non ricevere più gli avvisi scriva {}.",
            stop_words(channel)
        )
    }
    fn stop_words(channel: &str) -> &'static str {
        if channel == "telegram" {
            "/stop"
        } else {
            "«basta avvisi»"
        }
    }
    fn start_words(channel: &str) -> &'static str {
        if channel == "telegram" {
            "/avvisi"
        } else {
            "«avvisi»"
        }
    }
    pub fn subscribed(channel: &str, agency_name: &str) -> String {
        format!(
            "Fatto: riceverà qui gli avvisi di {agency_name} (chiusure degli uffici, scadenze, emergenze). \
             Per non riceverli più scriva {} in qualsiasi momento: il suo contatto sarà cancellato.",
            stop_words(channel)
        )
    }
    pub fn already(channel: &str) -> String {
        format!(
            "È già iscritto agli avvisi. Per non riceverli più scriva {}.",
            stop_words(channel)
        )
    }
    pub fn unsubscribed(channel: &str) -> String {
        format!(
            "Non riceverà più gli avvisi e il suo contatto è stato cancellato. \
             Per iscriversi di nuovo scriva {}.",
            start_words(channel)
        )
    }
    pub fn not_subscribed(channel: &str) -> String {
        format!(
            "Non risulta iscritto agli avvisi. Per riceverli scriva {}.",
            start_words(channel)
        )
    }
}

/// Button payload (Telegram `callback_data`, Messenger quick reply or postback, WhatsApp
/// reply button) that subscribes.
pub const SUBSCRIBE_PAYLOAD: &str = "avvisi:si";
/// Button payload that unsubscribes.
pub const UNSUBSCRIBE_PAYLOAD: &str = "avvisi:no";

/// A subscription command found in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Subscribe,
    Unsubscribe,
}

/// The command a message or button payload carries, if any. Case, accents of the button's
/// emoji, a bot's `@name` after a Telegram command and final punctuation do not matter.
pub fn command(text: &str) -> Option<Command> {
    match text {
        SUBSCRIBE_PAYLOAD => return Some(Command::Subscribe),
        UNSUBSCRIBE_PAYLOAD => return Some(Command::Unsubscribe),
        _ => {}
    }
    let t = text
        .trim()
        .trim_start_matches(|c: char| !c.is_alphanumeric() && c != '/')
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_lowercase();
    // `/avvisi@ComuneBot`: commands addressed to a bot by name.
    let t = match t.split_once('@') {
        Some((cmd, _)) if cmd.starts_with('/') => cmd.to_string(),
        _ => t,
    };
    let words: Vec<&str> = t.split_whitespace().collect();
    match words.as_slice() {
        ["/avvisi"]
        | ["avvisi"]
        | ["ricevi", "gli", "avvisi"]
        | ["iscrivimi", "agli", "avvisi"] => Some(Command::Subscribe),
        ["/stop"] | ["stop"] | ["basta", "avvisi"] | ["stop", "avvisi"] | ["/stop", "avvisi"] => {
            Some(Command::Unsubscribe)
        }
        _ => None,
    }
}

/// One delivery claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The subscriber's row id (not the chat id).
    pub subscriber: i64,
    pub channel: String,
    /// The chat id on the platform: only for the request, never logged.
    pub chat_id: String,
    /// Attempts including this one.
    pub attempts: u32,
    /// Unix seconds of the subscriber's last subscription message.
    pub seen_at: i64,
}

/// What [`SubscriberStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// A delivery to send now, marked `sending`.
    Send(Delivery),
    /// Nothing to send now; the earliest retry is due at this Unix second.
    WaitUntil(i64),
    /// Nothing left to send.
    Done,
}

/// How a delivery ended (or will be tried again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Tried again at this Unix second.
    Retry(i64),
    /// Given up in this run (tried again by the next run).
    Failed,
    /// The platform says the chat is gone or blocked the bot: the subscriber is deleted.
    Removed,
    /// Not sent on this channel now (tried again by the next run).
    Skipped,
    /// The request left but no answer came (a timeout, a connection cut): the platform may
    /// have delivered it, so it is not sent again (unless `--resend-uncertain`).
    Uncertain,
}

impl Outcome {
    fn state(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Retry(_) => "retry",
            Outcome::Failed => "failed",
            Outcome::Removed => "removed",
            Outcome::Skipped => "skipped",
            Outcome::Uncertain => "uncertain",
        }
    }
}

/// Deliveries of one notice by state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: u64,
    pub sent: u64,
    /// Waiting to be sent (pending, or a retry later).
    pub waiting: u64,
    pub sending: u64,
    pub failed: u64,
    pub removed: u64,
    pub skipped: u64,
    /// Claimed by a run that ended before the platform's answer (see the module docs).
    pub uncertain: u64,
}

impl Progress {
    fn add(&mut self, state: &str, n: u64) {
        self.total += n;
        match state {
            "sent" => self.sent += n,
            "pending" | "retry" => self.waiting += n,
            "sending" => self.sending += n,
            "failed" => self.failed += n,
            "removed" => self.removed += n,
            "skipped" => self.skipped += n,
            _ => self.uncertain += n,
        }
    }
}

/// What queueing a notice did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queued {
    /// Deliveries added (subscribers not yet queued for this notice).
    pub added: u64,
    /// Deliveries left `sending` by a run that stopped abruptly, now `uncertain` (or queued
    /// again with `resend_uncertain`).
    pub interrupted: u64,
}

/// Subscribers and the delivery queue. Every chat id stays in the store.
pub trait SubscriberStore: Send + Sync {
    /// Subscribes a chat; false when it already was (its `seen_at` is renewed).
    fn subscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<bool, FeedbackError>;
    /// Records that a subscribed chat wrote at `now` (Messenger's 24-hour window); nothing
    /// for a chat not subscribed.
    fn seen(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
        now: i64,
    ) -> Result<(), FeedbackError>;
    /// Deletes a chat's subscription and its deliveries; false when it was not subscribed.
    fn unsubscribe(
        &self,
        agency: &str,
        channel: Channel,
        chat_id: &str,
    ) -> Result<bool, FeedbackError>;
    /// Subscribers of an agency per channel, by channel name.
    fn subscriber_counts(&self, agency: &str) -> Result<Vec<(String, u64)>, FeedbackError>;
    /// Queues the notice for every subscriber of the agency not yet queued for it; deliveries
    /// failed, skipped or waiting for a retry in an earlier run are queued again; `sending`
    /// ones left by an interrupted run become `uncertain`, or are queued again when
    /// `resend_uncertain` (then one may reach its chat twice).
    fn enqueue(
        &self,
        agency: &str,
        notice: &str,
        now: i64,
        resend_uncertain: bool,
    ) -> Result<Queued, FeedbackError>;
    /// Claims the next delivery due at `now` (marked `sending`, attempts counted).
    fn claim(&self, agency: &str, notice: &str, now: i64) -> Result<Claim, FeedbackError>;
    /// Records how a claimed delivery went; [`Outcome::Removed`] also deletes the subscriber
    /// (and its other queued deliveries).
    fn finish(
        &self,
        agency: &str,
        notice: &str,
        subscriber: i64,
        outcome: Outcome,
        now: i64,
    ) -> Result<(), FeedbackError>;
    /// Deliveries of a notice by state.
    fn progress(&self, agency: &str, notice: &str) -> Result<Progress, FeedbackError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_in_their_usual_forms() {
        for t in [
            "/avvisi",
            "/avvisi@ComuneDiEsempioBot",
            "Avvisi",
            "🔔 Ricevi gli avvisi",
            "ricevi gli avvisi!",
            SUBSCRIBE_PAYLOAD,
        ] {
            assert_eq!(command(t), Some(Command::Subscribe), "{t}");
        }
        for t in [
            "/stop",
            "/stop@Bot",
            "STOP",
            "Basta avvisi.",
            " basta  avvisi ",
            UNSUBSCRIBE_PAYLOAD,
        ] {
            assert_eq!(command(t), Some(Command::Unsubscribe), "{t}");
        }
        for t in [
            "avvisi sulla tari",
            "basta",
            "come faccio a ricevere gli avvisi del comune?",
            "",
            "/start",
            "stop alla ztl",
        ] {
            assert_eq!(command(t), None, "{t}");
        }
    }
}
