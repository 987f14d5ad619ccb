//! Telegram webhook: `POST /v1/agencies/{agency}/telegram`.
//!
//! Checks `X-Telegram-Bot-Api-Secret-Token` in constant time, then answers in the webhook
//! response body (`"method": "sendMessage"`, HTML parse mode, inline keyboard for choices).
//! Answers longer than one message are sent in pieces through the Bot API when a bot token
//! is configured; otherwise the first piece ends with a link to the full answer.

use super::{
    after_reply, agency_for, first_delivery, record_vote, subscription_reply, user_allowed,
};
use crate::broadcast;
use crate::chat::{self, plain, split_text, text, truncate, Choice};
use crate::config::Channel;
use crate::signature::secret_matches;
use crate::state::{AgencyState, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sportello_core::render::is_safe_url;
use sportello_core::{Engine, Reply};
use std::sync::Arc;

/// Telegram's limit is 4096 characters after entity parsing; the margin covers the title.
const MAX_PIECE: usize = 3800;
/// Most characters of notices put before a reply (the rest of the message is the answer).
const MAX_NOTICES: usize = 1_000;
const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

#[derive(Deserialize)]
struct Update {
    update_id: i64,
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    callback_query: Option<CallbackQuery>,
}

#[derive(Deserialize)]
struct Message {
    chat: Chat,
    #[serde(default)]
    from: Option<User>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
}

#[derive(Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    id: Option<String>,
    from: User,
    #[serde(default)]
    message: Option<CallbackMessage>,
    #[serde(default)]
    data: Option<String>,
}

#[derive(Deserialize)]
struct CallbackMessage {
    chat: Chat,
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// One message to send: HTML text and an optional inline keyboard.
struct OutMessage {
    html: String,
    keyboard: Option<Value>,
}

fn keyboard(rows: Vec<Vec<(String, Choice)>>) -> Option<Value> {
    if rows.is_empty() {
        return None;
    }
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            Value::Array(
                row.into_iter()
                    .map(|(label, c)| json!({"text": truncate(&label, 60), "callback_data": c.encode()}))
                    .collect(),
            )
        })
        .collect();
    Some(json!({ "inline_keyboard": rows }))
}

/// Renders a reply as Telegram messages (more than one only for very long answers).
fn messages(reply: &Reply, has_bot_token: bool) -> Vec<OutMessage> {
    let p = plain(reply);
    let mut body = match reply {
        Reply::Answer { answer_text, .. } => answer_text.trim().to_string(),
        _ => p.body.clone(),
    };
    // The notices go first, before the title; the text is split to leave room for them.
    let notices = p.notices.as_deref().map(|n| truncate(n, MAX_NOTICES));
    let room = MAX_PIECE - notices.as_ref().map_or(0, |n| n.chars().count() + 2);
    let source = match reply {
        Reply::Answer {
            source: Some(s), ..
        } if is_safe_url(s) => Some(s.clone()),
        _ => None,
    };
    let updated = match reply {
        Reply::Answer { reviewed, .. } => crate::chat::updated_line(reviewed.as_deref()),
        _ => None,
    };
    let mut pieces = split_text(&body, room);
    if pieces.len() > 1 && !has_bot_token {
        // Only one message fits in the webhook response: point to the full answer.
        pieces.truncate(1);
        if let Some(s) = &source {
            pieces[0].push_str(&format!("\n\n{} {s}", text::CONTINUES));
        } else {
            pieces[0].push('…');
        }
    }
    if pieces.is_empty() {
        body = p.body;
        pieces.push(body);
    }
    let mut rows: Vec<Vec<(String, Choice)>> = p.choices.into_iter().map(|c| vec![c]).collect();
    if let Some(id) = &p.answered {
        rows.push(vec![
            ("👍".to_string(), Choice::ThumbsUp(id.clone())),
            ("👎".to_string(), Choice::ThumbsDown(id.clone())),
        ]);
    }
    let last = pieces.len() - 1;
    let mut rows = Some(rows);
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, piece)| {
            let mut html = String::new();
            if i == 0 {
                if let Some(n) = &notices {
                    html.push_str(&format!("{}\n\n", escape_html(n)));
                }
                if let Some(t) = &p.title {
                    html.push_str(&format!("<b>{}</b>\n\n", escape_html(t)));
                }
            }
            html.push_str(&escape_html(&piece));
            if i == last {
                if let Some(line) = &updated {
                    html.push_str(&format!("\n\n{}", escape_html(line)));
                }
                if let Some(s) = &source {
                    html.push_str(&format!(
                        "\n\n<a href=\"{}\">{}</a>",
                        escape_html(s),
                        text::SOURCE
                    ));
                }
            }
            OutMessage {
                html,
                keyboard: if i == last {
                    rows.take().and_then(keyboard)
                } else {
                    None
                },
            }
        })
        .collect()
}

