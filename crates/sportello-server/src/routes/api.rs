//! The JSON API: `POST /v1/agencies/{agency}/ask`, `.../answer` (a chosen entry), `.../suggest`
//! (questions while typing), `GET .../info` (name, contacts, AI disclosure) and `.../feedback`
//! (thumbs up/down, reported questions).

use super::{after_reply, agency_for, error, record_question, record_vote_on};
use crate::client_ip::limit_key;
use crate::config::Channel;
use crate::feedback::FeedbackKind;
use crate::state::{AgencyState, AppState};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

#[derive(Deserialize)]
struct AskRequest {
    question: String,
}

#[derive(Deserialize)]
struct FeedbackRequest {
    /// The rated entry (a vote), or the closest entries' first (a reported question).
    #[serde(default)]
    entry_id: Option<String>,
    /// A vote: whether the answer helped.
    #[serde(default)]
    helpful: Option<bool>,
    /// The question that got the answer (stored redacted with a thumbs-down), or the reported
    /// question (redacted again here, whatever the page did).
    #[serde(default)]
    question: Option<String>,
    /// A question the website widget reports instead of a vote: `unanswered` or `clarified`.
    #[serde(default)]
    event: Option<String>,
    /// The entries the widget offered ("Forse cercavi…"), best first.
    #[serde(default)]
    entry_ids: Vec<String>,
    /// `widget` when the website widget sends it (its `report-url`); otherwise the API.
    #[serde(default)]
    channel: Option<String>,
}

/// The browser's `Origin` header, if any.
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok())
}

/// The headers that let a page of one of the agency's `widget_origins` post to the feedback
/// route: that origin only (`Vary: Origin`), no credentials (the widget sends no cookie and no
/// identifier), JSON only. Other origins get none, so their browsers refuse to post.
fn cors(mut resp: Response, allowed: Option<&str>) -> Response {
    let h = resp.headers_mut();
    h.insert(header::VARY, header::HeaderValue::from_static("Origin"));
    let Some(value) = allowed.and_then(|o| header::HeaderValue::from_str(o).ok()) else {
        return resp;
    };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        header::HeaderValue::from_static("86400"),
    );
    resp
}

/// The request's origin when the agency admits it; `Err` with a 403 when a browser page of
/// another origin posts (no `Origin`: not a cross-site browser request, served as the API).
#[allow(clippy::result_large_err)]
fn admitted_origin<'h>(
    state: &AppState,
    agency: &str,
    headers: &'h HeaderMap,
) -> Result<Option<&'h str>, Response> {
    let Some(o) = origin(headers) else {
        return Ok(None);
    };
    match state.agencies.get(agency) {
        Some(a) if a.config.admits_origin(o) => Ok(Some(o)),
        Some(_) => Err(error(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "Origine non ammessa: aggiungere l'indirizzo del sito a widget_origins dell'ente in sportello.toml.",
        )),
        None => Ok(None),
    }
}

/// `OPTIONS .../feedback`: the browser's preflight before the widget's JSON post.
pub async fn feedback_preflight(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    headers: HeaderMap,
) -> Response {
    match admitted_origin(&state, &agency, &headers) {
        Ok(o) => cors(StatusCode::NO_CONTENT.into_response(), o),
        Err(r) => cors(r, None),
    }
}

/// The peer address of the connection, when the server recorded it (`conn::serve` does).
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// What both routes start with: the agency (with the API enabled), a JSON content type (a
/// web page can make its visitors' browsers post `text/plain` or forms to any site, but not
/// `application/json`), the client address's rate limit, then the JSON body. A body that
/// does not parse gets `expected` as its message (serde's own message may quote the input,
/// so it is not echoed).
#[allow(clippy::result_large_err)]
fn admit<T: DeserializeOwned>(
    state: &AppState,
    agency: &str,
    peer: &Peer,
    headers: &HeaderMap,
    body: &[u8],
    expected: &'static str,
) -> Result<(Arc<AgencyState>, T), Response> {
    let a = agency_for(state, agency, Channel::Api)?;
    if !is_json(headers) {
        return Err(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Il corpo deve essere JSON, con l'intestazione Content-Type: application/json.",
        ));
    }
    limited(state, agency, peer, headers)?;
    let req = serde_json::from_slice(body)
        .map_err(|_| error(StatusCode::BAD_REQUEST, "bad_request", expected))?;
    Ok((a, req))
}

/// `Content-Type: application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The per-address limit: every request counts, whatever headers it carries.
#[allow(clippy::result_large_err)]
fn limited(
    state: &AppState,
    agency: &str,
    peer: &Peer,
    headers: &HeaderMap,
) -> Result<(), Response> {
    if !state.api_limit.enabled() {
        return Ok(());
    }
    let client = match peer.0 {
        Some(ip) => limit_key(state.trusted_proxies.client_ip(ip, headers)),
        None => "unknown".to_string(),
    };
    if state.api_limit.allow(&format!("{agency}:api:{client}")) {
        Ok(())
    } else {
        state
            .metrics
            .add("sportello_rate_limited_total", "channel=\"api\"".into());
        Err(error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Troppe richieste: riprovare tra poco.",
        ))
    }
}

