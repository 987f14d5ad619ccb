//! Shared server state, and knowledge-base reloads: a new engine is built off the request
//! path (on a blocking thread) and swapped in atomically; an invalid KB leaves the previous
//! engine serving and the reason is logged.

use crate::config::{AgencyConfig, Config, LimitsSection};
use crate::dedup::Dedup;
use crate::feedback::FeedbackSink;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use arc_swap::ArcSwap;
use sportello_core::load::{for_serving, sources, LoadError, Refused};
use sportello_core::{Encoder, Engine, EngineError};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why a knowledge base could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Refused by core's loading policy (errors, or no entry).
    #[error(transparent)]
    Refused(Refused),
    /// The reload's thread ended without a result.
    #[error("la base di conoscenza {0} non è stata ricaricata: riprova")]
    Interrupted(String),
    #[error("indice non costruito: {0}")]
    Engine(#[from] EngineError),
}

/// Loads and checks a KB and builds its engine. Any error in the KB refuses it.
pub fn build_engine(
    path: &Path,
    encoder: Option<&Arc<dyn Encoder>>,
) -> Result<Engine, ReloadError> {
    let loaded = for_serving(path).map_err(|e| match e {
        Refused::Load(e) => ReloadError::Load(e),
        other => ReloadError::Refused(other),
    })?;
    let mut engine = Engine::new(loaded.kb)?;
    if let Some(e) = encoder {
        // Phrasings already embedded (an unchanged entry on reload) come from the encoder's
        // memory.
        engine = engine.with_encoder(e.clone());
    }
    // Built here, off the request path, rather than on a citizen's first misspelt question.
    engine.warm_up();
    Ok(engine)
}

/// A fingerprint of the files of the KB at `path` and of the packs it extends (names, sizes,
/// modification times).
pub fn fingerprint(path: &Path) -> u64 {
    fn walk(path: &Path, h: &mut DefaultHasher, depth: usize) {
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        path.hash(h);
        meta.len().hash(h);
        if let Ok(m) = meta.modified() {
            m.hash(h);
        }
        if meta.is_dir() && depth < 4 {
            if let Ok(rd) = std::fs::read_dir(path) {
                let mut children: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    walk(&c, h, depth + 1);
                }
            }
        }
    }
    let mut h = DefaultHasher::new();
    for source in sources(path) {
        walk(&source, &mut h, 0);
    }
    h.finish()
}

/// One agency being served.
pub struct AgencyState {
    pub config: AgencyConfig,
    engine: ArcSwap<Engine>,
    /// The process's sentence encoder, when the semantic stage is on.
    encoder: Option<Arc<dyn Encoder>>,
    fingerprint: Mutex<u64>,
    /// The engine replaced by the last reload, dropped at the next one on the blocking thread,
    /// so freeing an index never happens on the request path.
    retired: Mutex<Option<Arc<Engine>>>,
    /// Serialises reloads of this agency.
    reloading: tokio::sync::Mutex<()>,
}

impl AgencyState {
    pub fn new(
        config: AgencyConfig,
        encoder: Option<Arc<dyn Encoder>>,
    ) -> Result<AgencyState, ReloadError> {
        let fp = fingerprint(&config.kb);
        let engine = build_engine(&config.kb, encoder.as_ref())?;
        Ok(AgencyState {
            config,
            engine: ArcSwap::from_pointee(engine),
            encoder,
            fingerprint: Mutex::new(fp),
            retired: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
        })
    }

