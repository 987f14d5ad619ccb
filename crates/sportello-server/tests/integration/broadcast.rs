//! Subscriptions to notices in chat: `/avvisi`, the "Ricevi gli avvisi" button, `/stop` and
//! "basta avvisi" on Telegram, the same words and payloads on WhatsApp and Messenger, stored
//! in the real SQLite store (and the queue on a real PostgreSQL). Sending (`sportello
//! notify`) is tested with the binary in crates/sportello-cli/tests/broadcast.rs.

use crate::common::*;
use serde_json::{json, Value};
use sportello_server::broadcast::{
    Claim, Outcome, SubscriberStore, SUBSCRIBE_PAYLOAD, UNSUBSCRIBE_PAYLOAD,
};
use sportello_server::config::Channel;
use sportello_server::feedback::{FeedbackStore, SqliteStore};
use std::sync::Arc;

fn chat_ids(db: &std::path::Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT channel, chat_id FROM subscribers ORDER BY channel, chat_id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

async fn telegram_text(s: &TestServer, update: Value) -> String {
    let r = post_telegram(s, &update, Some(TG_SECRET)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["method"], "sendMessage", "{body}");
    body["text"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_avvisi_button_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let s = start(Options {
        store: Some(store.clone() as Arc<dyn FeedbackStore>),
        ..Options::default()
    })
    .await;
    // /start offers the button.
    let r = post_telegram(&s, &telegram_message(1, 501, "/start"), Some(TG_SECRET)).await;
    let body: Value = r.json().await.unwrap();
    let button = &body["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["text"], "🔔 Ricevi gli avvisi");
    assert_eq!(button["callback_data"], SUBSCRIBE_PAYLOAD);

    let t = telegram_text(&s, telegram_message(2, 501, "/avvisi")).await;
    assert!(
        t.starts_with("Fatto: riceverà qui gli avvisi di Comune di Esempio"),
        "{t}"
    );
    assert!(t.contains("/stop"), "says how to stop: {t}");
    let t = telegram_text(&s, telegram_message(3, 501, "/avvisi@ComuneBot")).await;
    assert!(t.starts_with("È già iscritto"), "{t}");
    // The button (a callback) subscribes another chat.
    let t = telegram_text(&s, telegram_callback(4, 502, SUBSCRIBE_PAYLOAD)).await;
    assert!(t.starts_with("Fatto"), "{t}");
    assert_eq!(
        chat_ids(&db),
        vec![
            ("telegram".to_string(), "501".to_string()),
            ("telegram".to_string(), "502".to_string())
        ]
    );
    // A queued delivery of the chat goes with it on /stop.
    assert_eq!(store.enqueue(AGENCY, "n", 0, false).unwrap().added, 2);
    let t = telegram_text(&s, telegram_message(5, 501, "/stop")).await;
    assert!(t.starts_with("Non riceverà più gli avvisi"), "{t}");
    assert!(t.contains("/avvisi"), "{t}");
    assert_eq!(store.progress(AGENCY, "n").unwrap().total, 1);
    let t = telegram_text(&s, telegram_message(6, 502, "Basta avvisi!")).await;
    assert!(t.starts_with("Non riceverà più"), "{t}");
    assert!(chat_ids(&db).is_empty(), "rows deleted on unsubscribe");
    let t = telegram_text(&s, telegram_message(7, 502, "/stop")).await;
    assert!(t.starts_with("Non risulta iscritto"), "{t}");
    let t = telegram_text(&s, telegram_callback(8, 503, UNSUBSCRIBE_PAYLOAD)).await;
    assert!(t.starts_with("Non risulta iscritto"), "{t}");
    // None of these went to the engine.
    let metrics = s.metrics().await;
    assert!(!metrics.contains("sportello_replies_total{"), "{metrics}");
    assert!(metrics.contains(
        "sportello_subscriptions_total{channel=\"telegram\",action=\"subscribe\",changed=\"true\"} 2"
    ));
    // An ordinary question is still answered.
    let t = telegram_text(
        &s,
        telegram_message(9, 502, "quanto costa la carta d'identità"),
    )
    .await;
    assert!(t.contains("22,21"), "{t}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_store_subscriptions_are_off() {
    let s = start(Options::default()).await;
    let r = post_telegram(&s, &telegram_message(1, 501, "/start"), Some(TG_SECRET)).await;
    let body: Value = r.json().await.unwrap();
    assert!(body.get("reply_markup").is_none(), "no button: {body}");
    let t = telegram_text(&s, telegram_message(2, 501, "/avvisi")).await;
    assert!(t.starts_with("Il servizio avvisi non è attivo"), "{t}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_and_messenger_subscribe_by_words_and_payloads() {
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.sqlite");
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        store: Some(
            sportello_server::feedback::SqliteStore::open(&db)
                .map(Arc::new)
                .unwrap(),
        ),
        ..Options::default()
    })
    .await;
    assert_eq!(
        post_meta(
            &s,
            "whatsapp",
            &whatsapp_text("wamid.S1", "393331234567", "Avvisi"),
            APP_SECRET
        )
        .await,
        200
    );
    let got = api.wait_for(1).await;
    let text = got[0].body["text"]["body"].as_str().unwrap();
    assert!(text.starts_with("Fatto"), "{text}");
    assert!(text.contains("«basta avvisi»"), "{text}");
    // Messenger: the "Ricevi gli avvisi" quick reply.
    let quick = json!({
        "object": "page",
        "entry": [{"id": "PAGE_ID", "time": 1, "messaging": [{
            "sender": {"id": "PSID-77"}, "recipient": {"id": "PAGE_ID"}, "timestamp": 1,
            "message": {"mid": "m.S2", "text": "Ricevi gli avvisi",
                        "quick_reply": {"payload": SUBSCRIBE_PAYLOAD}}
        }]}]
    });
    assert_eq!(post_meta(&s, "messenger", &quick, APP_SECRET).await, 200);
    let got = api.wait_for(2).await;
    assert_eq!(got[1].body["recipient"]["id"], "PSID-77");
    assert!(got[1].body["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Fatto"));
    assert_eq!(
        chat_ids(&db),
        vec![
            ("messenger".to_string(), "PSID-77".to_string()),
            ("whatsapp".to_string(), "393331234567".to_string())
        ]
    );
    assert_eq!(
        post_meta(
            &s,
            "whatsapp",
            &whatsapp_text("wamid.S3", "393331234567", "basta avvisi"),
            APP_SECRET
        )
        .await,
        200
    );
    let got = api.wait_for(3).await;
    assert!(got[2].body["text"]["body"]
        .as_str()
        .unwrap()
        .starts_with("Non riceverà più"));
    assert_eq!(
        chat_ids(&db),
        vec![("messenger".to_string(), "PSID-77".to_string())]
    );
    // Instagram has no subscriptions: the words are a question for the engine.
    assert_eq!(
        post_meta(
            &s,
            "instagram",
            &instagram_text("m.S4", "IGSID-1", "avvisi"),
            APP_SECRET
        )
        .await,
        200
    );
    api.wait_for(4).await;
    assert_eq!(chat_ids(&db).len(), 1);
    s.stop().await;
}

/// The queue on PostgreSQL: the same behaviour as SQLite's, and two senders never claim the
/// same delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_queue_claims_each_delivery_once() {
    let Some(url) = crate::pg::fresh_db("broadcast").await else {
        return;
    };
    let store = crate::pg::open(&url).await;
    tokio::task::spawn_blocking(move || {
        for i in 0..200 {
            assert!(store
                .subscribe(AGENCY, Channel::Telegram, &i.to_string(), 100)
                .unwrap());
        }
        assert!(!store
            .subscribe(AGENCY, Channel::Telegram, "0", 200)
            .unwrap());
        assert_eq!(store.enqueue(AGENCY, "n", 1000, false).unwrap().added, 200);
        assert_eq!(store.enqueue(AGENCY, "n", 1000, false).unwrap().added, 0);
        // Two claimers on two connections (as two notify processes would be).
        let other = Arc::new(sportello_server::pg::PgStore::open(&url).unwrap());
        let claimed = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|sc| {
            for s in [store.clone(), other.clone()] {
                let claimed = &claimed;
                sc.spawn(move || loop {
                    match s.claim(AGENCY, "n", 1000).unwrap() {
                        Claim::Send(d) => {
                            s.finish(AGENCY, "n", d.subscriber, Outcome::Sent, 1000)
                                .unwrap();
                            claimed.lock().unwrap().push(d.chat_id);
                        }
                        Claim::WaitUntil(_) => {}
                        Claim::Done => break,
                    }
                });
            }
        });
        let mut claimed = claimed.into_inner().unwrap();
        claimed.sort();
        let before = claimed.len();
        claimed.dedup();
        assert_eq!((before, claimed.len()), (200, 200), "each claimed once");
        let p = store.progress(AGENCY, "n").unwrap();
        assert_eq!((p.total, p.sent), (200, 200));
        // Retry, removal, an interrupted send left uncertain.
        store
            .subscribe(AGENCY, Channel::Telegram, "new-a", 100)
            .unwrap();
        store
            .subscribe(AGENCY, Channel::Telegram, "new-b", 100)
            .unwrap();
        store
            .subscribe(AGENCY, Channel::Telegram, "new-c", 100)
            .unwrap();
        assert_eq!(store.enqueue(AGENCY, "n", 2000, false).unwrap().added, 3);
        let Claim::Send(a) = store.claim(AGENCY, "n", 2000).unwrap() else {
            panic!()
        };
        store
            .finish(AGENCY, "n", a.subscriber, Outcome::Retry(2500), 2000)
            .unwrap();
        let Claim::Send(b) = store.claim(AGENCY, "n", 2000).unwrap() else {
            panic!()
        };
        store
            .finish(AGENCY, "n", b.subscriber, Outcome::Removed, 2000)
            .unwrap();
        let Claim::Send(_c) = store.claim(AGENCY, "n", 2000).unwrap() else {
            panic!()
        };
        assert_eq!(
            store.claim(AGENCY, "n", 2000).unwrap(),
            Claim::WaitUntil(2500)
        );
        let Claim::Send(a2) = store.claim(AGENCY, "n", 2500).unwrap() else {
            panic!()
        };
        assert_eq!((a2.subscriber, a2.attempts), (a.subscriber, 2));
        let q = store.enqueue(AGENCY, "n", 3000, false).unwrap();
        assert_eq!((q.added, q.interrupted), (0, 2));
        assert_eq!(store.claim(AGENCY, "n", 3000).unwrap(), Claim::Done);
        let p = store.progress(AGENCY, "n").unwrap();
        assert_eq!((p.total, p.sent, p.removed, p.uncertain), (203, 200, 1, 2));
        assert_eq!(
            store.subscriber_counts(AGENCY).unwrap(),
            vec![("telegram".to_string(), 202)]
        );
        assert!(store
            .unsubscribe(AGENCY, Channel::Telegram, "new-a")
            .unwrap());
        assert!(!store
            .unsubscribe(AGENCY, Channel::Telegram, "new-a")
            .unwrap());
        assert_eq!(store.progress(AGENCY, "n").unwrap().total, 202);
    })
    .await
    .unwrap();
}

/// `sportello notify`'s sender on WhatsApp (the approved template) and Messenger (only within
/// 24 hours of the person's last message, which a message to the bot renews).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_template_and_messenger_window() {
    use sportello_server::broadcast::send::{
        run, Message, MessengerTarget, SendOptions, Targets, WhatsappTarget,
    };
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("s.sqlite")).unwrap());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    store
        .subscribe(AGENCY, Channel::Whatsapp, "393331234567", now)
        .unwrap();
    store
        .subscribe(AGENCY, Channel::Messenger, "PSID-RECENT", now - 3600)
        .unwrap();
    store
        .subscribe(AGENCY, Channel::Messenger, "PSID-OLD", now - 2 * 86_400)
        .unwrap();
    // No Telegram target in this run: skipped, left for a later one.
    store
        .subscribe(AGENCY, Channel::Telegram, "42", now)
        .unwrap();
    let targets = Targets {
        telegram: None,
        whatsapp: Some(WhatsappTarget {
            graph_base_url: api.base_url.clone(),
            access_token: ACCESS_TOKEN.into(),
            phone_number_id: "106540352242922".into(),
            template: "avviso_comune".into(),
            language: "it".into(),
        }),
        messenger: Some(MessengerTarget {
            graph_base_url: api.base_url.clone(),
            access_token: ACCESS_TOKEN.into(),
        }),
    };
    let message = Message {
        notice_id: "sciopero".into(),
        title: "Uffici chiusi".into(),
        text: "Venerdì gli uffici sono chiusi.\n\nRiaprono lunedì.".into(),
    };
    let send = |store: Arc<SqliteStore>, targets: Targets, message: Message| {
        tokio::task::spawn_blocking(move || {
            let opts = SendOptions::default();
            run(
                &*store,
                AGENCY,
                &message,
                &targets,
                &opts,
                Arc::default(),
                &mut |_| {},
            )
            .unwrap()
        })
    };
    let summary = send(store.clone(), targets.clone(), message.clone())
        .await
        .unwrap();
    let p = &summary.progress;
    assert_eq!((p.total, p.sent, p.skipped), (4, 2, 2), "{p:?}");
    let got = api.received();
    assert_eq!(got.len(), 2);
    let wa = got
        .iter()
        .find(|r| r.path == "/v21.0/106540352242922/messages")
        .unwrap();
    assert_eq!(wa.authorization.as_deref(), Some("Bearer access-token-xyz"));
    assert_eq!(wa.body["type"], "template");
    assert_eq!(wa.body["to"], "393331234567");
    assert_eq!(wa.body["template"]["name"], "avviso_comune");
    assert_eq!(wa.body["template"]["language"]["code"], "it");
    let params = &wa.body["template"]["components"][0]["parameters"];
    assert_eq!(params[0]["text"], "Uffici chiusi");
    assert_eq!(
        params[1]["text"],
        "Venerdì gli uffici sono chiusi. · Riaprono lunedì."
    );
    let ms = got.iter().find(|r| r.path == "/v21.0/me/messages").unwrap();
    assert_eq!(ms.body["recipient"]["id"], "PSID-RECENT");
    assert_eq!(ms.body["messaging_type"], "UPDATE");
    let text = ms.body["message"]["text"].as_str().unwrap();
    assert!(text.starts_with("Uffici chiusi\n\nVenerdì"), "{text}");
    assert!(text.ends_with("scriva «basta avvisi»."), "{text}");

    // The old Messenger subscriber writes to the bot: the window opens again, and the next
    // run sends to it (and to nobody twice).
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        store: Some(store.clone()),
        ..Options::default()
    })
    .await;
    assert_eq!(
        post_meta(
            &s,
            "messenger",
            &messenger_text("m.Q1", "PSID-OLD", "orari anagrafe"),
            APP_SECRET
        )
        .await,
        200
    );
    api.wait_for(3).await;
    s.stop().await;
    let summary = send(store.clone(), targets, message).await.unwrap();
    assert_eq!(
        (
            summary.sent_now,
            summary.progress.sent,
            summary.progress.skipped
        ),
        (1, 3, 1)
    );
    let got = api.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].body["recipient"]["id"], "PSID-OLD");
}
