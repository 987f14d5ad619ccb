//! Sending a queued notice: one coordinator (the caller's thread) claims deliveries from the
//! store one at a time and starts each request on a small tokio runtime, paced so that
//! Telegram's limits hold (about 30 messages per second to different chats, one per second
//! to the same chat). Answers come back on a channel and are written to the store at once.
//!
//! - Pacing: at most `per_second` request starts in any second (evenly spaced, and a sliding
//!   window as a second bound) and at most `concurrency` requests in flight.
//! - 429: every send pauses for the `retry_after` the platform gives (Telegram's
//!   `parameters.retry_after`, or a `Retry-After` header), then the delivery is tried again.
//! - 5xx and network errors: tried again after 1, 2, 4, 8… seconds (never sooner than one
//!   second, so the per-chat limit holds), up to `max_attempts`, then `failed` (tried again by
//!   the next run).
//! - A request sent that got no answer (a timeout, a cut connection) may have been
//!   delivered: marked `uncertain`, not sent again (see the module above: at most once).
//! - 403 (Telegram: "Forbidden: bot was blocked by the user", a deactivated user), or a chat
//!   that does not exist: the subscriber is deleted.

use super::{Claim, Delivery, Outcome, Progress, SubscriberStore};
use crate::feedback::FeedbackError;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Telegram's limit for messages to different chats, per second.
pub const TELEGRAM_MAX_PER_SECOND: u32 = 30;

/// A sending failure that stops the run (delivery failures do not: they are recorded).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Store(#[from] FeedbackError),
    #[error("impossibile avviare il client HTTP: {0}")]
    Runtime(#[from] std::io::Error),
}

/// The notice as sent: plain text (chats get no HTML from notices).
#[derive(Debug, Clone)]
pub struct Message {
    pub notice_id: String,
    pub title: String,
    /// The notice's text as plain text (Markdown rendered for chats).
    pub text: String,
}

/// The Telegram Bot API of the agency's bot.
#[derive(Clone)]
pub struct TelegramTarget {
    pub base_url: String,
    pub bot_token: String,
}

/// WhatsApp Cloud API: an approved template (outside the 24-hour window WhatsApp only
/// delivers templates), its body with two variables: {{1}} the title, {{2}} the text.
#[derive(Clone)]
pub struct WhatsappTarget {
    pub graph_base_url: String,
    pub access_token: String,
    pub phone_number_id: String,
    pub template: String,
    pub language: String,
}

/// Messenger: a standard message, allowed only within 24 hours of the person's last message
/// (Meta's rule); subscribers who wrote earlier are skipped.
#[derive(Clone)]
pub struct MessengerTarget {
    pub graph_base_url: String,
    pub access_token: String,
}

/// Where each channel's deliveries go; a channel without a target is skipped.
#[derive(Clone, Default)]
pub struct Targets {
    pub telegram: Option<TelegramTarget>,
    pub whatsapp: Option<WhatsappTarget>,
    pub messenger: Option<MessengerTarget>,
}

// Tokens never appear in Debug output.
impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Targets")
            .field("telegram", &self.telegram.is_some())
            .field("whatsapp", &self.whatsapp.is_some())
            .field("messenger", &self.messenger.is_some())
            .finish()
    }
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Request starts per second at most (Telegram allows about 30; the default keeps a margin).
    pub per_second: u32,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Attempts per delivery in one run.
    pub max_attempts: u32,
    /// The first retry's delay; doubled at each attempt (at least one second).
    pub backoff: Duration,
    /// Send again the deliveries an interrupted run left uncertain (a duplicate is possible).
    pub resend_uncertain: bool,
    /// How often the progress callback runs.
    pub progress_every: Duration,
    /// Ctrl-C and SIGTERM stop the run gracefully (sends in flight are waited for).
    pub stop_on_signals: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            per_second: 25,
            concurrency: 8,
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            resend_uncertain: false,
            progress_every: Duration::from_secs(1),
            stop_on_signals: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub queued: super::Queued,
    /// The notice's deliveries at the end, by state.
    pub progress: Progress,
    /// Deliveries sent by this run.
    pub sent_now: u64,
    /// The run stopped because it was asked to (the rest stays queued).
    pub interrupted: bool,
}

