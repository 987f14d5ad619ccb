//! # sportello-server
//!
//! The bot backend of Sportello: one `sportello serve` process answers for many agencies on a
//! JSON API and on Telegram, WhatsApp, Messenger and Instagram Direct webhooks, from the same
//! knowledge-base files the widget uses. It holds no matching logic: every question goes to
//! [`sportello_core::Engine`].
//!
//! - [`config`]: the TOML file (agencies, KB folders, channels; secrets only as names of
//!   environment variables).
//! - [`state`]: shared state and KB reloads (SIGHUP or file change, built off the request
//!   path, swapped atomically, an invalid KB keeps the previous one serving).
//! - [`conn`]: accepting connections within bounds (header-read and idle timeouts, a cap
//!   below the open-file limit); [`client_ip`]: the client address for rate limits (the
//!   peer, or what a trusted proxy forwards).
//! - [`routes`]: `api` (JSON), `telegram`, `meta` (WhatsApp, Messenger, Instagram Direct); [`chat`] formats
//!   replies for chat apps.
//! - [`signature`] (Telegram secret, Meta HMAC), [`dedup`] (repeated deliveries),
//!   [`ratelimit`] (per user, after authentication), [`feedback`] (editors' store, SQLite;
//!   questions redacted by `sportello_core::redact` before they are stored; reply counts per
//!   day, channel, kind and entry), [`report`] (the editors' report: HTML and CSV), [`metrics`] (Prometheus),
//!   [`openapi`]; [`broadcast`] (chat subscribers to notices and `sportello notify`'s
//!   paced, resumable sending).
//!
//! Logs are structured and carry no personal data: never message text, phone numbers, chat
//! ids or tokens.

pub mod broadcast;
pub mod chat;
pub mod client_ip;
pub mod config;
pub mod conn;
pub mod dedup;
pub mod feedback;
pub mod metrics;
pub mod openapi;
pub mod pg;
pub mod ratelimit;
pub mod report;
pub mod routes;
pub mod semantic;
pub mod signature;
pub mod state;

use config::{Config, ConfigError};
use feedback::{FeedbackError, FeedbackSink, FeedbackStore, ReportRow, SqliteStore};
use state::{AppState, ReloadError};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("ente \"{agency}\": {source}")]
    Agency { agency: String, source: ReloadError },
    #[error(transparent)]
    Feedback(#[from] FeedbackError),
    #[error("impossibile ascoltare su {addr}: {source} (porta già in uso? usare --listen)")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("errore del server: {0}")]
    Io(#[from] std::io::Error),
    #[error("modello della fase semantica: {0}")]
    Model(String),
}

/// The store the configuration names: PostgreSQL, the SQLite file of `[feedback] database`,
/// or none.
pub fn configured_store(config: &Config) -> Result<Option<Arc<dyn FeedbackStore>>, FeedbackError> {
    Ok(match (&config.store, &config.feedback_db) {
        (config::Store::Postgres { url }, _) => {
            let store = pg::PgStore::open(url)?;
            tracing::info!(
                database = pg::describe(url).as_str(),
                "feedback and delivery ids in PostgreSQL"
            );
            Some(Arc::new(store))
        }
        (config::Store::Sqlite, Some(path)) => Some(Arc::new(SqliteStore::open(path)?)),
        (config::Store::Sqlite, None) => None,
    })
}

/// A configured server, ready to run on a listener.
pub struct Server {
    state: Arc<AppState>,
    reload_poll: Option<Duration>,
    drain: Duration,
}

impl Server {
    /// Loads every agency's KB and opens the feedback database named in the configuration.
    pub fn new(config: &Config) -> Result<Server, ServeError> {
        Server::with_store(config, configured_store(config)?)
    }

    /// Like [`Server::new`] with another feedback store (or none).
    pub fn with_store(
        config: &Config,
        store: Option<Arc<dyn FeedbackStore>>,
    ) -> Result<Server, ServeError> {
        // Check every KB before starting the writer thread.
        for a in &config.agencies {
            if !a.kb.exists() {
                return Err(ServeError::Agency {
                    agency: a.id.clone(),
                    source: ReloadError::Load(sportello_core::load::LoadError::NotFound {
                        path: a.kb.display().to_string(),
                    }),
                });
            }
        }
        let subscribers = store.clone().and_then(|s| s.subscribers());
        let sink = match store {
            Some(s) => FeedbackSink::new(s, config.retention_days)
                .with_daily_cap(config.limits.feedback_per_agency_per_day),
            None => FeedbackSink::disabled(),
        };
        let mut state = AppState::new(config, sink)?;
        state.subscribers = subscribers;
        Ok(Server {
            state: Arc::new(state),
            reload_poll: config.reload_poll,
            drain: config.drain,
        })
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Serves on `listener` until `shutdown` completes, then drains: `/readyz` turns 503 and
    /// requests are still served for the configured drain time, then the listener closes,
    /// in-flight requests finish, outgoing sends get up to 10 s, queued feedback is written.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let state = self.state;
        let mut background = Vec::new();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut hup = signal(SignalKind::hangup())?;
            let st = state.clone();
            background.push(tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading knowledge bases");
                    st.reload_all().await;
                }
            }));
        }
        if let Some(every) = self.reload_poll {
            let st = state.clone();
            background.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    for a in st.agencies.values() {
                        let _ = a.reload(&st.metrics, true).await;
                    }
                }
            }));
        }
        tracing::info!(
            addr = %listener.local_addr()?,
            agencies = state.agencies.len(),
            "sportello serve listening"
        );
        let app = routes::router(state.clone());
        let st = state.clone();
        let drain = self.drain;
        let shutdown = async move {
            shutdown.await;
            st.draining.store(true, Ordering::SeqCst);
            if !drain.is_zero() {
                tracing::info!(
                    seconds = drain.as_secs_f64(),
                    "draining: /readyz answers 503"
                );
                tokio::time::sleep(drain).await;
            }
        };
        let l = &state.limits;
        let limits = conn::ConnLimits {
            header_timeout: Duration::from_millis(l.header_timeout_ms.max(1)),
            idle_timeout: Duration::from_millis(l.idle_timeout_ms.max(1)),
            max_connections: match l.max_connections {
                0 => conn::default_max_connections(),
                n => n,
            },
        };
        tracing::info!(
            max_connections = limits.max_connections,
            "connection limits"
        );
        let result = conn::serve(listener, app, limits, state.clone(), shutdown).await;
        for task in background {
            task.abort();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while state.in_flight.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let st = state.clone();
        let _ = tokio::task::spawn_blocking(move || st.feedback.close()).await;
        tracing::info!("sportello serve stopped");
        result.map_err(ServeError::Io)
    }
}

