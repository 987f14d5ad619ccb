//! Personal data in citizens' messages (codice fiscale, phone numbers, sender ids) never
//! reaches the logs or the feedback database in clear. Logs are captured at TRACE level from
//! every crate, so nothing is hidden by the level filter.

use crate::common::*;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .init();
        buf
    })
}

const CF: &str = "RSSMRA85T10A562S";
const MOBILE: &str = "333 1234567";
const LANDLINE: &str = "+39 06 12345678";
const WA_SENDER: &str = "393339876543";
const TG_CHAT: i64 = 918_273_645;
const PLATE: &str = "AB123CD";
const ID_CARD: &str = "CA12345AB";

fn forbidden() -> Vec<String> {
    vec![
        CF.to_string(),
        CF.to_lowercase(),
        MOBILE.to_string(),
        "3331234567".into(),
        LANDLINE.to_string(),
        "12345678".into(),
        WA_SENDER.to_string(),
        TG_CHAT.to_string(),
        PLATE.to_string(),
        ID_CARD.to_string(),
        "Mario Rossi".into(),
        "Garibaldi 12".into(),
        "\u{1b}[31m".into(),
        TG_SECRET.to_string(),
        APP_SECRET.to_string(),
        ACCESS_TOKEN.to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn personal_data_never_in_logs_or_database() {
    let logs = logs();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedback.sqlite");
    let api = FakeApi::start().await;
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let clarified = clarify_question(&s.state, &format!(" {CF} {MOBILE}"));
    let unanswered = format!(
        "sono {CF}, mi chiamo Mario Rossi, abito in via Giuseppe Garibaldi 12, targa {PLATE}, \
         {ID_CARD}, il mio cellulare è {MOBILE} e il fisso {LANDLINE}: \u{1b}[31mquando passa il \
         camion dei gelati?"
    );
    // JSON API: a decline and a clarify are stored.
    assert_eq!(s.ask(&unanswered).await["kind"], "decline");
    assert_eq!(s.ask(&clarified).await["kind"], "clarify");
    // Thumbs-down with the question.
    let r = s
        .client
        .post(s.agency_url("feedback"))
        .json(&json!({"entry_id": "cie-costo", "helpful": false, "question": unanswered}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Telegram and WhatsApp.
    let r = post_telegram(
        &s,
        &telegram_message(5, TG_CHAT, &unanswered),
        Some(TG_SECRET),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = post_telegram(
        &s,
        &telegram_message(6, TG_CHAT, &unanswered),
        Some("wrong"),
    )
    .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        post_meta(
            &s,
            "whatsapp",
            &whatsapp_text("wamid.P1", WA_SENDER, &unanswered),
            APP_SECRET
        )
        .await,
        200
    );
    assert_eq!(
        post_meta(
            &s,
            "whatsapp",
            &whatsapp_text("wamid.P2", WA_SENDER, &unanswered),
            "bad"
        )
        .await,
        401
    );
    assert_eq!(api.wait_for(1).await.len(), 1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.stop().await; // drains the feedback writer; the store is closed with it

    // The database holds the redacted questions, and nothing in clear (WAL included).
    let conn = rusqlite::Connection::open(&db).unwrap();
    let questions: Vec<String> = conn
        .prepare("SELECT question FROM feedback")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    drop(conn);
    assert_eq!(
        questions.len(),
        5,
        "api ×2, thumbs-down, telegram, whatsapp: {questions:?}"
    );
    assert!(questions
        .iter()
        .all(|q| q.contains("[CODICE FISCALE]") && q.contains("[TELEFONO]")));
    let full = questions.iter().filter(|q| {
        ["[NOME]", "[INDIRIZZO]", "[TARGA]", "[DOCUMENTO]"]
            .iter()
            .all(|p| q.contains(p))
    });
    assert_eq!(
        full.count(),
        4,
        "api, thumbs-down, telegram, whatsapp: {questions:?}"
    );
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir.path()).unwrap() {
        bytes.extend(std::fs::read(e.unwrap().path()).unwrap());
    }
    let db_text = String::from_utf8_lossy(&bytes);
    for f in forbidden() {
        assert!(!db_text.contains(&f), "database contains {f:?}");
    }

    // The logs recorded the events, and no personal data.
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(text.contains("\"kind\":\"decline\""), "logs were captured");
    assert!(text.contains("bad webhook signature"));
    for f in forbidden() {
        assert!(!text.contains(&f), "logs contain {f:?}");
    }
    assert!(
        !text.contains("camion dei gelati"),
        "logs contain message text"
    );
}

/// A subscriber's chat id is in the store only while subscribed: never in the logs, and gone
/// from the database files (WAL included) once they unsubscribe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriber_ids_never_logged_and_gone_after_unsubscribe() {
    const CHAT: i64 = 927_364_518;
    const PHONE: &str = "393337654321";
    let logs = logs();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let api = FakeApi::start().await;
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let files = || {
        let mut bytes = Vec::new();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(e.unwrap().path()).unwrap());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    };
    post_telegram(&s, &telegram_message(1, CHAT, "/avvisi"), Some(TG_SECRET)).await;
    post_meta(
        &s,
        "whatsapp",
        &whatsapp_text("wamid.U1", PHONE, "avvisi"),
        APP_SECRET,
    )
    .await;
    api.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stored = files();
    assert!(
        stored.contains(&CHAT.to_string()) && stored.contains(PHONE),
        "subscribed"
    );
    post_telegram(&s, &telegram_message(2, CHAT, "/stop"), Some(TG_SECRET)).await;
    post_meta(
        &s,
        "whatsapp",
        &whatsapp_text("wamid.U2", PHONE, "basta avvisi"),
        APP_SECRET,
    )
    .await;
    api.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = files();
    assert!(
        !left.contains(&CHAT.to_string()),
        "Telegram chat id left in the files"
    );
    assert!(!left.contains(PHONE), "WhatsApp number left in the files");
    s.stop().await;
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("\"action\":\"unsubscribe\""),
        "logs were captured"
    );
    assert!(
        !text.contains(&CHAT.to_string()) && !text.contains(PHONE),
        "ids in the logs"
    );
}
