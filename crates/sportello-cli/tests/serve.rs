//! End-to-end tests of `sportello serve` and `sportello report`: the real binary, started with
//! the example configuration (paths moved to a temporary folder), driven over loopback HTTP.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sportello"))
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sportello-serve-test-{label}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The example config with the KB path made absolute and the database in `dir`.
fn example_config(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo_root().join("examples/bot/sportello.toml")).unwrap();
    let kb = repo_root().join("knowledge-base/comune-di-esempio");
    let text = text
        .replace(
            "kb = \"../../knowledge-base/comune-di-esempio\"",
            &format!("kb = {:?}", kb.display().to_string()),
        )
        .replace(
            "database = \"sportello-feedback.sqlite\"",
            "database = \"feedback.sqlite\"",
        );
    assert!(text.contains(&kb.display().to_string()));
    let path = dir.join("sportello.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A minimal HTTP/1.1 client: (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(config: &Path) -> Server {
        let port = free_port();
        let child = bin()
            .args(["serve", "--config"])
            .arg(config)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("SPORTELLO_TELEGRAM_SECRET", "tg-secret")
            .env("SPORTELLO_META_APP_SECRET", "app-secret")
            .env("SPORTELLO_META_VERIFY_TOKEN", "verify")
            .env("SPORTELLO_META_ACCESS_TOKEN", "access")
            .env("SPORTELLO_GRAPH_BASE_URL", "http://127.0.0.1:9/v21.0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, port }
    }

    /// SIGTERM, then the exit status and the logs.
    fn stop(mut self) -> (bool, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let out = std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap())
            .wait_with_output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_with_the_example_config_then_report() {
    let dir = temp_dir("example");
    let config = example_config(&dir);
    let server = Server::start(&config);
    let p = server.port;

    let (status, body) = http(
        p,
        "POST",
        "/v1/agencies/comune-di-esempio/ask",
        &[],
        r#"{"question":"quanto costa la carta d'identità?"}"#,
    );
    assert_eq!(status, 200);
    assert!(body.contains(r#""kind":"answer""#), "{body}");
    assert!(body.contains(r#""id":"cie-costo""#), "{body}");

    let update = r#"{"update_id":7,"message":{"message_id":1,"chat":{"id":55,"type":"private"},"from":{"id":55},"text":"quanto costa la carta d'identità?"}}"#;
    let (status, _) = http(
        p,
        "POST",
        "/v1/agencies/comune-di-esempio/telegram",
        &[("X-Telegram-Bot-Api-Secret-Token", "nope")],
        update,
    );
    assert_eq!(status, 401);
    let (status, body) = http(
        p,
        "POST",
        "/v1/agencies/comune-di-esempio/telegram",
        &[("X-Telegram-Bot-Api-Secret-Token", "tg-secret")],
        update,
    );
    assert_eq!(status, 200);
    assert!(body.contains(r#""method":"sendMessage""#), "{body}");

    for _ in 0..2 {
        let (status, _) = http(
            p,
            "POST",
            "/v1/agencies/comune-di-esempio/ask",
            &[],
            r#"{"question":"quando passa il camion dei gelati? il mio numero è 333 1234567"}"#,
        );
        assert_eq!(status, 200);
    }
    let (ok, logs) = server.stop();
    assert!(ok, "graceful shutdown failed: {logs}");
    assert!(logs.contains("sportello serve stopped"), "{logs}");
    assert!(
        !logs.contains("1234567") && !logs.contains("gelati"),
        "{logs}"
    );

    let out = bin()
        .arg("report")
        .arg(dir.join("feedback.sqlite"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("2× «quando passa il camion dei gelati? il mio numero è [TELEFONO]»"),
        "{text}"
    );

    // Every reply was counted, by channel and kind, with no text.
    let out = bin()
        .arg("report")
        .arg(dir.join("feedback.sqlite"))
        .arg("--csv")
        .arg(dir.join("csv"))
        .arg("--html")
        .arg(dir.join("report.html"))
        .arg("--kb")
        .arg(repo_root().join("knowledge-base/comune-di-esempio"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let weeks = std::fs::read_to_string(dir.join("csv/settimane.csv")).unwrap();
    let mut lines: Vec<&str> = weeks.lines().skip(1).map(|l| &l[11..]).collect();
    lines.sort();
    assert_eq!(
        lines,
        ["api,answer,1", "api,decline,2", "telegram,answer,1"],
        "{weeks}"
    );
    let entries = std::fs::read_to_string(dir.join("csv/voci.csv")).unwrap();
    assert!(
        entries.contains(
            "comune-di-esempio,cie-costo,Quanto costa la carta d'identità elettronica?,2,0,0,0"
        ),
        "{entries}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("il mio numero è [TELEFONO]") && !html.contains("1234567"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_refuses_a_missing_secret_and_names_it() {
    let dir = temp_dir("nosecret");
    let config = example_config(&dir);
    let out = bin()
        .args(["serve", "--config"])
        .arg(&config)
        .env_remove("SPORTELLO_TELEGRAM_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SPORTELLO_TELEGRAM_SECRET"), "{err}");
    let out = bin()
        .arg("report")
        .arg(dir.join("missing.sqlite"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
