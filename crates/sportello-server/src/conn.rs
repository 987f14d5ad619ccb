//! Accepting connections with bounds: a header-read timeout (a client that sends half a
//! request line and waits is closed), an idle timeout between requests, and a cap on open
//! connections below the open-file limit, so that slow or idle clients can never take the
//! descriptors that real requests and knowledge-base reloads need.
//!
//! At the cap, the oldest connection that is not serving a request (waiting for its headers
//! or idle between requests) is closed to make room; if every one is busy, the new
//! connection is closed at once. Each request carries the peer address (`ConnectInfo`), used
//! for per-address rate limits.

use crate::state::AppState;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tower::ServiceExt;

/// The bounds applied to connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time a client has to send a request's headers from the start of the connection.
    pub header_timeout: Duration,
    /// Time a connection may stay open with no request in progress.
    pub idle_timeout: Duration,
    /// Open connections at most.
    pub max_connections: usize,
}

/// Descriptors kept free for everything else: the listener, KB files read by reloads, the
/// feedback database, outgoing calls to the platforms.
const RESERVED_FILES: u64 = 128;

/// The connection cap to use when none is configured: the open-file limit minus a reserve
/// (at least 16; 4,096 where the limit cannot be read).
pub fn default_max_connections() -> usize {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit only writes the struct it is given.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0 {
            #[allow(clippy::useless_conversion)] // rlim_t is not u64 everywhere
            let cur = u64::try_from(lim.rlim_cur).unwrap_or(u64::MAX);
            return cur.saturating_sub(RESERVED_FILES).clamp(16, 65_536) as usize;
        }
    }
    4_096
}

/// What the accept loop knows of one connection.
struct Conn {
    /// Requests being served now.
    busy: AtomicUsize,
    /// Milliseconds since the loop started, at the last request's end (or the accept).
    last_active_ms: AtomicU64,
    /// Asks the connection to close now (cap reached) or gracefully (shutdown).
    close_now: Notify,
    drain: Notify,
}

struct Registry {
    started: Instant,
    /// By connection number, so the first is the oldest.
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn len(&self) -> usize {
        self.conns.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Closes the oldest connection serving no request; false when there is none.
    fn evict_one(&self) -> bool {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        match conns.values().find(|c| c.busy.load(Ordering::SeqCst) == 0) {
            Some(c) => {
                c.close_now.notify_one();
                true
            }
            None => false,
        }
    }
}

/// Decrements the busy count when a request ends (also if it is cancelled).
struct Busy(Arc<Conn>, Arc<Registry>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
        self.0
            .last_active_ms
            .store(self.1.now_ms(), Ordering::SeqCst);
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes; then open
/// connections finish their requests (up to 10 s) and are closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnLimits,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry {
        started: Instant::now(),
        conns: Mutex::new(BTreeMap::new()),
    });
    let mut next_id: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors (EMFILE/ENFILE) or a connection reset before accept:
                // make room and retry soon, rather than stalling the loop for a second.
                if matches!(e.raw_os_error(), Some(23) | Some(24)) {
                    registry.evict_one();
                    state
                        .metrics
                        .add("sportello_connections_refused_total", String::new());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        if registry.len() >= limits.max_connections && !registry.evict_one() {
            state
                .metrics
                .add("sportello_connections_refused_total", String::new());
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            last_active_ms: AtomicU64::new(registry.now_ms()),
            close_now: Notify::new(),
            drain: Notify::new(),
        });
        registry
            .conns
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(next_id, conn.clone());
        let id = next_id;
        let app = app.clone();
        let reg = registry.clone();
        tokio::spawn(async move {
            serve_one(stream, peer, app, limits, conn, reg.clone()).await;
            reg.conns
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
        });
    }
    drop(listener);
    // Shutdown: idle connections close now, busy ones after their request.
    let all: Vec<Arc<Conn>> = registry
        .conns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .cloned()
        .collect();
    for c in all {
        c.drain.notify_one();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while registry.len() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnLimits,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
) {
    let svc_conn = conn.clone();
    let svc_reg = registry.clone();
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            svc_conn.busy.fetch_add(1, Ordering::SeqCst);
            let guard = Busy(svc_conn.clone(), svc_reg.clone());
            let app = app.clone();
            async move {
                let resp = app.oneshot(req).await;
                drop(guard);
                resp
            }
        });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let http = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(http);
    let check = (limits.idle_timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5));
    let mut draining = false;
    loop {
        tokio::select! {
            _ = http.as_mut() => return,
            _ = conn.close_now.notified() => return,
            _ = conn.drain.notified(), if !draining => {
                draining = true;
                http.as_mut().graceful_shutdown();
            }
            _ = tokio::time::sleep(check) => {
                let idle_ms = registry
                    .now_ms()
                    .saturating_sub(conn.last_active_ms.load(Ordering::SeqCst));
                if conn.busy.load(Ordering::SeqCst) == 0
                    && idle_ms >= limits.idle_timeout.as_millis() as u64
                {
                    return;
                }
            }
        }
    }
}
