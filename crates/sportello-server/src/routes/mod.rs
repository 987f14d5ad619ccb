//! The HTTP routes: liveness and readiness, metrics, OpenAPI, the JSON API and the platform webhooks, with
//! the layers every request goes through (body-size limit, timeout, metrics).

pub mod api;
pub mod meta;
pub mod telegram;

use crate::config::Channel;
use crate::feedback::{FeedbackEvent, FeedbackKind, ReplyCount};
use crate::state::{AgencyState, AppState};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sportello_core::{AskContext, DeclineReason, Reply, Timestamp};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::timeout::TimeoutLayer;

/// The application's router.
pub fn router(state: Arc<AppState>) -> Router {
    let limits = &state.limits;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/v1/agencies/{agency}/ask", post(api::ask))
        .route("/v1/agencies/{agency}/answer", post(api::answer))
        .route("/v1/agencies/{agency}/suggest", post(api::suggest))
        .route("/v1/agencies/{agency}/info", get(api::info))
        .route(
            "/v1/agencies/{agency}/feedback",
            post(api::feedback).options(api::feedback_preflight),
        )
        .route("/v1/agencies/{agency}/telegram", post(telegram::webhook))
        .route(
            "/v1/agencies/{agency}/whatsapp",
            get(meta::verify).post(meta::whatsapp),
        )
        .route(
            "/v1/agencies/{agency}/messenger",
            get(meta::verify).post(meta::messenger),
        )
        .route(
            "/v1/agencies/{agency}/instagram",
            get(meta::verify).post(meta::instagram),
        )
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(limits.request_timeout_ms),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        .with_state(state)
}

/// The context of a question asked now (the server's clock; the engine reads none).
pub(crate) fn now() -> AskContext {
    AskContext::at(Timestamp::from_system_time(std::time::SystemTime::now()))
}

/// Counts every request and its latency by route template (never the raw path).
async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".to_string());
    let resp = next.run(req).await;
    state
        .metrics
        .request(&route, resp.status().as_u16(), start.elapsed());
    resp
}

/// Liveness: the process answers (200 as long as it runs, also while draining), with the
/// agencies it serves.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let agencies: Vec<_> = state
        .agencies
        .values()
        .map(|a| {
            serde_json::json!({
                "id": a.config.id,
                "entries": a.engine().kb().entries.len(),
            })
        })
        .collect();
    Json(serde_json::json!({"status": "ok", "agencies": agencies})).into_response()
}

/// Readiness: 200 when new requests should be sent here, 503 with the reasons otherwise (a
/// stop was requested and requests are draining, or the feedback writer has stopped).
/// Every agency has an engine from start-up on: a reload that fails keeps the previous one.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let mut problems = Vec::new();
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        problems.push("draining");
    }
    if !state.feedback.is_running() {
        problems.push("feedback_writer_stopped");
    }
    let (status, word) = if problems.is_empty() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not_ready")
    };
    (
        status,
        Json(serde_json::json!({
            "status": word,
            "problems": problems,
            "agencies": state.agencies.len(),
        })),
    )
        .into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let mut text = state.metrics.render();
    text.push_str("# TYPE sportello_feedback_dropped_total counter\n");
    text.push_str(&format!(
        "sportello_feedback_dropped_total {}\n",
        state.feedback.dropped()
    ));
    text.push_str("# TYPE sportello_feedback_capped_total counter\n");
    for (agency, n) in state.feedback.capped() {
        text.push_str(&format!(
            "sportello_feedback_capped_total{{agency=\"{agency}\"}} {n}\n"
        ));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "Risorsa inesistente.")
}

/// A JSON error body `{"error": code, "message": text}`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "message": message})),
    )
        .into_response()
}

/// The agency, if it exists and has the channel enabled (404 otherwise, so unknown agencies
/// and disabled channels look the same).
#[allow(clippy::result_large_err)]
pub fn agency_for(
    state: &AppState,
    agency: &str,
    channel: Channel,
) -> Result<Arc<AgencyState>, Response> {
    match state.agencies.get(agency) {
        Some(a) if a.config.has(channel) => Ok(a.clone()),
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "unknown_agency",
            "Ente o canale non configurato.",
        )),
    }
}

/// True the first time a chat platform delivers this update or message (`id`); repeated
/// deliveries are counted and should be acknowledged without a reply.
pub async fn first_delivery(
    state: &AppState,
    agency: &str,
    channel: Channel,
    id: impl std::fmt::Display,
) -> bool {
    let ch = channel.as_str();
    let first = state.dedup.first_time(&format!("{agency}:{ch}:{id}")).await;
    if !first {
        state
            .metrics
            .add("sportello_duplicates_total", format!("channel=\"{ch}\""));
    }
    first
}

/// True while a chat user (`user`: the platform's id) is within the per-user rate limit;
/// refusals are counted.
pub fn user_allowed(
    state: &AppState,
    agency: &str,
    channel: Channel,
    user: impl std::fmt::Display,
) -> bool {
    let ch = channel.as_str();
    let ok = state.user_limit.allow(&format!("{agency}:{ch}:{user}"));
    if !ok {
        state
            .metrics
            .add("sportello_rate_limited_total", format!("channel=\"{ch}\""));
    }
    ok
}

