//! Knowledge-base reloads: on file change, built off the request path and swapped
//! atomically; an invalid KB keeps the previous one serving; no request is lost meanwhile.

use crate::common::*;
use std::time::Duration;

const NEW_ENTRY: &str = "+++\nquestion = \"Dove si svolge il mercato dell'antiquariato?\"\nalternatives = [\"mercatino antiquariato piazza\"]\n+++\nIl mercato dell'antiquariato si svolge in Piazza Grande.\n";

async fn wait_until<F: std::future::Future<Output = bool>>(mut f: impl FnMut() -> F) -> bool {
    for _ in 0..100 {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_change_reloads_and_invalid_kb_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_kb(&example_kb(), &kb);
    let s = start(Options {
        kb: kb.clone(),
        reload_poll_seconds: 1,
        ..Options::default()
    })
    .await;
    let q = "dove si svolge il mercato dell'antiquariato";
    assert_ne!(s.ask(q).await["id"], "mercato-antiquariato");

    // A new entry appears: served after the next poll.
    std::fs::write(kb.join("entries/mercato-antiquariato.md"), NEW_ENTRY).unwrap();
    assert!(
        wait_until(|| async { s.ask(q).await["id"] == "mercato-antiquariato" }).await,
        "new entry not picked up"
    );

    // A broken file: the reload is refused and the previous KB keeps serving.
    std::fs::write(kb.join("entries/rotta.md"), "+++\nquestion = \n+++\n").unwrap();
    let rejected = format!("sportello_reloads_total{{agency=\"{AGENCY}\",result=\"rejected\"}}");
    assert!(
        wait_until(|| async { s.metrics().await.contains(&rejected) }).await,
        "broken KB not noticed"
    );
    assert_eq!(s.ask(q).await["id"], "mercato-antiquariato");
    assert_eq!(
        s.ask("quanto costa la carta d'identità").await["id"],
        "cie-costo"
    );
    let agency = s.state.agencies[AGENCY].clone();
    let err = agency.reload(&s.state.metrics, false).await.unwrap_err();
    assert!(err.to_string().contains("sportello check"), "{err}");
    assert_eq!(agency.engine().kb().entries.len(), 79);

    // Fixed: served again.
    std::fs::remove_file(kb.join("entries/rotta.md")).unwrap();
    std::fs::remove_file(kb.join("entries/mercato-antiquariato.md")).unwrap();
    assert!(
        wait_until(|| async { s.ask(q).await["id"] != "mercato-antiquariato" }).await,
        "removal not picked up"
    );
    assert_eq!(agency.engine().kb().entries.len(), 78);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloads_under_load_lose_no_request() {
    // One address sends everything: its rate limit is off here.
    let s = start(Options {
        extra_toml: "[limits]\napi_per_minute = 0\n".into(),
        ..Options::default()
    })
    .await;
    let mut tasks = Vec::new();
    for t in 0..4 {
        let client = s.client.clone();
        let url = s.agency_url("ask");
        tasks.push(tokio::spawn(async move {
            let mut ok = 0;
            for i in 0..150 {
                let q = if (t + i) % 2 == 0 {
                    "quanto costa la carta d'identità"
                } else {
                    "orari biblioteca"
                };
                let r = client
                    .post(&url)
                    .json(&serde_json::json!({ "question": q }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let v: serde_json::Value = r.json().await.unwrap();
                assert!(v["kind"].is_string(), "{v}");
                ok += 1;
            }
            ok
        }));
    }
    for _ in 0..5 {
        s.state.reload_all().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 600);
    let m = s.metrics().await;
    assert!(m.contains(&format!(
        "sportello_reloads_total{{agency=\"{AGENCY}\",result=\"ok\"}} 5"
    )));
    s.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_loop_is_refused_and_the_previous_kb_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("kb");
    copy_kb(&example_kb(), &kb);
    let s = start(Options {
        kb: kb.clone(),
        reload_poll_seconds: 1,
        ..Options::default()
    })
    .await;
    let agency = s.state.agencies[AGENCY].clone();
    let before = agency.engine().kb().entries.len();
    // The two links that made the walk grow without end.
    std::os::unix::fs::symlink(".", kb.join("entries/self")).unwrap();
    std::os::unix::fs::symlink("../entries", kb.join("entries/up")).unwrap();
    let err = agency.reload(&s.state.metrics, false).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("collegamento simbolico"), "{msg}");
    assert!(
        msg.contains("entries/self") || msg.contains("entries/up"),
        "{msg}"
    );
    assert_eq!(agency.engine().kb().entries.len(), before);
    // Still answering, also after the poller has seen the change.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        s.ask("quanto costa la carta d'identità").await["id"],
        "cie-costo"
    );
    s.stop().await;
}
