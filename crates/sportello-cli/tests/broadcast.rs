//! `sportello notify` as a real process against a fake Telegram Bot API: 2,000 subscribers in
//! the real SQLite store, the fake counting sends per second (any 1-second window) and per
//! chat and failing the test above Telegram's limits (30/s, 1/s per chat); a 429 with
//! `retry_after`, a 502, a 403 "bot was blocked by the user"; the run stopped with SIGTERM,
//! then killed with SIGKILL while the API holds its answers (the worst moment: messages
//! delivered, not yet confirmed), then run to the end: each subscriber gets the notice exactly
//! once and the blocked one is deleted.

#![cfg(unix)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::Router;
use serde_json::{json, Value};
use sportello_server::broadcast::SubscriberStore;
use sportello_server::config::Channel;
use sportello_server::feedback::SqliteStore;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SUBSCRIBERS: i64 = 2_000;
const BLOCKED: i64 = 1_313;
/// Answered 429 (retry_after 2) the first time.
const FLOODED: i64 = 700;
/// Answered 502 the first time.
const FLAKY: i64 = 900;
const TOKEN: &str = "123:TEST-TOKEN";
const LIMIT_PER_SECOND: usize = 30;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(src: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let target = dest.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[derive(Default)]
struct Fake {
    start: Option<Instant>,
    /// Every sendMessage: (time since start, chat).
    arrivals: Vec<(Duration, i64)>,
    /// Messages the API took (answered 200, or held: taken, answer not yet given).
    delivered: HashMap<i64, u32>,
    seen: HashMap<i64, u32>,
    /// Above the limits, or sent during a 429 pause.
    violations: Vec<String>,
    /// Once `delivered` reaches this, requests are taken but never answered.
    hold_from: Option<usize>,
    held: usize,
    pause_until: Option<Duration>,
    texts: Vec<String>,
}

impl Fake {
    fn delivered_total(&self) -> usize {
        self.delivered.values().map(|n| *n as usize).sum()
    }
}

type Shared = Arc<Mutex<Fake>>;

async fn send_message(State(fake): State<Shared>, uri: Uri, body: Bytes) -> (StatusCode, String) {
    if uri.path() != format!("/bot{TOKEN}/sendMessage") {
        return (
            StatusCode::NOT_FOUND,
            json!({"ok": false, "error_code": 404, "description": "Not Found"}).to_string(),
        );
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(chat) = body["chat_id"].as_i64() else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"ok": false, "description": "Bad Request: chat_id is empty"}).to_string(),
        );
    };
    let hold = {
        let mut f = fake.lock().unwrap();
        let now = f.start.get_or_insert_with(Instant::now).elapsed();
        // Any window of one second ending now.
        let in_window = f
            .arrivals
            .iter()
            .rev()
            .take_while(|(t, _)| now - *t < Duration::from_secs(1))
            .count()
            + 1;
        if in_window > LIMIT_PER_SECOND {
            f.violations
                .push(format!("{in_window} messages in one second at {now:?}"));
        }
        if let Some((t, _)) = f.arrivals.iter().rev().find(|(_, c)| *c == chat) {
            if now - *t < Duration::from_secs(1) {
                let gap = now - *t;
                f.violations
                    .push(format!("two messages to one chat {gap:?} apart"));
            }
        }
        if let Some(until) = f.pause_until {
            // Requests already on their way when the 429 went out may still arrive.
            if now < until && until - now < Duration::from_millis(1_800) {
                f.violations
                    .push(format!("sent at {now:?} during the 429 pause"));
            }
        }
        f.arrivals.push((now, chat));
        let seen = {
            let n = f.seen.entry(chat).or_default();
            *n += 1;
            *n
        };
        if chat == BLOCKED {
            return (
                StatusCode::FORBIDDEN,
                json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}).to_string(),
            );
        }
        if chat == FLOODED && seen == 1 {
            f.pause_until = Some(now + Duration::from_secs(2));
            return (
                StatusCode::TOO_MANY_REQUESTS,
                json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 2", "parameters": {"retry_after": 2}}).to_string(),
            );
        }
        if chat == FLAKY && seen == 1 {
            return (
                StatusCode::BAD_GATEWAY,
                json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}).to_string(),
            );
        }
        *f.delivered.entry(chat).or_default() += 1;
        f.texts
            .push(body["text"].as_str().unwrap_or("").to_string());
        let hold = f.hold_from.is_some_and(|n| f.delivered_total() > n);
        if hold {
            f.held += 1;
        }
        hold
    };
    if hold {
        // Taken, never answered (the sender is killed meanwhile).
        std::future::pending::<()>().await;
    }
    (
        StatusCode::OK,
        json!({"ok": true, "result": {"message_id": 1, "chat": {"id": chat, "type": "private"}, "date": 0}}).to_string(),
    )
}