fn send_message_body(chat_id: i64, m: &OutMessage) -> Value {
    let mut body = json!({
        "chat_id": chat_id,
        "text": m.html,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": true},
    });
    if let Some(k) = &m.keyboard {
        body["reply_markup"] = k.clone();
    }
    body
}

fn plain_messages(text: &str) -> Vec<OutMessage> {
    split_text(text, MAX_PIECE)
        .into_iter()
        .map(|t| OutMessage {
            html: escape_html(&t),
            keyboard: None,
        })
        .collect()
}

fn ack() -> Response {
    StatusCode::OK.into_response()
}

pub async fn webhook(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let a = match agency_for(&state, &agency, Channel::Telegram) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(secrets) = a.config.telegram.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !secret_matches(given, secrets.secret.as_bytes()) {
        state.metrics.add(
            "sportello_auth_failures_total",
            "channel=\"telegram\"".into(),
        );
        tracing::warn!(
            agency = a.config.id.as_str(),
            channel = "telegram",
            "bad webhook secret"
        );
        return StatusCode::UNAUTHORIZED.into_response();
    }
    // Authenticated: from here on every event gets 200, even when ignored.
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        tracing::warn!(
            agency = a.config.id.as_str(),
            channel = "telegram",
            "unreadable update ignored"
        );
        return ack();
    };
    if !first_delivery(&state, &a.config.id, Channel::Telegram, update.update_id).await {
        return ack();
    }
    let (chat_id, user_id, out) = if let Some(m) = update.message {
        if m.chat.kind.as_deref().is_some_and(|k| k != "private") {
            return ack(); // groups and channels are not served
        }
        let user = m.from.as_ref().map(|u| u.id).unwrap_or(m.chat.id);
        if !allowed(&state, &a, user) {
            return ack();
        }
        // `/avvisi`, `/stop`, "basta avvisi": handled here, never asked of the engine.
        if let Some(cmd) = m.text.as_deref().and_then(broadcast::command) {
            let reply =
                subscription_reply(&state, &a, Channel::Telegram, m.chat.id.to_string(), cmd).await;
            return respond(&state, &a, m.chat.id, plain_messages(&reply));
        }
        (
            m.chat.id,
            user,
            message_reply(&state, &a, m.text.as_deref()),
        )
    } else if let Some(cb) = update.callback_query {
        let chat_id = cb.message.as_ref().map(|m| m.chat.id).unwrap_or(cb.from.id);
        if !allowed(&state, &a, cb.from.id) {
            return ack();
        }
        if let Some(id) = cb.id.as_deref() {
            answer_callback_query(&state, &a, id);
        }
        let data = cb.data.as_deref().unwrap_or("");
        if let Some(cmd) = [broadcast::SUBSCRIBE_PAYLOAD, broadcast::UNSUBSCRIBE_PAYLOAD]
            .contains(&data)
            .then(|| broadcast::command(data))
            .flatten()
        {
            let reply =
                subscription_reply(&state, &a, Channel::Telegram, chat_id.to_string(), cmd).await;
            return respond(&state, &a, chat_id, plain_messages(&reply));
        }
        (
            chat_id,
            cb.from.id,
            callback_reply(&state, &a, cb.data.as_deref().unwrap_or("")),
        )
    } else {
        return ack(); // edited messages, member updates…: ignored
    };
    let _ = user_id;
    respond(&state, &a, chat_id, out)
}

fn allowed(state: &AppState, a: &AgencyState, user: i64) -> bool {
    user_allowed(state, &a.config.id, Channel::Telegram, user)
}

fn message_reply(state: &AppState, a: &AgencyState, text_in: Option<&str>) -> Vec<OutMessage> {
    let engine = a.engine();
    let has_token = has_bot_token(a);
    match text_in {
        None => plain_messages(text::ONLY_TEXT),
        Some(t) if t.trim_start().starts_with("/start") || t.trim() == "/help" => {
            let mut out = plain_messages(&chat::welcome(&engine));
            // The subscription button, where subscriptions can be stored.
            if state.subscribers.is_some() {
                if let Some(last) = out.last_mut() {
                    last.keyboard = Some(json!({"inline_keyboard": [[{
                        "text": broadcast::text::BUTTON,
                        "callback_data": broadcast::SUBSCRIBE_PAYLOAD,
                    }]]}));
                }
            }
            out
        }
        Some(t) => {
            let reply = engine.ask_in(t, &super::now());
            after_reply(state, &a.config.id, Channel::Telegram, t, &reply);
            messages(&reply, has_token)
        }
    }
}

fn bot_token(a: &AgencyState) -> Option<&str> {
    a.config.telegram.as_ref()?.bot_token.as_deref()
}

fn has_bot_token(a: &AgencyState) -> bool {
    bot_token(a).is_some()
}