/// What one request gave.
#[derive(Debug)]
enum Attempt {
    Accepted,
    /// 429: wait this long before any further send.
    TooMany(Duration),
    /// 5xx, or no connection could be made: worth trying again.
    Transient,
    /// Sent, but no answer came (timeout, connection cut): may have been delivered.
    Unknown,
    /// The chat blocked the bot or does not exist.
    Gone,
    /// Refused for another reason: not tried again in this run.
    Rejected,
}

fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The text of a notice on a chat: title, text, how to stop.
pub fn chat_text(message: &Message, channel: &str, max_chars: usize) -> String {
    let footer = super::text::footer(channel);
    let body = format!("{}\n\n{}", message.title.trim(), message.text.trim());
    let room = max_chars.saturating_sub(footer.chars().count() + 2);
    format!("{}\n\n{footer}", crate::chat::truncate(body.trim(), room))
}

/// Text for a WhatsApp template variable: no new lines or tabs, no more than four spaces in a
/// row (the Cloud API refuses them), and at most `max` characters.
fn template_param(s: &str, max: usize) -> String {
    let one_line = s
        .split(['\n', '\t', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let squeezed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::chat::truncate(&squeezed, max)
}

/// The request for one delivery: (URL, bearer token, JSON body); None for a channel this run
/// cannot send to.
fn request(
    targets: &Targets,
    message: &Message,
    d: &Delivery,
    now_ms: i64,
) -> Option<(String, Option<String>, Value)> {
    match d.channel.as_str() {
        "telegram" => {
            let t = targets.telegram.as_ref()?;
            // Telegram chat ids are integers; sent as such.
            let chat: Value = d
                .chat_id
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(d.chat_id.clone()));
            Some((
                format!("{}/bot{}/sendMessage", t.base_url, t.bot_token),
                None,
                json!({
                    "chat_id": chat,
                    "text": chat_text(message, "telegram", 4096),
                    "link_preview_options": {"is_disabled": true},
                }),
            ))
        }
        "whatsapp" => {
            let w = targets.whatsapp.as_ref()?;
            Some((
                format!("{}/{}/messages", w.graph_base_url, w.phone_number_id),
                Some(w.access_token.clone()),
                json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": d.chat_id,
                    "type": "template",
                    "template": {
                        "name": w.template,
                        "language": {"code": w.language},
                        "components": [{"type": "body", "parameters": [
                            {"type": "text", "text": template_param(&message.title, 60)},
                            {"type": "text", "text": template_param(&message.text, 900)},
                        ]}],
                    },
                }),
            ))
        }
        "messenger" => {
            let m = targets.messenger.as_ref()?;
            // Meta's standard messaging window: 24 hours from the person's last message.
            if now_ms / 1000 - d.seen_at > 24 * 3600 {
                return None;
            }
            Some((
                format!("{}/me/messages", m.graph_base_url),
                Some(m.access_token.clone()),
                json!({
                    "recipient": {"id": d.chat_id},
                    "messaging_type": "UPDATE",
                    "message": {"text": chat_text(message, "messenger", 2000)},
                }),
            ))
        }
        _ => None,
    }
}

