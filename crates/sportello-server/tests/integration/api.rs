//! The JSON API, health, metrics and OpenAPI, against the real server on loopback.

use crate::common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_clarifies_and_declines() {
    let s = start(Options::default()).await;
    let r = s.ask("quanto costa la carta d'identità?").await;
    assert_eq!(r["kind"], "answer", "{r}");
    assert_eq!(r["id"], "cie-costo");
    assert_eq!(r["ids"], json!(["cie-costo"]));
    assert_eq!(r["agency"], AGENCY);
    assert!(r["confidence"].as_f64().unwrap() > 0.5);
    assert!(r["answer_html"].as_str().unwrap().contains("<strong>"));
    assert!(r["answer_text"].as_str().unwrap().contains("22,21"));

    let r = s.ask(&clarify_question(&s.state, "")).await;
    assert_eq!(r["kind"], "clarify", "{r}");
    assert!(r["ids"].as_array().unwrap().len() >= 2);
    assert_eq!(r["message"], "Forse cercavi…");

    let r = s.ask("quando passa il camion dei gelati").await;
    assert_eq!(r["kind"], "decline", "{r}");
    assert_eq!(r["contacts"]["phone"], "+39 0123 456789");
    assert_eq!(r["confidence"], 0.0);

    let r = s.ask("   ").await;
    assert_eq!(r["kind"], "decline");
    assert_eq!(r["reason"], "empty");

    let metrics = s.metrics().await;
    for kind in ["answer", "clarify", "decline"] {
        assert!(
            metrics.contains(&format!(
                "sportello_replies_total{{agency=\"{AGENCY}\",channel=\"api\",kind=\"{kind}\"}}"
            )),
            "{metrics}"
        );
    }
    assert!(metrics.contains(
        "sportello_http_request_duration_seconds_count{route=\"/v1/agencies/{agency}/ask\"} 4"
    ));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_4xx_never_a_crash() {
    let s = start(Options::default()).await;
    let post = |body: Vec<u8>| {
        s.client
            .post(s.agency_url("ask"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        b"not json".to_vec(),
        b"{\"question\": 42}".to_vec(),
        b"[]".to_vec(),
        b"".to_vec(),
        vec![0xff, 0xfe, 0x00],
        "[".repeat(10_000).into_bytes(),
    ] {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "bad_request");
    }
    // Over the body limit (64 KiB by default).
    let huge = json!({ "question": "a".repeat(200_000) })
        .to_string()
        .into_bytes();
    assert_eq!(post(huge).await.unwrap().status(), 413);
    // A long question within the limit is cut, not refused.
    let long = json!({ "question": "carta d'identità ".repeat(3000) })
        .to_string()
        .into_bytes();
    assert_eq!(post(long).await.unwrap().status(), 200);
    // Unknown agency, unknown route.
    let r = s
        .client
        .post(s.url("/v1/agencies/nessuno/ask"))
        .json(&json!({"question": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        s.client.get(s.url("/nope")).send().await.unwrap().status(),
        404
    );
    // Still serving.
    assert_eq!(
        s.ask("quanto costa la carta d'identità").await["kind"],
        "answer"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_openapi() {
    let s = start(Options::default()).await;
    let h: Value = s
        .client
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["agencies"][0]["id"], AGENCY);
    let doc: Value = s
        .client
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/agencies/{agency}/ask"]["post"].is_object());
    assert!(doc["paths"]["/v1/agencies/{agency}/feedback"]["post"].is_object());
    // Real replies of every kind against the document's Reply schema: each field they carry
    // is described, the required ones are there, and the reply is the engine's wire format
    // unchanged (what the CLI's --json and the wasm give).
    let schema = &doc["components"]["schemas"]["Reply"];
    let described = schema["properties"].as_object().unwrap();
    let engine = s.state.agencies[AGENCY].engine();
    for (q, kind) in [
        ("quanto costa la carta d'identità?", "answer"),
        (clarify_question(&s.state, "").as_str(), "clarify"),
        ("come si rinnova il passaporto in Francia?", "decline"),
        ("grazie", "small_talk"),
    ] {
        let r = s.ask(q).await;
        assert_eq!(r["kind"], kind, "{q}: {r}");
        for key in r.as_object().unwrap().keys() {
            assert!(
                described.contains_key(key),
                "{key} of a {kind} reply is not in the OpenAPI Reply schema"
            );
        }
        for key in schema["required"].as_array().unwrap() {
            assert!(
                r.get(key.as_str().unwrap()).is_some(),
                "{kind} reply without {key}"
            );
        }
        let text = serde_json::to_string(&engine.wire(&engine.ask(q))).unwrap();
        let mut wire: Value = serde_json::from_str(&text).unwrap();
        wire["agency"] = r["agency"].clone();
        assert_eq!(r, wire, "the API reply is the engine's wire format");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_separate_from_liveness_and_turns_503_while_draining() {
    let mut s = start(Options {
        extra_toml: "drain_seconds = 2".into(),
        ..Options::default()
    })
    .await;
    let ready = s.client.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["problems"], json!([]));

    s.request_stop();
    let mut draining = None;
    for _ in 0..100 {
        let r = s.client.get(s.url("/readyz")).send().await.unwrap();
        if r.status() == 503 {
            draining = Some(r.json::<Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let draining = draining.expect("/readyz never answered 503 after the stop request");
    assert_eq!(draining["status"], "not_ready");
    assert_eq!(draining["problems"], json!(["draining"]));
    // Still alive and still answering while the load balancer takes it out.
    let live = s.client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(
        s.ask("quanto costa la carta d'identità").await["kind"],
        "answer"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbs_down_and_unanswered_reach_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedback.sqlite");
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        ..Options::default()
    })
    .await;
    s.ask("quando passa il camion dei gelati").await;
    s.ask("Quando passa il camion dei gelati?").await;
    s.ask(&clarify_question(&s.state, "")).await;
    s.ask("quanto costa la carta d'identità").await; // answered: not stored
    let r = s
        .client
        .post(s.agency_url("feedback"))
        .json(
            &json!({"entry_id": "cie-costo", "helpful": false, "question": "quanto costa la cie"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .post(s.agency_url("feedback"))
        .json(&json!({"entry_id": "non-esiste", "helpful": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    s.stop().await; // drains the feedback queue

    let rows = sportello_server::report(&db, Some(AGENCY), 10).unwrap();
    assert_eq!(rows[0].count, 2, "{rows:?}");
    assert_eq!(rows[0].unanswered, 2);
    assert!(rows.iter().any(|r| r.clarified == 1));
    let down = rows
        .iter()
        .find(|r| r.thumbs_down == 1)
        .expect("thumbs-down stored");
    assert_eq!(down.top_entry.as_deref(), Some("cie-costo"));
    assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_reports_questions_through_cors_and_they_are_redacted_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedback.sqlite");
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        ..Options::default()
    })
    .await;
    // The browser's preflight for a JSON post from another site.
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.agency_url("feedback"))
        .header("Origin", "https://www.comune.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://www.comune.example"
    );
    assert_eq!(r.headers()["vary"], "Origin");
    assert!(r
        .headers()
        .get("access-control-allow-credentials")
        .is_none());
    let post = |body: serde_json::Value| {
        s.client
            .post(s.agency_url("feedback"))
            .header("Origin", "https://www.comune.example")
            .json(&body)
            .send()
    };
    // A page that did not redact: the server does.
    let r = post(json!({"event": "unanswered", "channel": "widget",
        "question": "orari piscina? chiamate il 333 1234567"}))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://www.comune.example"
    );
    // A page of another site: its browser gets no CORS permission, and a post is refused.
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.agency_url("feedback"))
        .header("Origin", "https://altro-sito.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = s
        .client
        .post(s.agency_url("feedback"))
        .header("Origin", "https://altro-sito.example")
        .json(&json!({"event": "unanswered", "channel": "widget", "question": "spam"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = post(
        json!({"event": "clarified", "channel": "widget", "question": "tari",
        "entry_ids": ["tari-scadenze", "non-esiste"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        post(json!({"event": "boh", "question": "x"}))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        post(json!({"event": "unanswered"})).await.unwrap().status(),
        422
    );
    assert_eq!(post(json!({"question": "x"})).await.unwrap().status(), 400);
    s.stop().await;

    let rows = sportello_server::report(&db, Some(AGENCY), 10).unwrap();
    let pool = rows.iter().find(|r| r.example.contains("piscina")).unwrap();
    assert_eq!(pool.example, "orari piscina? chiamate il [TELEFONO]");
    assert_eq!(pool.unanswered, 1);
    let tari = rows.iter().find(|r| r.clarified == 1).unwrap();
    assert_eq!(tari.top_entry.as_deref(), Some("tari-scadenze"));
    let store = sportello_server::open_store(&db).unwrap();
    let weeks = store.weekly(Some(AGENCY)).unwrap();
    let widget: Vec<_> = weeks
        .iter()
        .filter(|w| w.channel == "widget")
        .map(|w| (w.kind.as_str(), w.count))
        .collect();
    assert_eq!(widget, [("clarify", 1), ("decline", 1)]);
}

async fn ask_from(s: &TestServer, headers: &[(&str, &str)]) -> u16 {
    let mut r = s
        .client
        .post(s.agency_url("ask"))
        .json(&json!({"question": "tari"}));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_rate_limit_is_per_address_whatever_the_headers() {
    let s = start(Options {
        extra_toml: "[limits]\napi_per_minute = 3\napi_burst = 3\n".into(),
        ..Options::default()
    })
    .await;
    let mut codes = Vec::new();
    for c in ["widget-1", "widget-2", "widget-3", "widget-4"] {
        codes.push(ask_from(&s, &[("X-Sportello-Client", c)]).await);
    }
    // A forged X-Forwarded-For from a peer that is not a trusted proxy changes nothing.
    codes.push(ask_from(&s, &[("X-Forwarded-For", "198.51.100.1")]).await);
    codes.push(ask_from(&s, &[]).await);
    assert_eq!(codes, [200, 200, 200, 429, 429, 429]);
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("sportello_rate_limited_total{channel=\"api\"} 3"),
        "{metrics}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_limited() {
    let s = start(Options {
        extra_toml:
            "trusted_proxies = [\"127.0.0.1\"]\n[limits]\napi_per_minute = 2\napi_burst = 2\n"
                .into(),
        ..Options::default()
    })
    .await;
    let xff = |ip: &'static str| [("X-Forwarded-For", ip)];
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(ask_from(&s, &xff("198.51.100.1")).await);
    }
    // Another client behind the proxy has its own bucket; a client that prepends a forged
    // address is still keyed by the address the proxy saw.
    codes.push(ask_from(&s, &xff("198.51.100.2")).await);
    codes.push(ask_from(&s, &xff("203.0.113.5, 198.51.100.1")).await);
    assert_eq!(codes, [200, 200, 429, 200, 429]);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_json_bodies_are_accepted() {
    let s = start(Options::default()).await;
    let body = r#"{"question": "quanto costa la carta d'identità"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        for route in ["ask", "feedback"] {
            let mut r = s.client.post(s.agency_url(route)).body(body);
            if let Some(ct) = ct {
                r = r.header("Content-Type", ct);
            }
            let resp = r.send().await.unwrap();
            assert_eq!(resp.status(), 415, "{route} with {ct:?}");
            let v: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(v["error"], "unsupported_media_type");
        }
    }
    let r = s
        .client
        .post(s.agency_url("ask"))
        .header("Content-Type", "Application/JSON; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_questions_are_capped_per_agency_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feedback.sqlite");
    let s = start(Options {
        store: Some(sqlite_store(&db)),
        extra_toml: "[limits]\napi_per_minute = 0\nfeedback_per_agency_per_day = 5\n".into(),
        ..Options::default()
    })
    .await;
    // No client header, one address, declined questions: each would be a stored row.
    for i in 0..20 {
        let v = s
            .ask(&format!("quando passa il camion dei gelati numero {i}?"))
            .await;
        assert_eq!(v["kind"], "decline", "{v}");
    }
    let metrics = s.metrics().await;
    assert!(
        metrics.contains(&format!(
            "sportello_feedback_capped_total{{agency=\"{AGENCY}\"}} 15"
        )),
        "{metrics}"
    );
    s.stop().await;
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM feedback", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_front_ends_answer_a_choice_suggest_and_read_the_agency() {
    let s = start(Options::default()).await;
    let post = |route: &str, body: Value| s.client.post(s.agency_url(route)).json(&body).send();
    // A "Forse cercavi…" choice answered by id, in the same wire format as ask.
    let q = clarify_question(&s.state, "");
    let clarify = s.ask(&q).await;
    assert_eq!(clarify["kind"], "clarify");
    let chosen = clarify["ids"][1].as_str().unwrap().to_string();
    let r = post("answer", serde_json::json!({ "entry_id": chosen }))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["kind"], "answer");
    assert_eq!(v["id"], chosen.as_str());
    assert_eq!(v["ids"][0], chosen.as_str());
    assert_eq!(v["agency"], AGENCY);
    let missing = post("answer", serde_json::json!({ "entry_id": "non-esiste" }))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let bad = post("answer", serde_json::json!({ "id": "x" }))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // Suggestions while typing.
    let r = post(
        "suggest",
        serde_json::json!({ "text": "tari scad", "limit": 3 }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let list = v["suggestions"].as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 3, "{v}");
    assert_eq!(list[0]["id"], "tari-scadenze", "{v}");
    // The agency's name, contacts and AI disclosure.
    let v: Value = s
        .client
        .get(s.agency_url("info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["agency"], AGENCY);
    assert!(v["name"].as_str().unwrap().starts_with("Comune di Esempio"));
    assert_eq!(v["contacts"]["phone"], "+39 0123 456789");
    assert!(v["ai_disclosure"].as_str().unwrap().len() > 20);
    assert_eq!(v["entries"], 78);
    s.stop().await;
}