fn callback_reply(state: &AppState, a: &AgencyState, data: &str) -> Vec<OutMessage> {
    let engine: Arc<Engine> = a.engine();
    let id = a.config.id.as_str();
    match Choice::decode(data, &engine) {
        Some(Choice::Entry(entry)) => match engine.answer_entry_in(&entry, &super::now()) {
            Some(reply) => {
                after_reply(state, id, Channel::Telegram, "", &reply);
                messages(&reply, has_bot_token(a))
            }
            None => plain_messages(text::CHOICE_GONE),
        },
        Some(Choice::NoneOfThese) => plain_messages(&chat::none_of_these(&engine)),
        Some(Choice::ThumbsDown(entry)) => {
            record_vote(state, id, Channel::Telegram, &entry, false, None);
            plain_messages(text::THANKS_FEEDBACK)
        }
        Some(Choice::ThumbsUp(entry)) => {
            record_vote(state, id, Channel::Telegram, &entry, true, None);
            plain_messages(text::THANKS_POSITIVE)
        }
        None => plain_messages(text::CHOICE_GONE),
    }
}

/// Tells Telegram the button press was handled, so that the citizen's app stops showing it
/// as loading. Needs the Bot API (a bot token): the webhook response carries the reply itself.
fn answer_callback_query(state: &Arc<AppState>, a: &AgencyState, callback_id: &str) {
    if let Some(token) = bot_token(a) {
        let body = json!({ "callback_query_id": callback_id });
        call_bot_api(state, a, token, "answerCallbackQuery", vec![body]);
    }
}

/// One message goes back in the webhook response; several are sent in order through the
/// Bot API (only possible with a bot token; [`messages`] makes sure of that).
fn respond(state: &Arc<AppState>, a: &AgencyState, chat_id: i64, out: Vec<OutMessage>) -> Response {
    match (out.len(), bot_token(a)) {
        (0, _) => ack(),
        (1, _) | (_, None) => {
            let mut body = send_message_body(chat_id, &out[0]);
            body["method"] = json!("sendMessage");
            Json(body).into_response()
        }
        (_, Some(token)) => {
            let bodies: Vec<Value> = out.iter().map(|m| send_message_body(chat_id, m)).collect();
            call_bot_api(state, a, token, "sendMessage", bodies);
            ack()
        }
    }
}

/// Calls a Bot API method once per body, in order, off the request path; stops at the first
/// failure, which is counted and logged (without the URL: it holds the bot token).
fn call_bot_api(
    state: &Arc<AppState>,
    a: &AgencyState,
    token: &str,
    method: &'static str,
    bodies: Vec<Value>,
) {
    let url = format!("{}/bot{token}/{method}", state.telegram_api_base_url);
    let st = state.clone();
    let agency = a.config.id.clone();
    state.spawn_send(async move {
        for b in bodies {
            if let Err(e) = st.http.post(&url).json(&b).send().await.and_then(|r| r.error_for_status()) {
                st.metrics.add("sportello_send_errors_total", "channel=\"telegram\"".into());
                tracing::warn!(agency = agency.as_str(), channel = "telegram", method, error = %e.without_url(), "Bot API call failed");
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sportello_core::reply::Explanation;

    fn answer(text: &str) -> Reply {
        Reply::Answer {
            id: "x".into(),
            question: "Domanda <b>?".into(),
            answer: text.into(),
            answer_html: String::new(),
            answer_text: text.into(),
            source: Some("https://example.org/a?b=1&c=2".into()),
            reviewed: Some("2026-03-10".into()),
            confidence: 0.9,
            related: vec![],
            why: Explanation {
                best_phrasing: String::new(),
                coverage: 1.0,
                margin: 1.0,
                words: vec![],
            },
            notices: vec![],
        }
    }

    #[test]
    fn long_answers_split_under_limit() {
        let long = vec!["paragrafo ".repeat(60); 30].join("\n\n");
        let with_token = messages(&answer(&long), true);
        assert!(with_token.len() > 1);
        assert!(with_token.iter().all(|m| m.html.chars().count() < 4096));
        assert!(with_token.last().unwrap().keyboard.is_some());
        assert!(with_token[0].keyboard.is_none());
        let without = messages(&answer(&long), false);
        assert_eq!(without.len(), 1);
        assert!(without[0].html.chars().count() < 4096);
        assert!(without[0].html.contains(text::CONTINUES));
    }

    #[test]
    fn html_is_escaped() {
        let m = messages(&answer("a < b & c"), false);
        assert!(m[0].html.starts_with("<b>Domanda &lt;b&gt;?</b>"));
        assert!(m[0].html.contains("a &lt; b &amp; c"));
        assert!(m[0]
            .html
            .contains("href=\"https://example.org/a?b=1&amp;c=2\""));
        assert!(
            m[0].html
                .contains("\n\nAggiornato il 10 marzo 2026.\n\n<a href="),
            "{}",
            m[0].html
        );
        let p = crate::chat::plain(&answer("Testo."));
        assert_eq!(
            p.body,
            "Testo.\n\nAggiornato il 10 marzo 2026.\nFonte: https://example.org/a?b=1&c=2"
        );
    }
}
