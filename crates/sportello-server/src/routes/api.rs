//! The JSON API: `POST /v1/agencies/{agency}/ask` and `.../feedback` (thumbs up/down).

use super::{after_reply, agency_for, error, record_vote};
use crate::client_ip::limit_key;
use crate::config::Channel;
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
    entry_id: String,
    helpful: bool,
    /// The question that got the answer (stored redacted with a thumbs-down).
    #[serde(default)]
    question: Option<String>,
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
    let mut v = match serde_json::to_value(&reply) {
        Ok(v) => v,
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Errore interno.",
            )
        }
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("agency".into(), a.config.id.clone().into());
        obj.insert("ids".into(), serde_json::json!(reply.entry_ids()));
        obj.insert("confidence".into(), serde_json::json!(reply.confidence()));
    }
    Json(v).into_response()
}

pub async fn feedback(
    State(state): State<Arc<AppState>>,
    Path(agency): Path<String>,
    peer: Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, FeedbackRequest) = match admit(
        &state,
        &agency,
        &peer,
        &headers,
        &body,
        "Corpo JSON non valido: atteso {\"entry_id\": \"…\", \"helpful\": false, \"question\": \"…\"}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if a.engine().kb().entry(&req.entry_id).is_none() {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_entry",
            "Voce inesistente in questa base di conoscenza.",
        );
    }
    record_vote(
        &state,
        &a.config.id,
        Channel::Api,
        &req.entry_id,
        req.helpful,
        req.question.as_deref(),
    );
    Json(serde_json::json!({"ok": true})).into_response()
}
