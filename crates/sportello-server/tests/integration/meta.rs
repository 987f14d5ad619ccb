//! WhatsApp and Messenger webhooks with Meta's payload shapes and HMAC-SHA256 signatures; a
//! local HTTP server plays the Graph API and records what it receives.

use crate::common::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_handshake() {
    let s = start(Options::default()).await;
    for channel in ["whatsapp", "messenger", "instagram"] {
        let url = s.agency_url(channel);
        let ok = s
            .client
            .get(format!(
                "{url}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.text().await.unwrap(), "1158201444");
        for q in [
            "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
            "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
            "hub.mode=subscribe&hub.verify_token=verify-me",
            "",
        ] {
            let r = s.client.get(format!("{url}?{q}")).send().await.unwrap();
            assert_eq!(r.status(), 403, "{q}");
        }
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_signature_reply_and_dedup() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let msg = whatsapp_text(
        "wamid.HBgLMzkzMzMxMjM0NTY3FQIAEhgUM0E",
        "393331234567",
        "quanto costa la carta d'identità?",
    );

    // Bad signatures: wrong secret, missing header, body altered after signing.
    assert_eq!(post_meta(&s, "whatsapp", &msg, "not-the-secret").await, 401);
    let raw = serde_json::to_vec(&msg).unwrap();
    let r = s
        .client
        .post(s.agency_url("whatsapp"))
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let sig = sportello_server::signature::meta_signature(&raw, APP_SECRET);
    let mut altered = raw.clone();
    altered[10] ^= 1;
    let r = s
        .client
        .post(s.agency_url("whatsapp"))
        .header("x-hub-signature-256", &sig)
        .body(altered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(api.received().is_empty(), "nothing sent for rejected calls");

    // Good signature: 200, and the reply reaches the Graph API.
    assert_eq!(post_meta(&s, "whatsapp", &msg, APP_SECRET).await, 200);
    let got = api.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/v21.0/106540352242922/messages");
    assert_eq!(
        got[0].authorization.as_deref(),
        Some("Bearer access-token-xyz")
    );
    assert_eq!(got[0].body["messaging_product"], "whatsapp");
    assert_eq!(got[0].body["to"], "393331234567");
    assert_eq!(got[0].body["type"], "text");
    let text = got[0].body["text"]["body"].as_str().unwrap();
    assert!(
        text.starts_with("*Quanto costa la carta d'identità"),
        "{text}"
    );
    assert!(text.contains("22,21"));

    // The same delivery again (Meta retries): acknowledged, not answered twice.
    assert_eq!(post_meta(&s, "whatsapp", &msg, APP_SECRET).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.received().len(), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_clarify_buttons_and_choice() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    assert_eq!(
        post_meta(
            &s,
            "whatsapp",
            &whatsapp_text("wamid.1", "39111", &clarify_question(&s.state, "")),
            APP_SECRET
        )
        .await,
        200
    );
    let got = api.wait_for(1).await;
    let m = &got[0].body;
    assert_eq!(m["type"], "interactive", "{m}");
    let interactive = &m["interactive"];
    let buttons = interactive["action"]["buttons"].as_array();
    let ids: Vec<String> = match buttons {
        Some(b) => {
            assert!(b.len() <= 3);
            assert_eq!(interactive["type"], "button");
            for x in b {
                assert!(x["reply"]["title"].as_str().unwrap().chars().count() <= 20);
            }
            b.iter()
                .map(|x| x["reply"]["id"].as_str().unwrap().to_string())
                .collect()
        }
        None => {
            assert_eq!(interactive["type"], "list");
            let rows = interactive["action"]["sections"][0]["rows"]
                .as_array()
                .unwrap();
            assert!(rows.len() <= 10);
            rows.iter()
                .map(|x| x["id"].as_str().unwrap().to_string())
                .collect()
        }
    };
    assert!(interactive["body"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Forse cercavi…"));

    // The citizen taps the first button.
    let tap = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "messages": [{"from": "39111", "id": "wamid.2", "timestamp": "1700000001", "type": "interactive",
                "context": {"from": "15550783881", "id": "wamid.OUT"},
                "interactive": {"type": "button_reply", "button_reply": {"id": ids[0], "title": "1."}}}]
        }}]}]
    });
    assert_eq!(post_meta(&s, "whatsapp", &tap, APP_SECRET).await, 200);
    let got = api.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].body["type"], "text");
    let id = ids[0].strip_prefix("e:").unwrap();
    let engine = s.state.agencies[AGENCY].engine();
    let q = engine.kb().entry(id).unwrap().question.clone();
    assert!(got[1].body["text"]["body"].as_str().unwrap().contains(&q));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_statuses_are_acknowledged_and_ignored() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let status = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [{"id": "wamid.OUT", "status": "delivered", "timestamp": "1700000002", "recipient_id": "39111"}]
        }}]}]
    });
    assert_eq!(post_meta(&s, "whatsapp", &status, APP_SECRET).await, 200);
    assert_eq!(
        post_meta(&s, "whatsapp", &json!({"unexpected": true}), APP_SECRET).await,
        200
    );
    // Signed but not JSON: still 200 (authenticated), nothing sent.
    let raw = b"definitely not json".to_vec();
    let sig = sportello_server::signature::meta_signature(&raw, APP_SECRET);
    let r = s
        .client
        .post(s.agency_url("whatsapp"))
        .header("x-hub-signature-256", sig)
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(api.received().is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messenger_reply_quick_replies_echo_and_dedup() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    assert_eq!(
        post_meta(
            &s,
            "messenger",
            &messenger_text("m_1", "psid-1", "tari"),
            "bad"
        )
        .await,
        401
    );
    let msg = messenger_text("m_2", "psid-1", "quanto costa la carta d'identità?");
    assert_eq!(post_meta(&s, "messenger", &msg, APP_SECRET).await, 200);
    assert_eq!(post_meta(&s, "messenger", &msg, APP_SECRET).await, 200); // retry
    let got = api.wait_for(1).await;
    assert_eq!(got[0].path, "/v21.0/me/messages");
    assert_eq!(
        got[0].authorization.as_deref(),
        Some("Bearer access-token-xyz")
    );
    assert_eq!(got[0].body["recipient"]["id"], "psid-1");
    assert_eq!(got[0].body["messaging_type"], "RESPONSE");
    let text = got[0].body["message"]["text"].as_str().unwrap();
    assert!(text.chars().count() <= 2000);
    assert!(text.contains("22,21"));

    // Clarify: quick replies.
    assert_eq!(
        post_meta(
            &s,
            "messenger",
            &messenger_text("m_3", "psid-1", &clarify_question(&s.state, "")),
            APP_SECRET
        )
        .await,
        200
    );
    let got = api.wait_for(2).await;
    let quick = got[1].body["message"]["quick_replies"]
        .as_array()
        .expect("quick replies");
    assert!(quick.len() >= 2);
    assert!(quick
        .iter()
        .all(|q| q["title"].as_str().unwrap().chars().count() <= 20));

    // Echoes of our own messages, deliveries and reads are ignored.
    let echo = json!({"object": "page", "entry": [{"id": "PAGE_ID", "time": 1, "messaging": [
        {"sender": {"id": "PAGE_ID"}, "recipient": {"id": "psid-1"}, "timestamp": 1,
         "message": {"mid": "m_echo", "is_echo": true, "app_id": 1, "text": "tari"}},
        {"sender": {"id": "psid-1"}, "recipient": {"id": "PAGE_ID"}, "timestamp": 2,
         "delivery": {"mids": ["m_echo"], "watermark": 1}},
        {"sender": {"id": "psid-1"}, "recipient": {"id": "PAGE_ID"}, "timestamp": 3, "read": {"watermark": 1}}
    ]}]});
    assert_eq!(post_meta(&s, "messenger", &echo, APP_SECRET).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.received().len(), 2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instagram_signed_reply_forged_refused_and_dedup() {
    let api = FakeApi::start().await;
    let s = start(Options {
        graph_base_url: api.base_url.clone(),
        ..Options::default()
    })
    .await;
    let msg = instagram_text(
        "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx",
        "igsid-7",
        "quanto costa la carta d'identità?",
    );
    // Forged: another secret, no signature at all.
    assert_eq!(post_meta(&s, "instagram", &msg, "forged").await, 401);
    let r = s
        .client
        .post(s.agency_url("instagram"))
        .body(serde_json::to_vec(&msg).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Signed, delivered twice: answered once, through the Page's send endpoint.
    assert_eq!(post_meta(&s, "instagram", &msg, APP_SECRET).await, 200);
    assert_eq!(post_meta(&s, "instagram", &msg, APP_SECRET).await, 200);
    let got = api.wait_for(1).await;
    assert_eq!(got[0].path, "/v21.0/me/messages");
    assert_eq!(
        got[0].authorization.as_deref(),
        Some("Bearer access-token-xyz")
    );
    assert_eq!(got[0].body["recipient"]["id"], "igsid-7");
    assert_eq!(got[0].body["messaging_type"], "RESPONSE");
    let text = got[0].body["message"]["text"].as_str().unwrap();
    assert!(text.contains("22,21"), "{text}");
    assert!(text.len() <= 1000);

    // Clarify: quick replies within Instagram's limits (13, 20 characters each).
    let q = clarify_question(&s.state, "");
    let clarify = instagram_text("ig_2", "igsid-7", &q);
    assert_eq!(post_meta(&s, "instagram", &clarify, APP_SECRET).await, 200);
    let got = api.wait_for(2).await;
    let quick = got[1].body["message"]["quick_replies"]
        .as_array()
        .expect("quick replies")
        .clone();
    assert!((2..=13).contains(&quick.len()), "{quick:?}");
    assert!(quick
        .iter()
        .all(|q| q["title"].as_str().unwrap().chars().count() <= 20));

    // A tapped quick reply comes back as a message with its payload: the entry is answered.
    let payload = quick[0]["payload"].as_str().unwrap();
    let tapped = json!({"object": "instagram", "entry": [{"id": "IG_ID", "time": 2, "messaging": [
        {"sender": {"id": "igsid-7"}, "recipient": {"id": "IG_ID"}, "timestamp": 2,
         "message": {"mid": "ig_3", "text": quick[0]["title"], "quick_reply": {"payload": payload}}}
    ]}]});
    assert_eq!(post_meta(&s, "instagram", &tapped, APP_SECRET).await, 200);
    let got = api.wait_for(3).await;
    assert!(got[2].body["message"]["text"].as_str().unwrap().len() > 20);

    // Echoes, deleted messages, reactions, reads, and a Messenger payload sent to the
    // Instagram route are acknowledged and not answered.
    let ignored = json!({"object": "instagram", "entry": [{"id": "IG_ID", "time": 3, "messaging": [
        {"sender": {"id": "IG_ID"}, "recipient": {"id": "igsid-7"}, "timestamp": 3,
         "message": {"mid": "ig_echo", "is_echo": true, "text": "tari"}},
        {"sender": {"id": "igsid-7"}, "recipient": {"id": "IG_ID"}, "timestamp": 4,
         "message": {"mid": "ig_4", "is_deleted": true}},
        {"sender": {"id": "igsid-7"}, "recipient": {"id": "IG_ID"}, "timestamp": 5,
         "reaction": {"mid": "ig_3", "action": "react", "reaction": "love"}},
        {"sender": {"id": "igsid-7"}, "recipient": {"id": "IG_ID"}, "timestamp": 6,
         "read": {"mid": "ig_3"}}
    ]}]});
    assert_eq!(post_meta(&s, "instagram", &ignored, APP_SECRET).await, 200);
    let page = messenger_text("m_other", "psid-9", "tari");
    assert_eq!(post_meta(&s, "instagram", &page, APP_SECRET).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.received().len(), 3);
    s.stop().await;
}