/// Installs the JSON log subscriber on stderr (level from `RUST_LOG`, default `info`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}

/// `sportello serve`: reads the configuration, loads the agencies and serves until Ctrl-C or
/// SIGTERM. Blocks the calling thread.
pub fn serve(config_path: &Path, listen: Option<SocketAddr>) -> Result<(), ServeError> {
    init_logging();
    let mut config = Config::load(config_path)?;
    if let Some(l) = listen {
        config.listen = l;
    }
    if !cfg!(feature = "rustls")
        && (config.graph_base_url.starts_with("https://")
            || config.telegram_api_base_url.starts_with("https://"))
    {
        tracing::warn!(
            "built without TLS (--no-default-features): outgoing https calls (Graph API, Bot API) will fail; rebuild with the default features"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let server = Server::new(&config)?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: config.listen,
                source,
            })?;
        server.run(listener, shutdown_signal()).await
    })
}

/// `sportello report`: the most frequent groups of unanswered, clarified and thumbs-down
/// questions in a feedback database.
pub fn report(
    db: &Path,
    agency: Option<&str>,
    limit: usize,
) -> Result<Vec<ReportRow>, FeedbackError> {
    open_store(db)?.report(agency, limit)
}

/// Opens an existing feedback store: a SQLite file (a missing file is an error, not a new
/// database), a PostgreSQL URL (`postgres://…`), or `env:NAME`, the URL held in the
/// environment variable NAME (so the password is neither on the command line nor in a file).
pub fn open_store(db: &Path) -> Result<Box<dyn FeedbackStore>, FeedbackError> {
    let text = db.to_string_lossy();
    if let Some(var) = text.strip_prefix("env:") {
        let url = std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| FeedbackError::MissingEnv(var.to_string()))?;
        return Ok(Box::new(pg::PgStore::open(&url)?));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(Box::new(pg::PgStore::open(&text)?));
    }
    if !db.exists() {
        return Err(FeedbackError::Open {
            path: db.display().to_string(),
            source: rusqlite::Error::InvalidPath(db.to_path_buf()),
        });
    }
    Ok(Box::new(SqliteStore::open(db)?))
}
