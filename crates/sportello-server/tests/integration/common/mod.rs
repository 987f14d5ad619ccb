//! Test helpers: the real server on 127.0.0.1:0, a fake Graph API / Bot API that records
//! what it receives, and signatures computed the way the platforms do.

#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::Router;
use serde_json::Value;
use sportello_server::config::{Config, FileConfig};
use sportello_server::feedback::{FeedbackStore, SqliteStore};
use sportello_server::state::AppState;
use sportello_server::Server;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const AGENCY: &str = "comune-di-esempio";
pub const TG_SECRET: &str = "tg-secret-123";
pub const APP_SECRET: &str = "meta-app-secret";
pub const VERIFY_TOKEN: &str = "verify-me";
pub const ACCESS_TOKEN: &str = "access-token-xyz";

pub fn example_kb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge-base/comune-di-esempio")
}

/// A request received by the fake platform API.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// A local HTTP server playing the Graph API (and the Telegram Bot API).
pub struct FakeApi {
    pub base_url: String,
    pub received: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeApi {
    pub async fn start() -> FakeApi {
        let received: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        async fn record(
            State(rec): State<Arc<Mutex<Vec<Recorded>>>>,
            uri: Uri,
            headers: HeaderMap,
            body: Bytes,
        ) -> axum::Json<Value> {
            rec.lock().unwrap().push(Recorded {
                path: uri.path().to_string(),
                authorization: headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            axum::Json(
                serde_json::json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.OUT"}]}),
            )
        }
        let app = Router::new().fallback(record).with_state(received.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeApi {
            base_url: format!("http://{addr}/v21.0"),
            received,
        }
    }

    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests arrived (or 5 s passed).
    pub async fn wait_for(&self, n: usize) -> Vec<Recorded> {
        for _ in 0..250 {
            if self.received.lock().unwrap().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.received()
    }
}

/// A running server.
pub struct TestServer {
    pub base: String,
    pub state: Arc<AppState>,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn agency_url(&self, route: &str) -> String {
        self.url(&format!("/v1/agencies/{AGENCY}/{route}"))
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn ask(&self, question: &str) -> Value {
        self.client
            .post(self.agency_url("ask"))
            .json(&serde_json::json!({ "question": question }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Asks the server to stop (as SIGTERM does) without waiting for it.
    pub fn request_stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Graceful shutdown: waits for the server to drain (and the feedback to be written).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
    }
}

/// Options of a test server.
pub struct Options {
    pub kb: PathBuf,
    pub graph_base_url: String,
    pub extra_toml: String,
    pub store: Option<Arc<dyn FeedbackStore>>,
    pub bot_token: bool,
    pub reload_poll_seconds: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kb: example_kb(),
            graph_base_url: "http://127.0.0.1:9/v21.0".into(),
            extra_toml: String::new(),
            store: None,
            bot_token: false,
            reload_poll_seconds: 0,
        }
    }
}

pub fn sqlite_store(path: &Path) -> Arc<dyn FeedbackStore> {
    Arc::new(SqliteStore::open(path).unwrap())
}

/// Starts the real server on 127.0.0.1:0 with the example agency on every channel.
pub async fn start(opts: Options) -> TestServer {
    let text = format!(
        r#"
[server]
reload_poll_seconds = {poll}
telegram_api_base_url = "{graph}"
{extra}

[[agency]]
id = "{AGENCY}"
kb = "{kb}"
channels = ["api", "telegram", "whatsapp", "messenger", "instagram"]
widget_origins = ["https://www.comune.example"]
[agency.telegram]
secret_env = "TG"
bot_token_env = "TG_TOKEN"
[agency.meta]
app_secret_env = "APP"
verify_token_env = "VERIFY"
access_token_env = "ACCESS"
"#,
        graph = opts.graph_base_url.trim_end_matches("/v21.0"),
        extra = opts.extra_toml,
        poll = opts.reload_poll_seconds,
        kb = opts.kb.display(),
    );
    let file: FileConfig = toml::from_str(&text).unwrap();
    let graph = opts.graph_base_url.clone();
    let bot_token = opts.bot_token;
    let config = Config::resolve(file, Path::new("/"), move |name| match name {
        "TG" => Some(TG_SECRET.into()),
        "TG_TOKEN" if bot_token => Some("123:bot-token".into()),
        "APP" => Some(APP_SECRET.into()),
        "VERIFY" => Some(VERIFY_TOKEN.into()),
        "ACCESS" => Some(ACCESS_TOKEN.into()),
        "SPORTELLO_GRAPH_BASE_URL" => Some(graph.clone()),
        _ => None,
    })
    .unwrap();
    let server = Server::with_store(&config, opts.store).unwrap();
    let state = server.state().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    TestServer {
        base: format!("http://{addr}"),
        state,
        client: reqwest::Client::new(),
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// Copies a KB folder (one level of subfolders) to `dest`.
pub fn copy_kb(src: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let target = dest.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_kb(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

pub fn telegram_message(update_id: i64, user: i64, text: &str) -> Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "from": {"id": user, "is_bot": false, "first_name": "Mario", "language_code": "it"},
            "chat": {"id": user, "type": "private", "first_name": "Mario"},
            "text": text
        }
    })
}

pub fn telegram_callback(update_id: i64, user: i64, data: &str) -> Value {
    serde_json::json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cb{update_id}"),
            "from": {"id": user, "is_bot": false, "first_name": "Mario"},
            "message": {"message_id": 10, "date": 1_700_000_000, "chat": {"id": user, "type": "private"}, "text": "…"},
            "chat_instance": "42",
            "data": data
        }
    })
}

pub fn whatsapp_text(wamid: &str, from: &str, text: &str) -> Value {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                    "contacts": [{"profile": {"name": "Mario Rossi"}, "wa_id": from}],
                    "messages": [{"from": from, "id": wamid, "timestamp": "1700000000", "type": "text", "text": {"body": text}}]
                }
            }]
        }]
    })
}