fn notify(config: &Path, notice: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sportello"));
    // The PostgreSQL test's store (a config without [store] ignores it).
    if let Ok(url) = std::fs::read_to_string(config.with_file_name("pg-url")) {
        c.env("TEST_PG_URL", url.trim());
    }
    c.arg("notify")
        .arg(config)
        .arg("comune-di-esempio")
        .arg(notice)
        .env("TEST_TG_SECRET", "secret")
        .env("TEST_TG_TOKEN", TOKEN)
        .env_remove("SPORTELLO_MODEL");
    c
}

fn spawn(config: &Path) -> Child {
    notify(config, "avviso-prova")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn output(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A KB with a valid and an expired notice, the fake Bot API running, and a config using
/// `store` (a `[feedback]` or `[store]` section): (folder, config file, the fake).
async fn setup(label: &str, store: &str) -> (PathBuf, PathBuf, Shared) {
    let dir = tempfile_dir(label);
    let kb = dir.join("kb");
    copy_dir(&repo_root().join("knowledge-base/comune-di-esempio"), &kb);
    std::fs::create_dir_all(kb.join("notices")).unwrap();
    std::fs::write(
        kb.join("notices/avviso-prova.md"),
        "+++\ntitle = \"Uffici chiusi per sciopero\"\nfrom = 2020-01-01\nuntil = 2099-12-31\npriority = \"high\"\n+++\nVenerdì gli uffici comunali sono **chiusi** per sciopero. [Dettagli](https://www.comune-di-esempio.example/sciopero)\n",
    )
    .unwrap();
    std::fs::write(
        kb.join("notices/vecchio.md"),
        "+++\ntitle = \"Vecchio avviso\"\nuntil = 2020-01-31\n+++\nScaduto.\n",
    )
    .unwrap();

    let fake: Shared = Arc::default();
    let app = Router::new()
        .fallback(send_message)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let config = dir.join("sportello.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ntelegram_api_base_url = \"http://{addr}\"\n{store}\n\
             [[agency]]\nid = \"comune-di-esempio\"\nkb = \"kb\"\nchannels = [\"api\", \"telegram\"]\n\
             [agency.telegram]\nsecret_env = \"TEST_TG_SECRET\"\nbot_token_env = \"TEST_TG_TOKEN\"\n"
        ),
    )
    .unwrap();
    (dir, config, fake)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_2000_subscribers_within_limits_resumes_without_duplicates() {
    let (dir, config, fake) = setup("broadcast", "[feedback]\ndatabase = \"store.sqlite\"\n").await;
    let db = dir.join("store.sqlite");
    let store = SqliteStore::open(&db).unwrap();
    for chat in 1..=SUBSCRIBERS {
        store
            .subscribe("comune-di-esempio", Channel::Telegram, &chat.to_string(), 0)
            .unwrap();
    }

    // Refused: an unknown notice, an expired one, an unknown agency.
    let out = notify(&config, "non-esiste").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("l'avviso «non-esiste» non esiste") && err.contains("avviso-prova"),
        "{err}"
    );
    let out = notify(&config, "vecchio").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("l'avviso «vecchio» è scaduto (until = 2020-01-31)"),
        "{err}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args([
            "notify",
            config.to_str().unwrap(),
            "altro-ente",
            "avviso-prova",
        ])
        .env("TEST_TG_SECRET", "s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("l'ente «altro-ente» non è nella configurazione"),
        "{err}"
    );
    assert!(fake.lock().unwrap().arrivals.is_empty());

    // Run 1: stopped with SIGTERM after about 300 messages; what was in flight is finished.
    let started = Instant::now();
    let child = spawn(&config);
    wait_until("300 messages", Duration::from_secs(60), || {
        fake.lock().unwrap().delivered_total() >= 300
    })
    .await;
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let (code, stdout, stderr) = output(child);
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("Interrotto: inviati"), "{stdout}");
    let p = store.progress("comune-di-esempio", "avviso-prova").unwrap();
    assert_eq!((p.sending, p.uncertain), (0, 0), "{p:?}");
    assert_eq!(
        p.sent as usize,
        fake.lock().unwrap().delivered_total(),
        "{p:?}"
    );
    let after_first = p.sent;

    // Run 2: the API takes the messages after the 1,100th without answering; killed with
    // SIGKILL while those are in flight.
    fake.lock().unwrap().hold_from = Some(1_100);
    let mut child = spawn(&config);
    wait_until("held messages", Duration::from_secs(90), || {
        fake.lock().unwrap().held > 0
    })
    .await;
    // Until the sender has filled its in-flight slots and starts nothing more.
    let mut last = (0, Instant::now());
    wait_until("the sender to stall", Duration::from_secs(20), || {
        let n = fake.lock().unwrap().arrivals.len();
        if n != last.0 {
            last = (n, Instant::now());
        }
        last.1.elapsed() > Duration::from_secs(1)
    })
    .await;
    child.kill().unwrap();
    let (_, stdout2, _) = output(child);
    let held = {
        let mut f = fake.lock().unwrap();
        f.hold_from = None;
        f.held
    };
    assert!((1..=8).contains(&held), "{held} held");
    assert!(stdout2.contains("inviati"), "progress shown: {stdout2}");

    // Run 3: to the end.
    let child = spawn(&config);
    let (code, stdout3, stderr3) = output(child);
    let elapsed = started.elapsed();
    assert_eq!(code, Some(0), "{stdout3}\n{stderr3}");
    assert!(
        stdout3.contains(&format!("{held} consegne erano in corso")),
        "{stdout3}"
    );
    assert!(stdout3.contains("rimossi 1"), "{stdout3}");

    let f = fake.lock().unwrap();
    assert!(
        f.violations.is_empty(),
        "{:#?}",
        &f.violations[..f.violations.len().min(10)]
    );
    for chat in 1..=SUBSCRIBERS {
        let n = f.delivered.get(&chat).copied().unwrap_or(0);
        let want = u32::from(chat != BLOCKED);
        assert_eq!(n, want, "chat {chat} got {n} messages");
    }
    assert_eq!(f.seen[&BLOCKED], 1, "the blocked chat was tried once");
    assert_eq!((f.seen[&FLOODED], f.seen[&FLAKY]), (2, 2), "retried once");
    let t = &f.texts[0];
    assert!(
        t.starts_with("Uffici chiusi per sciopero\n\nVenerdì gli uffici comunali sono chiusi"),
        "{t}"
    );
    assert!(
        t.ends_with("Per non ricevere più gli avvisi scriva /stop."),
        "{t}"
    );
    // The busiest second, counted the way Telegram would (any window of one second).
    let mut busiest = 0;
    for (i, (t, _)) in f.arrivals.iter().enumerate() {
        let n = f.arrivals[i..]
            .iter()
            .take_while(|(u, _)| *u - *t < Duration::from_secs(1))
            .count();
        busiest = busiest.max(n);
    }
    println!(
        "{} requests, {} delivered, busiest second {busiest}, first run {after_first}, held at the kill {held}, {elapsed:?} in all",
        f.arrivals.len(),
        f.delivered_total()
    );
    println!("run 1:\n{stdout}\nrun 3:\n{stdout3}");
    assert!(busiest <= LIMIT_PER_SECOND);
    drop(f);

    let p = store.progress("comune-di-esempio", "avviso-prova").unwrap();
    assert_eq!(
        (p.total, p.sent, p.removed, p.uncertain, p.failed, p.waiting),
        (
            SUBSCRIBERS as u64,
            (SUBSCRIBERS - 1) as u64 - held as u64,
            1,
            held as u64,
            0,
            0
        ),
        "{p:?}"
    );
    assert_eq!(
        store.subscriber_counts("comune-di-esempio").unwrap(),
        vec![("telegram".to_string(), (SUBSCRIBERS - 1) as u64)],
        "the blocked subscriber is deleted"
    );
    // A fourth run sends nothing.
    let arrivals = fake.lock().unwrap().arrivals.len();
    let (code, stdout4, _) = output(spawn(&config));
    assert_eq!(code, Some(0), "{stdout4}");
    assert_eq!(fake.lock().unwrap().arrivals.len(), arrivals);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(label: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("sportello-cli-test-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The same on a PostgreSQL store (`SPORTELLO_TEST_PG`; skipped without it): killed while the
/// API holds its answers, then run to the end, each chat gets the notice once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_on_postgresql_resumes_without_duplicates() {
    let Ok(base) = std::env::var("SPORTELLO_TEST_PG") else {
        println!("SKIPPED (SPORTELLO_TEST_PG unset)");
        return;
    };
    let url = tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&base, postgres::NoTls).expect("SPORTELLO_TEST_PG");
        c.batch_execute("DROP DATABASE IF EXISTS sportello_t_notify WITH (FORCE)")
            .unwrap();
        c.batch_execute("CREATE DATABASE sportello_t_notify")
            .unwrap();
        let (head, _) = base.rsplit_once('/').expect("a postgres:// URL");
        format!("{head}/sportello_t_notify")
    })
    .await
    .unwrap();
    let (dir, config, fake) = setup(
        "broadcast-pg",
        "[store]\nbackend = \"postgres\"\nurl_env = \"TEST_PG_URL\"\n",
    )
    .await;
    std::fs::write(dir.join("pg-url"), &url).unwrap();
    let chats: Vec<i64> = (1..=120).chain([BLOCKED]).collect();
    let store = {
        let (url, chats) = (url.clone(), chats.clone());
        tokio::task::spawn_blocking(move || {
            let store = sportello_server::pg::PgStore::open(&url).unwrap();
            for chat in chats {
                store
                    .subscribe("comune-di-esempio", Channel::Telegram, &chat.to_string(), 0)
                    .unwrap();
            }
            Arc::new(store)
        })
        .await
        .unwrap()
    };
    fake.lock().unwrap().hold_from = Some(60);
    let mut child = spawn(&config);
    wait_until("held messages", Duration::from_secs(60), || {
        fake.lock().unwrap().held > 0
    })
    .await;
    let mut last = (0, Instant::now());
    wait_until("the sender to stall", Duration::from_secs(20), || {
        let n = fake.lock().unwrap().arrivals.len();
        if n != last.0 {
            last = (n, Instant::now());
        }
        last.1.elapsed() > Duration::from_secs(1)
    })
    .await;
    child.kill().unwrap();
    let _ = output(child);
    let held = {
        let mut f = fake.lock().unwrap();
        f.hold_from = None;
        f.held
    };
    let (code, stdout, stderr) = output(spawn(&config));
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("{held} consegne erano in corso")),
        "{stdout}"
    );
    {
        let f = fake.lock().unwrap();
        assert!(f.violations.is_empty(), "{:#?}", f.violations);
        for chat in &chats {
            let want = u32::from(*chat != BLOCKED);
            assert_eq!(
                f.delivered.get(chat).copied().unwrap_or(0),
                want,
                "chat {chat}"
            );
        }
    }
    let (p, counts) = tokio::task::spawn_blocking(move || {
        (
            store.progress("comune-di-esempio", "avviso-prova").unwrap(),
            store.subscriber_counts("comune-di-esempio").unwrap(),
        )
    })
    .await
    .unwrap();
    assert_eq!(
        (p.total, p.sent, p.removed, p.uncertain),
        (121, 120 - held as u64, 1, held as u64),
        "{p:?}"
    );
    assert_eq!(counts, vec![("telegram".to_string(), 120)]);
    let _ = std::fs::remove_dir_all(&dir);
}
