//! The JSON API: `POST /v1/agencies/{agency}/ask` and `.../feedback` (thumbs up/down).

use super::{after_reply, agency_for, error, record_vote};
use crate::config::Channel;
use crate::state::{AgencyState, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;

/// Header naming the API client, for its rate limit.
pub const CLIENT_HEADER: &str = "x-sportello-client";

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

/// What both routes start with: the agency (with the API enabled), the client's rate limit,
/// then the JSON body. A body that does not parse gets `expected` as its message (serde's own
/// message may quote the input, so it is not echoed).
#[allow(clippy::result_large_err)]
fn admit<T: DeserializeOwned>(
    state: &AppState,
    agency: &str,
    headers: &HeaderMap,
    body: &[u8],
    expected: &'static str,
) -> Result<(Arc<AgencyState>, T), Response> {
    let a = agency_for(state, agency, Channel::Api)?;
    limited(state, agency, headers)?;
    let req = serde_json::from_slice(body)
        .map_err(|_| error(StatusCode::BAD_REQUEST, "bad_request", expected))?;
    Ok((a, req))
}

#[allow(clippy::result_large_err)]
fn limited(state: &AppState, agency: &str, headers: &HeaderMap) -> Result<(), Response> {
    if !state.api_limit.enabled() {
        return Ok(());
    }
    let Some(client) = headers.get(CLIENT_HEADER).and_then(|v| v.to_str().ok()) else {
        return Ok(());
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
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, AskRequest) = match admit(
        &state,
        &agency,
        &headers,
        &body,
        "Corpo JSON non valido: atteso un oggetto come {\"question\": \"…\"}.",
    ) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let engine = a.engine();
    let reply = engine.ask(&req.question);
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
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (a, req): (_, FeedbackRequest) = match admit(
        &state,
        &agency,
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