pub async fn ask(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, AskRequest) = match admit(
        &state,
        &agency,
        &peer,
        &headers,
        &body,
        "Corpo JSON non valido: atteso un oggetto come {\"question\": \"…\"}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let engine = a.engine();
    let reply = engine.ask_in(&req.question, &super::now());
    after_reply(&state, &a.config.id, Channel::Api, &req.question, &reply);
    Json(reply.wire(&a.config.id)).into_response()
}

pub async fn feedback(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match admitted_origin(&state, &agency, &headers) {
        Ok(o) => cors(feedback_inner(&state, &agency, &peer, &headers, &body), o),
        Err(r) => cors(r, None),
    }
}

fn feedback_inner(
    state: &AppState,
    agency: &str,
    peer: &Peer,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let (a, req): (_, FeedbackRequest) = match admit(
        state,
        agency,
        peer,
        headers,
        body,
        "Corpo JSON non valido: atteso {\"entry_id\": \"…\", \"helpful\": false, \"question\": \"…\"} oppure {\"event\": \"unanswered\", \"question\": \"…\"}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let channel = match req.channel.as_deref() {
        Some("widget") => "widget",
        _ => Channel::Api.as_str(),
    };
    let engine = a.engine();
    let known = |id: &str| engine.kb().entry(id).is_some();
    if let Some(event) = req.event.as_deref() {
        let kind = match event {
            "unanswered" => FeedbackKind::Unanswered,
            "clarified" => FeedbackKind::Clarified,
            _ => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unknown_event",
                    "«event» deve essere \"unanswered\" o \"clarified\".",
                )
            }
        };
        let question = req.question.unwrap_or_default();
        if question.trim().is_empty() {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "missing_question",
                "Manca la domanda («question»).",
            );
        }
        let ids: Vec<String> = req
            .entry_ids
            .into_iter()
            .filter(|i| known(i))
            .take(5)
            .collect();
        record_question(state, &a.config.id, channel, kind, &question, ids);
        return Json(serde_json::json!({"ok": true})).into_response();
    }
    let (Some(entry_id), Some(helpful)) = (req.entry_id, req.helpful) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Un voto ha «entry_id» e «helpful»; una domanda segnalata ha «event» e «question».",
        );
    };
    if !known(&entry_id) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_entry",
            "Voce inesistente in questa base di conoscenza.",
        );
    }
    record_vote_on(
        state,
        &a.config.id,
        channel,
        &entry_id,
        helpful,
        req.question.as_deref(),
    );
    Json(serde_json::json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct AnswerRequest {
    entry_id: String,
}

/// `POST /v1/agencies/{agency}/answer`: the answer of a chosen entry (after "Forse cercavi…"
/// or a related question), in the same wire format as `ask`, with the notices valid now.
pub async fn answer(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, AnswerRequest) = match admit(
        &state,
        &agency,
        &peer,
        &headers,
        &body,
        "Corpo JSON non valido: atteso un oggetto come {\"entry_id\": \"…\"}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let engine = a.engine();
    match engine.answer_entry_in(&req.entry_id, &super::now()) {
        Some(reply) => {
            after_reply(&state, &a.config.id, Channel::Api, "", &reply);
            Json(reply.wire(&a.config.id)).into_response()
        }
        None => error(
            StatusCode::NOT_FOUND,
            "unknown_entry",
            "Nessuna voce con questo identificativo (la base di conoscenza può essere cambiata).",
        ),
    }
}

#[derive(Deserialize)]
struct SuggestRequest {
    text: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// One question offered while the citizen types.
#[derive(serde::Serialize)]
struct Suggestion<'a> {
    id: &'a str,
    question: &'a str,
}

/// `POST /v1/agencies/{agency}/suggest`: up to `limit` (default 5, at most 10) questions of
/// the KB the citizen may be typing.
pub async fn suggest(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, SuggestRequest) = match admit(
        &state,
        &agency,
        &peer,
        &headers,
        &body,
        "Corpo JSON non valido: atteso un oggetto come {\"text\": \"…\", \"limit\": 5}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let engine = a.engine();
    let found = engine.suggest(&req.text, req.limit.unwrap_or(5).clamp(1, 10));
    let list: Vec<Suggestion> = found
        .iter()
        .map(|c| Suggestion {
            id: &c.id,
            question: &c.question,
        })
        .collect();
    Json(serde_json::json!({ "agency": a.config.id, "suggestions": list })).into_response()
}

/// `GET /v1/agencies/{agency}/info`: the agency's name, human contacts and the sentence that
/// says citizens are talking to an automatic assistant (for a custom front-end's header).
pub async fn info(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
) -> Response {
    let a = match agency_for(&state, &agency, Channel::Api) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if let Err(r) = limited(&state, &agency, &peer, &headers) {
        return r;
    }
    let engine = a.engine();
    let kb = engine.kb();
    Json(serde_json::json!({
        "agency": a.config.id,
        "name": kb.agency.name,
        "contacts": kb.agency.contacts,
        "ai_disclosure": engine.ai_disclosure(),
        "entries": kb.entries.len(),
    }))
    .into_response()
}