/// A text message as the Messenger Platform delivers it (`object` "page" for Messenger,
/// "instagram" for Instagram Direct), from `sender` to the account `account`.
fn messaging_text(object: &str, account: &str, mid: &str, sender: &str, text: &str) -> Value {
    serde_json::json!({
        "object": object,
        "entry": [{
            "id": account,
            "time": 1_700_000_000_000u64,
            "messaging": [{
                "sender": {"id": sender},
                "recipient": {"id": account},
                "timestamp": 1_700_000_000_000u64,
                "message": {"mid": mid, "text": text}
            }]
        }]
    })
}

/// An Instagram Direct text message.
pub fn instagram_text(mid: &str, igsid: &str, text: &str) -> Value {
    messaging_text("instagram", "IG_ID", mid, igsid, text)
}

pub fn messenger_text(mid: &str, psid: &str, text: &str) -> Value {
    messaging_text("page", "PAGE_ID", mid, psid, text)
}

/// POSTs a Meta webhook with the signature Meta computes (HMAC-SHA256 of the raw body).
pub async fn post_meta(
    server: &TestServer,
    channel: &str,
    body: &Value,
    secret: &str,
) -> reqwest::StatusCode {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = sportello_server::signature::meta_signature(&raw, secret);
    server
        .client
        .post(server.agency_url(channel))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", sig)
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
}

pub async fn post_telegram(
    server: &TestServer,
    update: &Value,
    secret: Option<&str>,
) -> reqwest::Response {
    let mut req = server
        .client
        .post(server.agency_url("telegram"))
        .json(update);
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.unwrap()
}

/// A question the engine answers with "Forse cercavi…" (`prefix` + a word + `suffix`), found
/// among the example KB's tags so the tests do not depend on the engine's exact thresholds.
pub fn clarify_question(state: &AppState, suffix: &str) -> String {
    let engine = state.agencies[AGENCY].engine();
    let mut words: Vec<String> = ["biblioteca", "carta", "orari", "residenza", "certificato"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for e in &engine.kb().entries {
        words.extend(e.tags.iter().cloned());
    }
    for w in words {
        let q = format!("{w}{suffix}");
        if engine.ask(&q).kind() == "clarify" {
            return q;
        }
    }
    panic!("no question gives a clarify reply in the example KB")
}
