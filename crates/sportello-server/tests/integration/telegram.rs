//! The Telegram webhook with Telegram's payload shapes and secret header.

use crate::common::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_is_required() {
    let s = start(Options::default()).await;
    let update = telegram_message(1, 777, "quanto costa la carta d'identità");
    for secret in [
        None,
        Some("wrong"),
        Some(""),
        Some("tg-secret-12"),
        Some("tg-secret-1234"),
    ] {
        let r = post_telegram(&s, &update, secret).await;
        assert_eq!(r.status(), 401, "secret {secret:?}");
    }
    // Nothing was answered or remembered: the same update with the right secret is answered.
    let r = post_telegram(&s, &update, Some(TG_SECRET)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["method"], "sendMessage");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_in_the_webhook_body_once() {
    let s = start(Options::default()).await;
    let update = telegram_message(1001, 4242, "quanto costa la carta d'identità?");
    let r = post_telegram(&s, &update, Some(TG_SECRET)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["method"], "sendMessage");
    assert_eq!(body["chat_id"], 4242);
    assert_eq!(body["parse_mode"], "HTML");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("<b>Quanto costa la carta d"), "{text}");
    assert!(text.contains("22,21"));
    assert!(text.chars().count() < 4096);
    // 👍 / 👎 on the last row.
    let rows = body["reply_markup"]["inline_keyboard"].as_array().unwrap();
    let last = rows.last().unwrap().as_array().unwrap();
    assert_eq!(last[1]["callback_data"], "d:cie-costo");

    // Telegram retries the same update: answered once.
    let again = post_telegram(&s, &update, Some(TG_SECRET)).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.text().await.unwrap(), "");
    let metrics = s.metrics().await;
    assert!(metrics.contains("sportello_duplicates_total{channel=\"telegram\"} 1"));
    assert!(metrics.contains(&format!(
        "sportello_replies_total{{agency=\"{AGENCY}\",channel=\"telegram\",kind=\"answer\"}} 1"
    )));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clarify_keyboard_and_callback_choice() {
    let s = start(Options::default()).await;
    let r = post_telegram(
        &s,
        &telegram_message(1, 5, &clarify_question(&s.state, "")),
        Some(TG_SECRET),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert!(body["text"].as_str().unwrap().starts_with("Forse cercavi…"));
    let rows = body["reply_markup"]["inline_keyboard"].as_array().unwrap();
    assert!(rows.len() >= 3, "options and 'none of these': {body}");
    let data: Vec<&str> = rows
        .iter()
        .map(|r| r[0]["callback_data"].as_str().unwrap())
        .collect();
    assert!(data.iter().all(|d| d.len() <= 64));
    assert_eq!(*data.last().unwrap(), "x");

    // The citizen taps the first option.
    let r = post_telegram(&s, &telegram_callback(2, 5, data[0]), Some(TG_SECRET)).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["method"], "sendMessage");
    assert_eq!(body["chat_id"], 5);
    let id = data[0].strip_prefix("e:").unwrap();
    let engine = s.state.agencies[AGENCY].engine();
    let question = &engine.kb().entry(id).unwrap().question;
    let expected = question.replace('"', "&quot;");
    assert!(body["text"].as_str().unwrap().contains(&expected), "{body}");

    // "Nessuna di queste" gives the contacts.
    let r = post_telegram(&s, &telegram_callback(3, 5, "x"), Some(TG_SECRET)).await;
    let body: Value = r.json().await.unwrap();
    assert!(body["text"].as_str().unwrap().contains("0123 456789"));

    // A forged or stale payload is answered politely.
    let r = post_telegram(
        &s,
        &telegram_callback(4, 5, "e:non-esiste"),
        Some(TG_SECRET),
    )
    .await;
    let body: Value = r.json().await.unwrap();
    assert!(body["text"]
        .as_str()
        .unwrap()
        .contains("non è più disponibile"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_text_start_and_junk_are_acknowledged() {
    let s = start(Options::default()).await;
    let mut photo = telegram_message(1, 9, "");
    photo["message"].as_object_mut().unwrap().remove("text");
    let body: Value = post_telegram(&s, &photo, Some(TG_SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["text"]
        .as_str()
        .unwrap()
        .contains("solo a messaggi di testo"));

    let body: Value = post_telegram(&s, &telegram_message(2, 9, "/start"), Some(TG_SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["text"].as_str().unwrap().contains("Comune di Esempio"));

    // Authenticated but unreadable or unknown updates: 200, nothing to send.
    for junk in [
        serde_json::json!({"update_id": 3, "edited_message": {"chat": {"id": 1}}}),
        serde_json::json!({"hello": "world"}),
        serde_json::json!([1, 2, 3]),
    ] {
        let r = post_telegram(&s, &junk, Some(TG_SECRET)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "");
    }
    // Group chats are not served.
    let mut group = telegram_message(4, 9, "tari");
    group["message"]["chat"]["type"] = "group".into();
    let r = post_telegram(&s, &group, Some(TG_SECRET)).await;
    assert_eq!(r.text().await.unwrap(), "");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_user_rate_limit_after_authentication() {
    let s = start(Options {
        extra_toml: "[limits]\nuser_per_minute = 2\nuser_burst = 3\n".into(),
        ..Options::default()
    })
    .await;
    let mut answered = 0;
    for i in 0..6 {
        let r = post_telegram(&s, &telegram_message(100 + i, 31, "tari"), Some(TG_SECRET)).await;
        assert_eq!(r.status(), 200);
        if !r.text().await.unwrap().is_empty() {
            answered += 1;
        }
    }
    assert_eq!(answered, 3);
    // Another user is not affected.
    let r = post_telegram(&s, &telegram_message(200, 32, "tari"), Some(TG_SECRET)).await;
    assert!(!r.text().await.unwrap().is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbs_down_button_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.sqlite");
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        ..Options::default()
    })
    .await;
    let body: Value = post_telegram(&s, &telegram_callback(1, 8, "d:cie-costo"), Some(TG_SECRET))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["text"].as_str().unwrap().starts_with("Grazie"));
    s.stop().await;
    let rows = sportello_server::report(&db, None, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].thumbs_down, 1);
    assert_eq!(rows[0].top_entry.as_deref(), Some("cie-costo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_answers_go_in_pieces_through_the_bot_api() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_kb(&example_kb(), &kb);
    let paragraph =
        "Il regolamento del mercato settimanale stabilisce posteggi, orari e tariffe. ".repeat(12);
    let answer = vec![paragraph; 12].join("\n\n");
    std::fs::write(
        kb.join("entries/mercato-regolamento.md"),
        format!(
            "+++\nquestion = \"Qual è il regolamento del mercato settimanale?\"\n+++\n{answer}\n"
        ),
    )
    .unwrap();
    let api = FakeApi::start().await;
    let s = start(Options {
        kb,
        graph_base_url: api.base_url.clone(),
        bot_token: true,
        ..Options::default()
    })
    .await;
    let r = post_telegram(
        &s,
        &telegram_message(1, 66, "regolamento del mercato settimanale"),
        Some(TG_SECRET),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        "",
        "sent through the Bot API instead"
    );
    let got = api.wait_for(3).await;
    assert!(got.len() >= 3, "{got:?}");
    for g in &got {
        assert_eq!(g.path, "/bot123:bot-token/sendMessage");
        assert_eq!(g.body["chat_id"], 66);
        let text = g.body["text"].as_str().unwrap();
        assert!(text.chars().count() < 4096);
    }
    assert!(got[0].body["text"]
        .as_str()
        .unwrap()
        .starts_with("<b>Qual è il regolamento"));
    assert!(got.last().unwrap().body["reply_markup"].is_object());
    let total: usize = got
        .iter()
        .map(|g| {
            g.body["text"]
                .as_str()
                .unwrap()
                .matches("mercato settimanale stabilisce")
                .count()
        })
        .sum();
    assert_eq!(total, 144, "every sentence delivered once");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn button_presses_are_answered_through_the_bot_api() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        bot_token: true,
        ..Options::default()
    })
    .await;
    let r = post_telegram(&s, &telegram_callback(5, 8, "u:cie-costo"), Some(TG_SECRET)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["method"], "sendMessage",
        "the reply stays in the webhook response"
    );
    let got = api.wait_for(1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].path, "/bot123:bot-token/answerCallbackQuery");
    assert_eq!(got[0].body["callback_query_id"], "cb5");
    s.stop().await;
}
