//! The PostgreSQL backend against a real PostgreSQL (URL in `SPORTELLO_TEST_PG`, e.g.
//! `postgres://sportello:sportello@127.0.0.1/sportello_test`; `.ci/run` starts one). Each test
//! makes a database of its own, so they run in parallel. Without the variable they say
//! SKIPPED and pass.

use crate::common::*;
use serde_json::Value;
use sportello_server::feedback::{
    FeedbackEvent, FeedbackKind, FeedbackStore, ReplyCount, SqliteStore,
};
use sportello_server::pg::{PgStore, SCHEMA_VERSION};
use std::sync::Arc;
use std::time::Duration;

/// A fresh, empty database named after the test; None (after saying so) without PostgreSQL.
pub(crate) async fn fresh_db(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("SPORTELLO_TEST_PG") else {
        println!("SKIPPED (SPORTELLO_TEST_PG unset)");
        return None;
    };
    let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
        .await
        .expect("SPORTELLO_TEST_PG: cannot connect");
    tokio::spawn(conn);
    let db = format!("sportello_t_{name}");
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .unwrap();
    // Replace the URL's database name (postgres://…/name[?params]).
    let (head, _) = base.rsplit_once('/').expect("a postgres:// URL");
    Some(format!("{head}/{db}"))
}