/// Bookkeeping after the engine replied: metrics, a log line without personal data, and
/// the editors' feedback store for declines and clarifications.
pub fn after_reply(
    state: &AppState,
    agency: &str,
    channel: Channel,
    question: &str,
    reply: &Reply,
) {
    let ch = channel.as_str();
    state.metrics.reply(agency, ch, reply.kind());
    let ids = reply.entry_ids();
    if channel == Channel::Api {
        tracing::debug!(
            agency,
            channel = ch,
            kind = reply.kind(),
            entry = ids.first().copied(),
            confidence = reply.confidence(),
            "reply"
        );
    } else {
        tracing::info!(
            agency,
            channel = ch,
            kind = reply.kind(),
            entry = ids.first().copied(),
            confidence = reply.confidence(),
            "reply"
        );
    }
    if !matches!(
        reply,
        Reply::Decline {
            reason: DeclineReason::Empty,
            ..
        }
    ) {
        let entry = ids.first().copied().unwrap_or("");
        state
            .feedback
            .count(ReplyCount::now(agency, ch, reply.kind(), entry));
    }
    let event = match reply {
        Reply::Decline {
            reason: DeclineReason::Empty,
            ..
        } => None,
        Reply::Decline { candidates, .. } => Some((
            FeedbackKind::Unanswered,
            candidates.iter().map(|c| c.id.clone()).collect(),
        )),
        Reply::Clarify { .. } => Some((
            FeedbackKind::Clarified,
            ids.iter().map(|s| s.to_string()).collect(),
        )),
        _ => None,
    };
    if let Some((kind, ids)) = event {
        state
            .feedback
            .submit(FeedbackEvent::new(agency, ch, kind, question, ids));
    }
}

/// Records a thumbs-down (or counts a thumbs-up) for an answered entry.
pub fn record_vote(
    state: &AppState,
    agency: &str,
    channel: Channel,
    entry_id: &str,
    helpful: bool,
    question: Option<&str>,
) {
    record_vote_on(state, agency, channel.as_str(), entry_id, helpful, question);
}

/// A question the website widget reports (declined or clarified in the browser): stored
/// redacted and counted, like the server's own replies.
pub fn record_question(
    state: &AppState,
    agency: &str,
    ch: &'static str,
    kind: FeedbackKind,
    question: &str,
    ids: Vec<String>,
) {
    let reply_kind = match kind {
        FeedbackKind::Clarified => "clarify",
        _ => "decline",
    };
    let first = if kind == FeedbackKind::Clarified {
        ids.first().map_or("", String::as_str)
    } else {
        ""
    };
    state
        .feedback
        .count(ReplyCount::now(agency, ch, reply_kind, first));
    state
        .feedback
        .submit(FeedbackEvent::new(agency, ch, kind, question, ids));
}

/// [`record_vote`] on a channel named by its label (`widget` has no [`Channel`]).
pub fn record_vote_on(
    state: &AppState,
    agency: &str,
    ch: &'static str,
    entry_id: &str,
    helpful: bool,
    question: Option<&str>,
) {
    let vote = if helpful { "up" } else { "down" };
    state.feedback.count(ReplyCount::now(
        agency,
        ch,
        if helpful { "vote_up" } else { "vote_down" },
        entry_id,
    ));
    state.metrics.add(
        "sportello_votes_total",
        format!("agency=\"{agency}\",channel=\"{}\",vote=\"{vote}\"", ch),
    );
    tracing::info!(agency, channel = ch, entry = entry_id, vote, "vote");
    if !helpful {
        state.feedback.submit(FeedbackEvent::new(
            agency,
            ch,
            FeedbackKind::ThumbsDown,
            question.unwrap_or(""),
            vec![entry_id.to_string()],
        ));
    }
}

/// Carries out a subscription command (`/avvisi`, `/stop`, "basta avvisi", the button) for a
/// chat and returns the reply to send. The chat id goes to the store only: never logged.
pub async fn subscription_reply(
    state: &AppState,
    a: &AgencyState,
    channel: Channel,
    chat_id: String,
    command: crate::broadcast::Command,
) -> String {
    use crate::broadcast::{text, Command};
    let ch = channel.as_str();
    let Some(store) = state.subscribers.clone() else {
        return text::UNAVAILABLE.to_string();
    };
    let agency = a.config.id.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let result = tokio::task::spawn_blocking(move || match command {
        Command::Subscribe => store.subscribe(&agency, channel, &chat_id, now),
        Command::Unsubscribe => store.unsubscribe(&agency, channel, &chat_id),
    })
    .await;
    let action = match command {
        Command::Subscribe => "subscribe",
        Command::Unsubscribe => "unsubscribe",
    };
    let changed = match result {
        Ok(Ok(changed)) => changed,
        Ok(Err(e)) => {
            tracing::warn!(agency = a.config.id.as_str(), channel = ch, action, error = %e, "subscription not stored");
            return text::STORE_ERROR.to_string();
        }
        Err(_) => return text::STORE_ERROR.to_string(),
    };
    state.metrics.add(
        "sportello_subscriptions_total",
        format!("channel=\"{ch}\",action=\"{action}\",changed=\"{changed}\""),
    );
    tracing::info!(
        agency = a.config.id.as_str(),
        channel = ch,
        action,
        changed,
        "subscription"
    );
    match (command, changed) {
        (Command::Subscribe, true) => text::subscribed(ch, &a.engine().kb().agency.name),
        (Command::Subscribe, false) => text::already(ch),
        (Command::Unsubscribe, true) => text::unsubscribed(ch),
        (Command::Unsubscribe, false) => text::not_subscribed(ch),
    }
}