    /// The engine serving now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    /// Rebuilds the engine off the async threads and swaps it in; on failure the current
    /// engine keeps serving. `only_if_changed` skips the work when the files look unchanged.
    pub async fn reload(
        self: &Arc<Self>,
        metrics: &Metrics,
        only_if_changed: bool,
    ) -> Result<bool, ReloadError> {
        let _guard = self.reloading.lock().await;
        let this = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let fp = fingerprint(&this.config.kb);
            let mut last = this.fingerprint.lock().unwrap_or_else(|e| e.into_inner());
            if only_if_changed && *last == fp {
                return Ok(false);
            }
            // Remember the attempt even if it fails: the next change triggers a new one.
            *last = fp;
            drop(last);
            let engine = build_engine(&this.config.kb, this.encoder.as_ref())?;
            let old = this.engine.swap(Arc::new(engine));
            let older = this
                .retired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replace(old);
            drop(older);
            Ok(true)
        })
        .await
        .unwrap_or_else(|e| {
            Err(ReloadError::Interrupted(format!(
                "{} (ricaricamento interrotto: {e})",
                self.config.kb.display()
            )))
        });
        let agency = self.config.id.as_str();
        match &result {
            Ok(true) => {
                metrics.add(
                    "sportello_reloads_total",
                    format!("agency=\"{agency}\",result=\"ok\""),
                );
                tracing::info!(
                    agency,
                    entries = self.engine().kb().entries.len(),
                    "knowledge base reloaded"
                );
            }
            Ok(false) => {}
            Err(e) => {
                metrics.add(
                    "sportello_reloads_total",
                    format!("agency=\"{agency}\",result=\"rejected\""),
                );
                tracing::error!(agency, error = %e, "knowledge base reload rejected; the previous one keeps serving");
            }
        }
        result
    }
}

/// Everything the handlers share.
pub struct AppState {
    pub agencies: HashMap<String, Arc<AgencyState>>,
    pub metrics: Metrics,
    pub dedup: Dedup,
    pub user_limit: RateLimiter,
    pub api_limit: RateLimiter,
    pub feedback: FeedbackSink,
    /// Subscribers to notices, in the same store as the feedback (None without a store:
    /// subscription commands are then answered that the service is not active).
    pub subscribers: Option<Arc<dyn crate::broadcast::SubscriberStore>>,
    pub http: reqwest::Client,
    pub graph_base_url: String,
    pub telegram_api_base_url: String,
    pub limits: LimitsSection,
    /// Who may name the client address for rate limits.
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    /// Outgoing sends still running (waited for at shutdown).
    pub in_flight: AtomicUsize,
    /// Set when a stop was requested: `/readyz` then answers 503 while requests drain.
    pub draining: AtomicBool,
}

impl AppState {
    /// Builds every agency's engine; the error names the first agency that fails.
    pub fn new(config: &Config, feedback: FeedbackSink) -> Result<AppState, crate::ServeError> {
        let mut agencies = HashMap::new();
        let encoder = crate::semantic::open(config.semantic_model.as_deref())?;
        for a in &config.agencies {
            let state = AgencyState::new(a.clone(), encoder.clone()).map_err(|source| {
                crate::ServeError::Agency {
                    agency: a.id.clone(),
                    source,
                }
            })?;
            tracing::info!(
                agency = a.id.as_str(),
                entries = state.engine().kb().entries.len(),
                channels = ?a.channels,
                "agency loaded"
            );
            agencies.insert(a.id.clone(), Arc::new(state));
        }
        let l = &config.limits;
        Ok(AppState {
            agencies,
            metrics: Metrics::default(),
            dedup: match &config.store {
                crate::config::Store::Sqlite => {
                    Dedup::new(Duration::from_secs(l.dedup_seconds), 200_000)
                }
                crate::config::Store::Postgres { url } => Dedup::Postgres(Box::new(
                    crate::pg::PgDedup::new(url, Duration::from_secs(l.dedup_seconds))?,
                )),
            },
            user_limit: RateLimiter::new(l.user_per_minute, l.user_burst),
            api_limit: RateLimiter::new(l.api_per_minute, l.api_burst),
            feedback,
            subscribers: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap_or_default(),
            graph_base_url: config.graph_base_url.clone(),
            telegram_api_base_url: config.telegram_api_base_url.clone(),
            limits: l.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            in_flight: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
        })
    }

    /// Reloads every agency (SIGHUP).
    pub async fn reload_all(&self) {
        for a in self.agencies.values() {
            let _ = a.reload(&self.metrics, false).await;
        }
    }

    /// Runs an outgoing send in the background, counted for graceful shutdown.
    pub fn spawn_send<F>(self: &Arc<Self>, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        tokio::spawn(async move {
            fut.await;
            this.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }
}