pub(crate) async fn open(url: &str) -> Arc<PgStore> {
    let url = url.to_string();
    Arc::new(
        tokio::task::spawn_blocking(move || PgStore::open(&url).unwrap())
            .await
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_store_gives_what_sqlite_gives_and_migrates() {
    let Some(url) = fresh_db("store").await else {
        return;
    };
    let pg = open(&url).await;
    assert_eq!(pg.schema_version().unwrap(), SCHEMA_VERSION);
    let lite = SqliteStore::in_memory().unwrap();
    let ev = |q: &str, kind, ids: &[&str]| {
        FeedbackEvent::new(
            "ente",
            "api",
            kind,
            q,
            ids.iter().map(|s| s.to_string()).collect(),
        )
    };
    let events = vec![
        ev(
            "Orari della piscina comunale?",
            FeedbackKind::Unanswered,
            &["piscina"],
        ),
        ev("piscina comunale orari", FeedbackKind::Unanswered, &[]),
        ev(
            "il mio cf è RSSMRA85T10A562S, la carta?",
            FeedbackKind::Clarified,
            &["cie-costo", "cie-rinnovo"],
        ),
        ev("", FeedbackKind::ThumbsDown, &["tari"]),
    ];
    let thu = sportello_core::date::parse("2026-12-03").unwrap();
    let c = |agency: &str, day, channel, kind, entry: &str| ReplyCount {
        agency: agency.into(),
        channel,
        kind,
        entry_id: entry.into(),
        day,
    };
    let counts = vec![
        (c("ente", thu, "api", "answer", "cie"), 3),
        (c("ente", thu - 3, "api", "answer", "cie"), 2),
        (c("ente", thu - 4, "telegram", "answer", "tari"), 1),
        (c("ente", thu, "whatsapp", "decline", ""), 4),
        (c("ente", thu, "api", "vote_down", "cie"), 1),
        (c("altro", thu, "api", "vote_up", "cie"), 2),
        // The same count twice in one call is summed.
        (c("ente", thu, "api", "answer", "cie"), 1),
    ];
    let pg2 = pg.clone();
    let (events2, counts2) = (events.clone(), counts.clone());
    tokio::task::spawn_blocking(move || {
        pg2.record(&events2).unwrap();
        pg2.count(&counts2).unwrap();
        // Adding again sums.
        pg2.count(&counts2[..1]).unwrap();
    })
    .await
    .unwrap();
    lite.record(&events).unwrap();
    lite.count(&counts).unwrap();
    lite.count(&counts[..1]).unwrap();

    for agency in [None, Some("ente"), Some("altro")] {
        assert_eq!(
            pg.report(agency, 10).unwrap(),
            lite.report(agency, 10).unwrap()
        );
        assert_eq!(pg.weekly(agency).unwrap(), lite.weekly(agency).unwrap());
        assert_eq!(
            pg.per_entry(agency).unwrap(),
            lite.per_entry(agency).unwrap()
        );
    }
    let rows = pg.report(None, 10).unwrap();
    assert_eq!(rows[0].count, 2, "{rows:?}");
    assert!(rows.iter().all(|r| !r.example.contains("RSSMRA85T10A562S")));
    assert_eq!(
        pg.per_entry(Some("ente")).unwrap()[0].answered,
        3 + 2 + 1 + 3
    );

    // Retention: the same rows go on both.
    assert_eq!(
        pg.purge_before((thu - 1) * 86_400).unwrap(),
        lite.purge_before((thu - 1) * 86_400).unwrap()
    );
    assert_eq!(pg.weekly(None).unwrap(), lite.weekly(None).unwrap());

    // Opening again applies nothing and keeps the data.
    let again = open(&url).await;
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(
        again.report(None, 10).unwrap(),
        lite.report(None, 10).unwrap()
    );

    // A database written by a newer sportello is refused, saying so.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, 0)",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    let u = url.clone();
    let err = tokio::task::spawn_blocking(move || PgStore::open(&u).err())
        .await
        .unwrap()
        .expect("a newer schema is refused");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "alla versione {}, più recente di quella che questa versione di sportello conosce ({SCHEMA_VERSION})",
            SCHEMA_VERSION + 1
        )),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_connection_error_names_the_target_without_the_password() {
    if std::env::var("SPORTELLO_TEST_PG").is_err() {
        println!("SKIPPED (SPORTELLO_TEST_PG unset)");
        return;
    }
    let err = tokio::task::spawn_blocking(|| {
        PgStore::open("postgres://sportello:s3greta-xyz@127.0.0.1:1/nessuno").err()
    })
    .await
    .unwrap()
    .expect("nothing listens on port 1");
    let msg = err.to_string();
    assert!(msg.contains("sportello@127.0.0.1:1/nessuno"), "{msg}");
    assert!(!msg.contains("s3greta"), "{msg}");
}

/// Two replicas (two real servers on distinct ports) on one PostgreSQL, store and dedup.
async fn replicas(url: &str, graph: &str) -> (TestServer, TestServer) {
    let mut out = Vec::new();
    for _ in 0..2 {
        let store: Arc<dyn FeedbackStore> = open(url).await;
        out.push(
            start(Options {
                graph_base_url: graph.to_string(),
                extra_toml: format!("[store]\nbackend = \"postgres\"\nurl = \"{url}\"\n"),
                store: Some(store),
                ..Options::default()
            })
            .await,
        );
    }
    let b = out.pop().unwrap();
    (out.pop().unwrap(), b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_answer_a_delivery_once_and_share_the_report() {
    let Some(url) = fresh_db("replicas").await else {
        return;
    };
    let api = FakeApi::start().await;
    let (a, b) = replicas(&url, &api.base_url).await;

    // The same WhatsApp delivery to both replicas at once (as Meta's retry landing on the
    // other replica): one reply.
    let msg = whatsapp_text(
        "wamid.REPLICA-1",
        "393331234567",
        "quanto costa la carta d'identità?",
    );
    let (ra, rb) = tokio::join!(
        post_meta(&a, "whatsapp", &msg, APP_SECRET),
        post_meta(&b, "whatsapp", &msg, APP_SECRET)
    );
    assert_eq!((ra.as_u16(), rb.as_u16()), (200, 200));
    api.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = api.received();
    assert_eq!(sent.len(), 1, "answered once: {sent:?}");
    assert_eq!(sent[0].body["to"], "393331234567");
    // And again later, to each: still once.
    assert_eq!(post_meta(&a, "whatsapp", &msg, APP_SECRET).await, 200);
    assert_eq!(post_meta(&b, "whatsapp", &msg, APP_SECRET).await, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(api.received().len(), 1);

    // The same Telegram update to both: one of them answers in its webhook body.
    let update = telegram_message(777_001, 4242, "quanto costa la carta d'identità?");
    let (ta, tb) = tokio::join!(
        post_telegram(&a, &update, Some(TG_SECRET)),
        post_telegram(&b, &update, Some(TG_SECRET))
    );
    assert_eq!((ta.status().as_u16(), tb.status().as_u16()), (200, 200));
    let bodies = [ta.text().await.unwrap(), tb.text().await.unwrap()];
    let answered: Vec<&String> = bodies.iter().filter(|b| !b.is_empty()).collect();
    assert_eq!(answered.len(), 1, "{bodies:?}");
    let reply: Value = serde_json::from_str(answered[0]).unwrap();
    assert_eq!(reply["method"], "sendMessage");
    assert_eq!(reply["chat_id"], 4242);
    let dup = |s: &str| s.contains("sportello_duplicates_total{channel=\"telegram\"} 1");
    let (ma, mb) = (a.metrics().await, b.metrics().await);
    assert!(dup(&ma) ^ dup(&mb), "one replica counted the duplicate");

    // Feedback through both replicas lands in one store.
    let qa = "quando passa il camion dei gelati";
    let qb = "orari della piscina";
    assert_eq!(a.ask(qa).await["kind"], "decline");
    assert_eq!(b.ask(qb).await["kind"], "decline");
    // Each replica's writer thread flushes at stop.
    a.stop().await;
    b.stop().await;
    let u = url.clone();
    let rows = tokio::task::spawn_blocking(move || {
        sportello_server::report(std::path::Path::new(&u), None, 50).unwrap()
    })
    .await
    .unwrap();
    let examples: Vec<&str> = rows.iter().map(|r| r.example.as_str()).collect();
    assert!(examples.contains(&qa), "{examples:?}");
    assert!(examples.contains(&qb), "{examples:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_delivery_id_is_first_again() {
    let Some(url) = fresh_db("expiry").await else {
        return;
    };
    let d = sportello_server::pg::PgDedup::new(&url, Duration::from_secs(0)).unwrap();
    // The store's open makes the table.
    let _store = open(&url).await;
    assert!(d.first_time("a").await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(d.first_time("a").await, "expired: first again");
    let d = sportello_server::pg::PgDedup::new(&url, Duration::from_secs(3600)).unwrap();
    assert!(d.first_time("b").await);
    assert!(!d.first_time("b").await);
}