/// Reads a platform's answer.
fn classify(status: u16, retry_after_header: Option<u64>, body: &Value) -> Attempt {
    let description = body
        .get("description")
        .or_else(|| body.pointer("/error/message"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    match status {
        200..=299 => Attempt::Accepted,
        429 => {
            let secs = body
                .pointer("/parameters/retry_after")
                .and_then(Value::as_u64)
                .or(retry_after_header)
                .unwrap_or(1)
                .clamp(1, 3600);
            Attempt::TooMany(Duration::from_secs(secs))
        }
        // Telegram: "Forbidden: bot was blocked by the user", "user is deactivated", "bot
        // can't initiate conversation with a user".
        403 => Attempt::Gone,
        400 if description.contains("chat not found") || description.contains("user not found") => {
            Attempt::Gone
        }
        // Graph API: 131026 undeliverable (not a WhatsApp number), 551 person unavailable.
        400 if matches!(
            body.pointer("/error/code").and_then(Value::as_i64),
            Some(131026) | Some(551)
        ) =>
        {
            Attempt::Gone
        }
        500..=599 => Attempt::Transient,
        _ => Attempt::Rejected,
    }
}

async fn attempt(
    http: &reqwest::Client,
    url: String,
    token: Option<String>,
    body: Value,
) -> Attempt {
    let mut req = http.post(&url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            classify(status, retry_after, &body)
        }
        // The request never left: safe to try again.
        Err(e) if e.is_connect() => Attempt::Transient,
        // It may have reached the platform: not sent again (at most once).
        Err(_) => Attempt::Unknown,
    }
}

/// Queues `message` for every subscriber of `agency` and sends what is not yet sent, calling
/// `progress` about once per `progress_every`. Stops early (the rest stays queued, nothing
/// left uncertain) when `stop` becomes true.
pub fn run(
    store: &dyn SubscriberStore,
    agency: &str,
    message: &Message,
    targets: &Targets,
    opts: &SendOptions,
    stop: Arc<AtomicBool>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, SendError> {
    let notice = message.notice_id.as_str();
    let queued = store.enqueue(agency, notice, unix_ms() / 1000, opts.resend_uncertain)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    if opts.stop_on_signals {
        let stop = stop.clone();
        runtime.spawn(async move {
            crate::shutdown_signal().await;
            stop.store(true, Ordering::SeqCst);
        });
    }
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap_or_default();
    let per_second = opts.per_second.clamp(1, TELEGRAM_MAX_PER_SECOND) as usize;
    let spacing = Duration::from_secs(1) / per_second as u32;
    let concurrency = opts.concurrency.max(1);
    let (tx, rx) = mpsc::channel::<(Delivery, Attempt)>();
    let mut starts: VecDeque<Instant> = VecDeque::new();
    let mut paused_until: Option<Instant> = None;
    let mut waiting_until: Option<Instant> = None;
    let mut drained = false;
    let mut in_flight = 0usize;
    let mut sent_now = 0u64;
    let mut last_progress = Instant::now();
    progress(&store.progress(agency, notice)?);

    let record = |d: Delivery,
                  a: Attempt,
                  paused_until: &mut Option<Instant>,
                  sent_now: &mut u64|
     -> Result<(), SendError> {
        let now = unix_ms();
        let backoff = |d: &Delivery| {
            let factor = 1u32 << d.attempts.saturating_sub(1).min(6);
            (opts.backoff * factor).max(Duration::from_secs(1))
        };
        let outcome = match a {
            Attempt::Accepted => {
                *sent_now += 1;
                Outcome::Sent
            }
            Attempt::TooMany(wait) => {
                let until = Instant::now() + wait;
                if paused_until.is_none_or(|p| p < until) {
                    *paused_until = Some(until);
                }
                tracing::warn!(
                    agency,
                    channel = d.channel.as_str(),
                    seconds = wait.as_secs(),
                    "429 from the platform: sends paused"
                );
                if d.attempts >= opts.max_attempts {
                    Outcome::Failed
                } else {
                    Outcome::Retry(now + wait.as_millis() as i64)
                }
            }
            Attempt::Transient if d.attempts < opts.max_attempts => {
                Outcome::Retry(now + backoff(&d).as_millis() as i64)
            }
            Attempt::Transient | Attempt::Rejected => Outcome::Failed,
            Attempt::Gone => Outcome::Removed,
            Attempt::Unknown => Outcome::Uncertain,
        };
        store.finish(agency, notice, d.subscriber, outcome, now)?;
        Ok(())
    };

    let mut interrupted = false;
    loop {
        while let Ok((d, a)) = rx.try_recv() {
            in_flight -= 1;
            drained = false;
            waiting_until = None;
            record(d, a, &mut paused_until, &mut sent_now)?;
        }
        if last_progress.elapsed() >= opts.progress_every {
            progress(&store.progress(agency, notice)?);
            last_progress = Instant::now();
        }
        if stop.load(Ordering::SeqCst) {
            interrupted = true;
        }
        if interrupted || drained {
            if in_flight == 0 {
                break;
            }
            if let Ok((d, a)) = rx.recv_timeout(Duration::from_millis(200)) {
                in_flight -= 1;
                drained = false;
                waiting_until = None;
                record(d, a, &mut paused_until, &mut sent_now)?;
            }
            continue;
        }
        let now = Instant::now();
        while starts
            .front()
            .is_some_and(|s| now.duration_since(*s) >= Duration::from_secs(1))
        {
            starts.pop_front();
        }
        let mut ready_at = now;
        if let Some(last) = starts.back() {
            ready_at = ready_at.max(*last + spacing);
        }
        if starts.len() >= per_second {
            if let Some(first) = starts.front() {
                ready_at = ready_at.max(*first + Duration::from_secs(1));
            }
        }
        for t in [paused_until, waiting_until].into_iter().flatten() {
            ready_at = ready_at.max(t);
        }
        if in_flight >= concurrency || ready_at > now {
            let wait = if in_flight >= concurrency {
                Duration::from_millis(200)
            } else {
                (ready_at - now).min(Duration::from_millis(200))
            };
            if let Ok((d, a)) = rx.recv_timeout(wait) {
                in_flight -= 1;
                drained = false;
                waiting_until = None;
                record(d, a, &mut paused_until, &mut sent_now)?;
            }
            continue;
        }
        let now_ms = unix_ms();
        match store.claim(agency, notice, now_ms)? {
            Claim::Send(d) => match request(targets, message, &d, now_ms) {
                None => store.finish(agency, notice, d.subscriber, Outcome::Skipped, now_ms)?,
                Some((url, token, body)) => {
                    starts.push_back(Instant::now());
                    in_flight += 1;
                    let tx = tx.clone();
                    let http = http.clone();
                    runtime.spawn(async move {
                        let a = attempt(&http, url, token, body).await;
                        let _ = tx.send((d, a));
                    });
                }
            },
            Claim::WaitUntil(at_ms) => {
                let ms = (at_ms - now_ms).clamp(0, 3_600_000) as u64;
                waiting_until = Some(Instant::now() + Duration::from_millis(ms));
            }
            Claim::Done => {
                if in_flight == 0 {
                    break;
                }
                drained = true;
            }
        }
    }
    let last = store.progress(agency, notice)?;
    progress(&last);
    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(Summary {
        queued,
        progress: last,
        sent_now,
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_answers_are_read() {
        let tg = |code: u16, body: Value| classify(code, None, &body);
        assert!(matches!(tg(200, json!({"ok": true})), Attempt::Accepted));
        match tg(
            429,
            json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7", "parameters": {"retry_after": 7}}),
        ) {
            Attempt::TooMany(d) => assert_eq!(d, Duration::from_secs(7)),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            tg(
                403,
                json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
            ),
            Attempt::Gone
        ));
        assert!(matches!(
            tg(
                400,
                json!({"ok": false, "description": "Bad Request: chat not found"})
            ),
            Attempt::Gone
        ));
        assert!(matches!(
            tg(
                400,
                json!({"ok": false, "description": "Bad Request: message is too long"})
            ),
            Attempt::Rejected
        ));
        assert!(matches!(tg(502, Value::Null), Attempt::Transient));
        assert!(matches!(
            classify(429, Some(3), &Value::Null),
            Attempt::TooMany(d) if d == Duration::from_secs(3)
        ));
    }

    #[test]
    fn texts_fit_their_channel() {
        let m = Message {
            notice_id: "n".into(),
            title: "Uffici chiusi".into(),
            text: "Riga uno.\n\n- punto\t  due     spazi\n".repeat(300),
        };
        let t = chat_text(&m, "telegram", 4096);
        assert!(t.chars().count() <= 4096);
        assert!(t.starts_with("Uffici chiusi\n\nRiga uno."));
        assert!(t.ends_with("scriva /stop."), "{}", &t[t.len() - 80..]);
        let p = template_param(&m.text, 900);
        assert!(p.chars().count() <= 900);
        assert!(!p.contains('\n') && !p.contains('\t') && !p.contains("     "));
    }
}
