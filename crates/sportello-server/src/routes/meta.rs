//! WhatsApp Cloud API, Messenger and Instagram Direct webhooks:
//! `GET|POST /v1/agencies/{agency}/whatsapp`, `.../messenger` and `.../instagram`.
//!
//! `GET` answers Meta's verification handshake. `POST` verifies `X-Hub-Signature-256` over
//! the raw body before parsing (401 otherwise), acknowledges with 200 at once, and sends the
//! replies through the Graph API in the background. Status callbacks, deliveries, reads,
//! reactions, deleted messages and echoes are acknowledged and ignored, as are payloads of
//! another platform (`object` other than the route's); repeated deliveries (same `wamid` /
//! `mid`) are answered once. Instagram Direct comes through the Messenger Platform: the same
//! event shape (`object: "instagram"`, `entry[].messaging[]`), the same send endpoint with the
//! Page's token, and its own limits (text up to 1,000 bytes; up to 13 quick replies).

use super::{
    after_reply, agency_for, first_delivery, record_vote, subscription_reply, user_allowed,
};
use crate::broadcast;
use crate::chat::{self, plain, split_text, text, truncate, Choice};
use crate::config::Channel;
use crate::signature::{meta_signature_valid, secret_matches};
use crate::state::{AgencyState, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sportello_core::Reply;
use std::collections::HashMap;
use std::sync::Arc;

const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// WhatsApp text messages take up to 4096 characters; interactive bodies up to 1024.
const WA_TEXT: usize = 4000;
const WA_INTERACTIVE_BODY: usize = 1024;
/// Messenger text messages take up to 2000 characters.
const MSG_TEXT: usize = 2000;
/// Instagram text messages take up to 1000 bytes of UTF-8.
const IG_TEXT_BYTES: usize = 1000;

/// `GET`: the verification handshake (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`).
pub async fn verify(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let a = match meta_agency(&state, &agency) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(secrets) = a.config.meta.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mode_ok = q.get("hub.mode").map(String::as_str) == Some("subscribe");
    let token = q.get("hub.verify_token").map(String::as_str).unwrap_or("");
    match q.get("hub.challenge") {
        Some(challenge)
            if mode_ok && secret_matches(token.as_bytes(), secrets.verify_token.as_bytes()) =>
        {
            tracing::info!(agency = a.config.id.as_str(), "Meta webhook verified");
            challenge.clone().into_response()
        }
        _ => StatusCode::FORBIDDEN.into_response(),
    }
}

/// The agency if it has WhatsApp, Messenger or Instagram (which one is checked by the POST
/// handlers).
#[allow(clippy::result_large_err)]
fn meta_agency(state: &AppState, agency: &str) -> Result<Arc<AgencyState>, Response> {
    agency_for(state, agency, Channel::Whatsapp)
        .or_else(|_| agency_for(state, agency, Channel::Messenger))
        .or_else(|_| agency_for(state, agency, Channel::Instagram))
}

/// Signature check shared by both channels: 401 unless the body is signed with the app secret.
#[allow(clippy::result_large_err)]
fn authenticate(
    state: &AppState,
    agency: &str,
    channel: Channel,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Arc<AgencyState>, Response> {
    let a = agency_for(state, agency, channel)?;
    let secret = a
        .config
        .meta
        .as_ref()
        .map(|m| m.app_secret.as_str())
        .unwrap_or("");
    let header = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if secret.is_empty() || !meta_signature_valid(header, body, secret) {
        state.metrics.add(
            "sportello_auth_failures_total",
            format!("channel=\"{}\"", channel.as_str()),
        );
        tracing::warn!(agency, channel = channel.as_str(), "bad webhook signature");
        return Err(StatusCode::UNAUTHORIZED.into_response());
    }
    Ok(a)
}

/// What a citizen sent: text, or a button payload.
enum Incoming {
    Text(String),
    Payload(String),
    Unsupported,
}

/// One event worth answering.
struct Event {
    /// Delivery id (`wamid` / `mid`), for dedup.
    id: String,
    /// Who to answer (WhatsApp `from`, Messenger PSID); never logged.
    user: String,
    /// WhatsApp: the business phone number id to send from.
    phone_number_id: Option<String>,
    incoming: Incoming,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

fn array_at<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

/// A WhatsApp Business phone number id: 1 to 32 ASCII digits.
fn is_phone_number_id(id: &str) -> bool {
    (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

fn whatsapp_events(payload: &Value) -> Vec<Event> {
    let mut out = Vec::new();
    for entry in array_at(payload, "entry") {
        for change in array_at(entry, "changes") {
            let Some(value) = change.get("value") else {
                continue;
            };
            // It goes into the Graph API URL: only the digits Meta uses are accepted (a
            // signed payload is trusted, but a path such as `../` must never reach a URL).
            let phone_number_id = str_at(value, &["metadata", "phone_number_id"])
                .filter(|id| is_phone_number_id(id))
                .map(String::from);
            // `statuses` (sent / delivered / read) are ignored: only `messages` are answered.
            for m in array_at(value, "messages") {
                let (Some(id), Some(from)) = (str_at(m, &["id"]), str_at(m, &["from"])) else {
                    continue;
                };
                let incoming = match str_at(m, &["type"]).unwrap_or("") {
                    "text" => match str_at(m, &["text", "body"]) {
                        Some(t) => Incoming::Text(t.to_string()),
                        None => Incoming::Unsupported,
                    },
                    "interactive" => str_at(m, &["interactive", "button_reply", "id"])
                        .or_else(|| str_at(m, &["interactive", "list_reply", "id"]))
                        .map(|p| Incoming::Payload(p.to_string()))
                        .unwrap_or(Incoming::Unsupported),
                    "button" => str_at(m, &["button", "payload"])
                        .map(|p| Incoming::Payload(p.to_string()))
                        .unwrap_or(Incoming::Unsupported),
                    _ => Incoming::Unsupported,
                };
                out.push(Event {
                    id: id.to_string(),
                    user: from.to_string(),
                    phone_number_id: phone_number_id.clone(),
                    incoming,
                });
            }
        }
    }
    out
}

/// Messenger and Instagram events (the same `entry[].messaging[]` shape).
fn messaging_events(payload: &Value) -> Vec<Event> {
    let flag = |m: &Value, key: &str| m.get(key).and_then(Value::as_bool) == Some(true);
    let mut out = Vec::new();
    for entry in array_at(payload, "entry") {
        for ev in array_at(entry, "messaging") {
            let Some(user) = str_at(ev, &["sender", "id"]) else {
                continue;
            };
            let (mid, incoming) = if let Some(m) = ev.get("message") {
                // Our own messages coming back, and (Instagram) a message the citizen
                // deleted: nothing to answer.
                if flag(m, "is_echo") || flag(m, "is_deleted") {
                    continue;
                }
                let incoming = if let Some(p) = str_at(m, &["quick_reply", "payload"]) {
                    Incoming::Payload(p.to_string())
                } else if let Some(t) = str_at(m, &["text"]) {
                    Incoming::Text(t.to_string())
                } else {
                    Incoming::Unsupported
                };
                (str_at(m, &["mid"]), incoming)
            } else if let Some(p) = ev.get("postback") {
                (
                    str_at(p, &["mid"]),
                    Incoming::Payload(str_at(p, &["payload"]).unwrap_or("").to_string()),
                )
            } else {
                continue; // delivery, read, reaction…
            };
            let id = match mid {
                Some(mid) => mid.to_string(),
                None => format!(
                    "{user}:{}",
                    ev.get("timestamp")
                        .map(Value::to_string)
                        .unwrap_or_default()
                ),
            };
            out.push(Event {
                id,
                user: user.to_string(),
                phone_number_id: None,
                incoming,
            });
        }
    }
    out
}

pub async fn whatsapp(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(state, agency, Channel::Whatsapp, headers, body).await
}

pub async fn messenger(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(state, agency, Channel::Messenger, headers, body).await
}

pub async fn instagram(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    receive(state, agency, Channel::Instagram, headers, body).await
}

/// The `object` Meta sets on the route's payloads.
fn expected_object(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "whatsapp_business_account",
        Channel::Instagram => "instagram",
        _ => "page",
    }
}

async fn receive(
    state: Arc<AppState>,
    agency: String,
    channel: Channel,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let a = match authenticate(&state, &agency, channel, &headers, &body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    // Authenticated: 200 from here on, whatever the payload holds.
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        tracing::warn!(
            agency,
            channel = channel.as_str(),
            "unreadable payload ignored"
        );
        return StatusCode::OK.into_response();
    };
    // A payload of another platform (an app subscribed to several, pointed at one route).
    if let Some(object) = payload.get("object").and_then(Value::as_str) {
        if object != expected_object(channel) {
            tracing::warn!(
                agency,
                channel = channel.as_str(),
                "payload of another platform ignored"
            );
            return StatusCode::OK.into_response();
        }
    }
    let events = match channel {
        Channel::Whatsapp => whatsapp_events(&payload),
        _ => messaging_events(&payload),
    };
    // Repeated deliveries are dropped before the rate limit counts them.
    let mut todo = Vec::new();
    for ev in events {
        if first_delivery(&state, &a.config.id, channel, &ev.id).await
            && user_allowed(&state, &a.config.id, channel, &ev.user)
        {
            todo.push(ev);
        }
    }
    if !todo.is_empty() {
        let st = state.clone();
        state.spawn_send(async move {
            for ev in todo {
                let msgs = match subscription_command(channel, &ev) {
                    // Subscriptions (WhatsApp and Messenger): never asked of the engine.
                    Some(cmd) => {
                        let reply =
                            subscription_reply(&st, &a, channel, ev.user.clone(), cmd).await;
                        text_messages(channel, &reply)
                    }
                    None => {
                        if channel == Channel::Messenger {
                            // Meta's 24-hour window for notices starts again.
                            note_seen(&st, &a.config.id, &ev.user).await;
                        }
                        reply_messages(&st, &a, channel, &ev)
                    }
                };
                send_all(&st, &a, channel, &ev, msgs).await;
            }
        });
    }
    StatusCode::OK.into_response()
}

/// A subscription command in a WhatsApp or Messenger event: the words (`avvisi`, "ricevi gli
/// avvisi", "basta avvisi", `stop`) or the button's payload. Instagram has no subscriptions.
fn subscription_command(channel: Channel, ev: &Event) -> Option<broadcast::Command> {
    if !matches!(channel, Channel::Whatsapp | Channel::Messenger) {
        return None;
    }
    match &ev.incoming {
        Incoming::Text(t) => broadcast::command(t),
        Incoming::Payload(p)
            if p == broadcast::SUBSCRIBE_PAYLOAD || p == broadcast::UNSUBSCRIBE_PAYLOAD =>
        {
            broadcast::command(p)
        }
        _ => None,
    }
}

/// Records when a Messenger subscriber last wrote (nothing for one not subscribed).
async fn note_seen(state: &AppState, agency: &str, user: &str) {
    let Some(store) = state.subscribers.clone() else {
        return;
    };
    let (agency, user) = (agency.to_string(), user.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let done =
        tokio::task::spawn_blocking(move || store.seen(&agency, Channel::Messenger, &user, now))
            .await;
    if let Ok(Err(e)) = done {
        tracing::warn!(channel = "messenger", error = %e, "last message time not stored");
    }
}

/// The reply to one event, as Graph API message objects (without the recipient).
fn reply_messages(state: &AppState, a: &AgencyState, channel: Channel, ev: &Event) -> Vec<Value> {
    let engine = a.engine();
    let id = a.config.id.as_str();
    let texts = |t: &str| text_messages(channel, t);
    match &ev.incoming {
        Incoming::Unsupported => texts(text::ONLY_TEXT),
        Incoming::Text(t) => {
            let reply = engine.ask_in(t, &super::now());
            after_reply(state, id, channel, t, &reply);
            render(channel, &reply)
        }
        Incoming::Payload(p) => match Choice::decode(p, &engine) {
            Some(Choice::Entry(entry)) => match engine.answer_entry_in(&entry, &super::now()) {
                Some(reply) => {
                    after_reply(state, id, channel, "", &reply);
                    render(channel, &reply)
                }
                None => texts(text::CHOICE_GONE),
            },
            Some(Choice::NoneOfThese) => texts(&chat::none_of_these(&engine)),
            Some(Choice::ThumbsDown(entry)) => {
                record_vote(state, id, channel, &entry, false, None);
                texts(text::THANKS_FEEDBACK)
            }
            Some(Choice::ThumbsUp(entry)) => {
                record_vote(state, id, channel, &entry, true, None);
                texts(text::THANKS_POSITIVE)
            }
            None => texts(text::CHOICE_GONE),
        },
    }
}

fn text_messages(channel: Channel, t: &str) -> Vec<Value> {
    match channel {
        Channel::Whatsapp => split_text(t, WA_TEXT)
            .into_iter()
            .map(|body| json!({"type": "text", "text": {"body": body, "preview_url": false}}))
            .collect(),
        Channel::Instagram => split_text_bytes(t, IG_TEXT_BYTES)
            .into_iter()
            .map(|t| json!({"text": t}))
            .collect(),
        _ => split_text(t, MSG_TEXT)
            .into_iter()
            .map(|t| json!({"text": t}))
            .collect(),
    }
}

/// [`split_text`] into pieces of at most `max` bytes of UTF-8 (Instagram counts bytes): the
/// character limit is lowered until every piece fits.
fn split_text_bytes(t: &str, max: usize) -> Vec<String> {
    let mut chars = max;
    loop {
        let pieces = split_text(t, chars);
        if chars <= 16 || pieces.iter().all(|p| p.len() <= max) {
            return pieces;
        }
        chars = chars * 9 / 10;
    }
}

fn render(channel: Channel, reply: &Reply) -> Vec<Value> {
    let p = plain(reply);
    let full = match &p.title {
        Some(t) if channel == Channel::Whatsapp => format!("*{t}*\n\n{}", p.body),
        Some(t) => format!("{t}\n\n{}", p.body),
        None => p.body.clone(),
    };
    let full = match &p.notices {
        Some(n) => format!("{n}\n\n{full}"),
        None => full,
    };
    let clarify = matches!(reply, Reply::Clarify { .. });
    if !clarify || p.choices.is_empty() {
        return text_messages(channel, &full);
    }
    match channel {
        Channel::Whatsapp => {
            let body = json!({"text": truncate(&full, WA_INTERACTIVE_BODY)});
            let interactive = if p.choices.len() <= 3 {
                let buttons: Vec<Value> = p
                    .choices
                    .iter()
                    .map(|(label, c)| {
                        json!({"type": "reply", "reply": {"id": c.encode(), "title": truncate(label, 20)}})
                    })
                    .collect();
                json!({"type": "button", "body": body, "action": {"buttons": buttons}})
            } else {
                let rows: Vec<Value> = p
                    .choices
                    .iter()
                    .take(10)
                    .map(|(label, c)| {
                        json!({"id": c.encode(), "title": truncate(label, 24), "description": truncate(label, 72)})
                    })
                    .collect();
                json!({
                    "type": "list",
                    "body": body,
                    "action": {"button": "Vedi le opzioni", "sections": [{"title": "Forse cercavi", "rows": rows}]}
                })
            };
            vec![json!({"type": "interactive", "interactive": interactive})]
        }
        _ => {
            let mut msgs = text_messages(channel, &full);
            let quick: Vec<Value> = p
                .choices
                .iter()
                .take(13)
                .map(|(label, c)| {
                    json!({"content_type": "text", "title": truncate(label, 20), "payload": c.encode()})
                })
                .collect();
            if let Some(last) = msgs.last_mut() {
                last["quick_replies"] = Value::Array(quick);
            }
            msgs
        }
    }
}

/// Sends the messages in order through the Graph API; stops at the first failure.
async fn send_all(
    state: &AppState,
    a: &AgencyState,
    channel: Channel,
    ev: &Event,
    msgs: Vec<Value>,
) {
    let Some(secrets) = a.config.meta.as_ref() else {
        return;
    };
    let url = match channel {
        Channel::Whatsapp => match &ev.phone_number_id {
            Some(id) => format!("{}/{id}/messages", state.graph_base_url),
            None => return,
        },
        _ => format!("{}/me/messages", state.graph_base_url),
    };
    for m in msgs {
        let body = match channel {
            Channel::Whatsapp => {
                let mut b = m;
                b["messaging_product"] = json!("whatsapp");
                b["recipient_type"] = json!("individual");
                b["to"] = json!(ev.user);
                b
            }
            _ => json!({"recipient": {"id": ev.user}, "messaging_type": "RESPONSE", "message": m}),
        };
        let sent = state
            .http
            .post(&url)
            .bearer_auth(&secrets.access_token)
            .json(&body)
            .send()
            .await
            .and_then(|r| r.error_for_status());
        if let Err(e) = sent {
            state.metrics.add(
                "sportello_send_errors_total",
                format!("channel=\"{}\"", channel.as_str()),
            );
            tracing::warn!(
                agency = a.config.id.as_str(),
                channel = channel.as_str(),
                status = e.status().map(|s| s.as_u16()),
                error = %e.without_url(),
                "Graph API send failed"
            );
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instagram_pieces_fit_in_1000_bytes() {
        // Accented and emoji text: more bytes than characters.
        let para = "Può rivolgersi all'ufficio anagrafe, è aperto il lunedì e il giovedì 🙂. ";
        let text = [para.repeat(12), para.repeat(30)].join("\n\n");
        assert!(text.chars().count() < text.len());
        let msgs = text_messages(Channel::Instagram, &text);
        assert!(msgs.len() >= 3, "{}", msgs.len());
        let mut joined = String::new();
        for m in &msgs {
            let t = m["text"].as_str().unwrap();
            assert!(t.len() <= IG_TEXT_BYTES, "{} bytes", t.len());
            joined.push_str(t);
        }
        // Nothing lost but the separators where it was split.
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(squash(&joined), squash(&text));
        // Messenger keeps its own, larger limit.
        assert!(text_messages(Channel::Messenger, &text).len() < msgs.len());
    }

    #[test]
    fn phone_number_ids_are_digits_only() {
        let payload = |id: &str| {
            serde_json::json!({"entry": [{"changes": [{"value": {
                "metadata": {"phone_number_id": id},
                "messages": [{"id": "wamid.1", "from": "39333", "type": "text",
                              "text": {"body": "ciao"}}]
            }}]}]})
        };
        let ok = whatsapp_events(&payload("106540352242922"));
        assert_eq!(ok[0].phone_number_id.as_deref(), Some("106540352242922"));
        for bad in ["../../me", "123/messages?x=", "", "1 2", &"9".repeat(33)] {
            let ev = whatsapp_events(&payload(bad));
            assert_eq!(ev.len(), 1, "{bad:?}");
            assert_eq!(ev[0].phone_number_id, None, "{bad:?}");
        }
    }
}
