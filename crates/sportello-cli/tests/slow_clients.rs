//! `sportello serve` under a lowered open-file limit (`ulimit -n 512`) while 2,000
//! half-open connections (half a request line, then nothing) are held open and renewed:
//! a normal client's requests all succeed, and a knowledge-base reload still works. The
//! latencies are printed (`--nocapture`) for the note; the connection cap, the eviction of
//! connections that have not sent their headers and the header-read timeout are what
//! make it hold (`crates/sportello-server/src/conn.rs`).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Raises this process's own soft limit, since it holds the 2,000 client sockets.
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every target
fn raise_own_file_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        assert!(
            lim.rlim_max as u64 >= want,
            "the hard open-file limit ({}) is below {want}",
            lim.rlim_max
        );
        if (lim.rlim_cur as u64) < want {
            lim.rlim_cur = want as libc::rlim_t;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }
}

fn ask(port: u16, question: &str) -> (u16, String) {
    let body = format!("{{\"question\":{question:?}}}");
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let req = format!(
        "POST /v1/agencies/comune-di-esempio/ask HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, resp)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(target_os = "linux")]
#[test]
fn half_open_connections_do_not_starve_clients_or_reloads() {
    raise_own_file_limit(4_096);
    let dir = std::env::temp_dir().join(format!("sportello-slow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let kb = dir.join("kb");
    copy_dir(&repo_root().join("knowledge-base/comune-di-esempio"), &kb);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.join("sportello.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nreload_poll_seconds = 1\n[limits]\napi_per_minute = 0\nheader_timeout_ms = 5000\n\
             [[agency]]\nid = \"comune-di-esempio\"\nkb = {:?}\nchannels = [\"api\"]\n",
            kb.display().to_string()
        ),
    )
    .unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 512 && exec \"$@\"")
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_sportello"))
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // The attacker: 2,000 connections that each send half a request line, renewed as the
    // server closes them, for as long as the test runs.
    let stop = Arc::new(AtomicBool::new(false));
    let opened = Arc::new(AtomicUsize::new(0));
    let attacker = {
        let (stop, opened) = (stop.clone(), opened.clone());
        std::thread::spawn(move || {
            let mut held: VecDeque<TcpStream> = VecDeque::new();
            while !stop.load(Ordering::SeqCst) {
                if held.len() >= 2_000 {
                    held.pop_front();
                }
                if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                    let _ = s.write_all(b"POST /v1/agen");
                    held.push_back(s);
                    opened.fetch_add(1, Ordering::SeqCst);
                }
                if held.len() >= 2_000 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        })
    };
    while opened.load(Ordering::SeqCst) < 2_000 {
        std::thread::sleep(Duration::from_millis(20));
    }

    // A normal client, one connection per request.
    let mut latencies = Vec::new();
    for i in 0..300 {
        let q = if i % 2 == 0 {
            "quanto costa la carta d'identità"
        } else {
            "orari biblioteca"
        };
        let start = Instant::now();
        let (status, resp) = ask(port, q);
        latencies.push(start.elapsed());
        assert_eq!(status, 200, "request {i}: {resp}");
    }
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "normal client under 2,000 half-open connections (ulimit -n 512): {} requests, p50 {:?}, p99 {:?}, max {:?}; attacker opened {} connections",
        latencies.len(),
        p(0.50),
        p(0.99),
        latencies[latencies.len() - 1],
        opened.load(Ordering::SeqCst)
    );

    // A reload still works: a new entry is served after the next poll.
    std::fs::write(
        kb.join("entries/biciclette-comunali.md"),
        "+++\nquestion = \"Dove si noleggiano le biciclette comunali?\"\n+++\nAl deposito di via Verdi.\n",
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, resp) = ask(port, "dove si noleggiano le biciclette comunali");
        assert_eq!(status, 200, "{resp}");
        if resp.contains("biciclette-comunali") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reload did not happen: {resp}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::SeqCst);
    attacker.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
