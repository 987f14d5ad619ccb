//! The TOML configuration of `sportello serve`: agencies, their knowledge bases and channels,
//! limits, feedback storage. Secrets are never in the file: it names the environment variables
//! that hold them, and [`Config::resolve`] reads them.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Graph API base URL used when the configured environment variable is unset.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com/v21.0";
/// The Telegram Bot API base URL used when none is configured.
pub const DEFAULT_TELEGRAM_API_BASE_URL: &str = "https://api.telegram.org";

/// A configuration problem, with what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("impossibile leggere la configurazione {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configurazione {path} non valida: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("la configurazione non elenca nessun ente: aggiungere almeno una sezione [[agency]]")]
    NoAgency,
    #[error("ente «{agency}»: widget_origins contiene «{origin}», che non è un'origine: scrivere schema e host, ad esempio \"https://www.comune.example.it\" (senza percorso), oppure \"*\" per ammetterne qualsiasi")]
    BadOrigin { agency: String, origin: String },
    #[error("l'ente \"{0}\" compare due volte nella configurazione: ogni id deve essere unico")]
    DuplicateAgency(String),
    #[error("id d'ente \"{0}\" non valido: usare solo lettere minuscole, cifre e trattini")]
    BadAgencyId(String),
    #[error("ente \"{agency}\": il canale {channel} è attivo ma manca la sezione [agency.{section}] con i nomi delle variabili d'ambiente")]
    MissingSection {
        agency: String,
        channel: &'static str,
        section: &'static str,
    },
    #[error("ente \"{agency}\", canale {channel}: la variabile d'ambiente {var} non è impostata (o è vuota); impostarla prima di avviare il server")]
    MissingEnv {
        agency: String,
        channel: &'static str,
        var: String,
    },
    #[error("URL di base non valido per {what}: \"{url}\" (deve iniziare con http:// o https://)")]
    BadUrl { what: &'static str, url: String },
    #[error("server.trusted_proxies: \"{0}\" non è un indirizzo o una rete (esempi: \"127.0.0.1\", \"10.0.0.0/8\", \"::1\")")]
    BadProxy(String),
    #[error("server.client_ip_header: \"{0}\" non è un nome di intestazione HTTP valido")]
    BadHeader(String),
    #[error("store.backend: \"{0}\" non è previsto: scrivere \"sqlite\" (predefinito, una sola macchina) oppure \"postgres\" (più repliche)")]
    BadBackend(String),
    #[error("store.backend = \"postgres\" ma manca l'URL del database: impostare la variabile d'ambiente indicata da store.url_env (ad esempio SPORTELLO_PG_URL=postgres://utente:password@127.0.0.1/sportello) oppure store.url")]
    MissingPgUrl,
    #[error("store.url_env: la variabile d'ambiente {0} non è impostata (o è vuota); impostarla con l'URL di PostgreSQL prima di avviare il server")]
    MissingPgEnv(String),
    #[error("store: URL di PostgreSQL non valido ({0}); forma: postgres://utente:password@host:5432/database")]
    BadPgUrl(String),
    #[error("con store.backend = \"postgres\" le segnalazioni vanno in PostgreSQL: togliere feedback.database (\"{0}\") dalla configurazione")]
    FeedbackDbWithPostgres(String),
    #[error("ente \"{0}\", [agency.whatsapp]: notice_template (il nome del modello approvato in WhatsApp Manager) non può essere vuoto e phone_number_id deve essere l'id numerico del numero di telefono dell'azienda")]
    BadWhatsapp(String),
}

/// A channel an agency can be reached on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Api,
    Telegram,
    Whatsapp,
    Messenger,
    Instagram,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Telegram => "telegram",
            Channel::Whatsapp => "whatsapp",
            Channel::Messenger => "messenger",
            Channel::Instagram => "instagram",
        }
    }
}

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub limits: LimitsSection,
    #[serde(default)]
    pub feedback: FeedbackSection,
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub semantic: SemanticSection,
    #[serde(default, rename = "agency")]
    pub agencies: Vec<AgencySection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// Address to listen on (overridden by `--listen`).
    pub listen: String,
    /// Name of the environment variable holding the Graph API base URL.
    pub graph_base_url_env: String,
    /// Telegram Bot API base URL (for the continuation of answers longer than one message).
    pub telegram_api_base_url: String,
    /// Seconds between checks of the KB folders for changes (0: only SIGHUP reloads).
    pub reload_poll_seconds: u64,
    /// Seconds between the stop request (SIGTERM) and closing the listener: meanwhile
    /// `/readyz` answers 503 so a load balancer stops sending, and requests still get served.
    pub drain_seconds: u64,
    /// Reverse proxies (addresses or networks such as `10.0.0.0/8`) whose `client_ip_header`
    /// names the client for rate limits; from any other peer the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// The header a trusted proxy sets (default `X-Forwarded-For`).
    pub client_ip_header: String,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            listen: "127.0.0.1:8080".into(),
            graph_base_url_env: "SPORTELLO_GRAPH_BASE_URL".into(),
            telegram_api_base_url: DEFAULT_TELEGRAM_API_BASE_URL.into(),
            reload_poll_seconds: 2,
            drain_seconds: 0,
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Largest accepted request body.
    pub body_bytes: usize,
    /// Whole-request timeout.
    pub request_timeout_ms: u64,
    /// Messages per minute allowed to one chat-app user (0: no limit).
    pub user_per_minute: u32,
    /// Messages one chat-app user may send in a burst.
    pub user_burst: u32,
    /// Requests per minute allowed to one JSON API client address (an IPv6 client by its
    /// /64; behind a trusted proxy, the address it forwards). 0: no limit.
    #[serde(alias = "api_client_per_minute")]
    pub api_per_minute: u32,
    /// Requests one client address may send in a burst.
    pub api_burst: u32,
    /// How long a delivery id is remembered to drop repeated deliveries.
    pub dedup_seconds: u64,
    /// Questions stored for editors per agency and per day (UTC) at most; the excess is
    /// counted in `/metrics` (`sportello_feedback_capped_total`). 0: no cap.
    pub feedback_per_agency_per_day: u32,
    /// Time a client has to send a request's headers.
    pub header_timeout_ms: u64,
    /// Time a connection may stay open with no request.
    pub idle_timeout_ms: u64,
    /// Open connections at most (0: the open-file limit minus a reserve of 128).
    pub max_connections: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            body_bytes: 64 * 1024,
            request_timeout_ms: 10_000,
            user_per_minute: 20,
            user_burst: 8,
            api_per_minute: 120,
            api_burst: 30,
            dedup_seconds: 3600,
            feedback_per_agency_per_day: 5_000,
            header_timeout_ms: 5_000,
            idle_timeout_ms: 60_000,
            max_connections: 0,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedbackSection {
    /// SQLite file for unanswered / clarified / thumbs-down questions (relative to the config
    /// file); empty: not stored.
    pub database: String,
    /// Days a stored question is kept.
    pub retention_days: u32,
}

impl Default for FeedbackSection {
    fn default() -> Self {
        FeedbackSection {
            database: String::new(),
            retention_days: 90,
        }
    }
}

/// The semantic stage: one model for every agency of the process.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SemanticSection {
    /// The model file (`e5-small-q4.bin`, from scripts/fetch-model.sh), relative to this
    /// file; empty: matching is lexical (unless `SPORTELLO_MODEL` names one).
    pub model: String,
}

/// Where the shared state lives: the feedback store and the delivery ids seen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `sqlite` (default: `[feedback] database`, delivery ids in memory; one machine) or
    /// `postgres` (feedback and delivery ids in PostgreSQL, shared by several replicas).
    pub backend: String,
    /// The PostgreSQL URL, `postgres://user:password@host:5432/db`. Better: `url_env`.
    pub url: String,
    /// Name of the environment variable holding the URL (keeps the password out of the file).
    pub url_env: String,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            backend: "sqlite".into(),
            url: String::new(),
            url_env: String::new(),
        }
    }
}

/// The resolved store choice.
#[derive(Clone, PartialEq)]
pub enum Store {
    /// `[feedback] database` (if set) and in-memory de-duplication.
    Sqlite,
    /// PostgreSQL at this URL (which may hold a password: never printed, see [`Store::fmt`]).
    Postgres { url: String },
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Sqlite => f.write_str("Sqlite"),
            Store::Postgres { url } => write!(f, "Postgres({})", crate::pg::describe(url)),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencySection {
    pub id: String,
    /// Knowledge base: native folder, .jsonl or .csv (relative to the config file).
    pub kb: PathBuf,
    pub channels: Vec<Channel>,
    /// Origins of the agency's web pages whose widget may post to the feedback route
    /// (`report-url`), e.g. `https://www.comune.example.it`; `"*"` admits any. Empty: none.
    #[serde(default)]
    pub widget_origins: Vec<String>,
    #[serde(default)]
    pub telegram: Option<TelegramSection>,
    #[serde(default)]
    pub meta: Option<MetaSection>,
    /// Notices to WhatsApp subscribers (`sportello notify`): the approved template.
    #[serde(default)]
    pub whatsapp: Option<WhatsappSection>,
}

/// `[agency.whatsapp]`: WhatsApp delivers only approved templates outside the 24 hours after
/// a person's last message, so notices go out as this template, its body having two
/// variables: {{1}} the notice's title, {{2}} its text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsappSection {
    /// The template's name as approved in WhatsApp Manager.
    pub notice_template: String,
    /// Its language code (default `it`).
    #[serde(default = "default_template_language")]
    pub template_language: String,
    /// The business phone number id to send from (digits, from WhatsApp Manager).
    pub phone_number_id: String,
}

fn default_template_language() -> String {
    "it".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegramSection {
    /// Variable holding the webhook secret (`secret_token` of `setWebhook`).
    pub secret_env: String,
    /// Optional variable holding the bot token, used only to send the rest of long answers.
    #[serde(default)]
    pub bot_token_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaSection {
    pub app_secret_env: String,
    pub verify_token_env: String,
    pub access_token_env: String,
}

/// Telegram secrets of one agency.
#[derive(Clone)]
pub struct TelegramSecrets {
    pub secret: String,
    pub bot_token: Option<String>,
}

/// Meta (WhatsApp / Messenger / Instagram) secrets of one agency.
#[derive(Clone)]
pub struct MetaSecrets {
    pub app_secret: String,
    pub verify_token: String,
    pub access_token: String,
}

// Secrets never appear in Debug output.
impl std::fmt::Debug for TelegramSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TelegramSecrets(..)")
    }
}
impl std::fmt::Debug for MetaSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetaSecrets(..)")
    }
}

/// One agency, ready to serve.
#[derive(Debug, Clone)]
pub struct AgencyConfig {
    pub id: String,
    pub kb: PathBuf,
    pub channels: Vec<Channel>,
    /// Origins whose pages may post widget reports (CORS); `*` admits any.
    pub widget_origins: Vec<String>,
    pub telegram: Option<TelegramSecrets>,
    pub meta: Option<MetaSecrets>,
    /// The WhatsApp template for notices, when configured.
    pub whatsapp: Option<WhatsappSection>,
}

impl AgencyConfig {
    pub fn has(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// Whether a page of `origin` (the browser's `Origin` header) may post widget reports.
    pub fn admits_origin(&self, origin: &str) -> bool {
        self.widget_origins
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
    }
}

/// `scheme://host[:port]` with no path, or `*`: what a browser sends as `Origin`.
fn valid_origin(o: &str) -> bool {
    if o == "*" {
        return true;
    }
    let o = o.trim_end_matches('/');
    let Some(rest) = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// The resolved configuration: paths absolute, secrets read.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub graph_base_url: String,
    pub telegram_api_base_url: String,
    pub reload_poll: Option<Duration>,
    /// Time between the stop request and closing the listener (`/readyz` is 503 meanwhile).
    pub drain: Duration,
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    pub limits: LimitsSection,
    pub feedback_db: Option<PathBuf>,
    pub retention_days: u32,
    pub store: Store,
    /// The semantic stage's model file, when configured.
    pub semantic_model: Option<PathBuf>,
    pub agencies: Vec<AgencyConfig>,
}

impl Config {
    /// Reads the file and resolves it with the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: FileConfig = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::resolve(file, base, |name| std::env::var(name).ok())
    }

    /// Resolves a parsed file: relative paths against `base`, secrets through `env`.
    pub fn resolve(
        file: FileConfig,
        base: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if file.agencies.is_empty() {
            return Err(ConfigError::NoAgency);
        }
        let listen = file
            .server
            .listen
            .parse()
            .map_err(|_| ConfigError::BadUrl {
                what: "server.listen (indirizzo:porta)",
                url: file.server.listen.clone(),
            })?;
        let graph_base_url = env(&file.server.graph_base_url_env)
            .unwrap_or_else(|| DEFAULT_GRAPH_BASE_URL.to_string());
        check_url("Graph API", &graph_base_url)?;
        check_url("Telegram Bot API", &file.server.telegram_api_base_url)?;
        let trusted_proxies = crate::client_ip::TrustedProxies {
            nets: file
                .server
                .trusted_proxies
                .iter()
                .map(|n| {
                    crate::client_ip::IpNet::parse(n)
                        .ok_or_else(|| ConfigError::BadProxy(n.clone()))
                })
                .collect::<Result<_, _>>()?,
            header: {
                let h = file.server.client_ip_header.trim().to_ascii_lowercase();
                axum::http::HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| ConfigError::BadHeader(file.server.client_ip_header.clone()))?;
                h
            },
        };
        let store = match file.store.backend.trim() {
            "" | "sqlite" => Store::Sqlite,
            "postgres" | "postgresql" => {
                let url = if !file.store.url_env.trim().is_empty() {
                    env(file.store.url_env.trim())
                        .ok_or_else(|| ConfigError::MissingPgEnv(file.store.url_env.clone()))?
                } else if !file.store.url.trim().is_empty() {
                    file.store.url.trim().to_string()
                } else {
                    return Err(ConfigError::MissingPgUrl);
                };
                // The parser's message never repeats the password.
                crate::pg::parse_url(&url).map_err(|e| {
                    ConfigError::BadPgUrl(
                        std::error::Error::source(&e)
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| e.to_string()),
                    )
                })?;
                if !file.feedback.database.is_empty() {
                    return Err(ConfigError::FeedbackDbWithPostgres(
                        file.feedback.database.clone(),
                    ));
                }
                Store::Postgres { url }
            }
            other => return Err(ConfigError::BadBackend(other.to_string())),
        };
        let mut agencies: Vec<AgencyConfig> = Vec::new();
        for a in file.agencies {
            if a.id.is_empty()
                || !a
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(ConfigError::BadAgencyId(a.id));
            }
            if agencies.iter().any(|x| x.id == a.id) {
                return Err(ConfigError::DuplicateAgency(a.id));
            }
            let need = |channel: Channel, var: &str| {
                env(var).ok_or_else(|| ConfigError::MissingEnv {
                    agency: a.id.clone(),
                    channel: channel.as_str(),
                    var: var.to_string(),
                })
            };
            let telegram = if a.channels.contains(&Channel::Telegram) {
                let t = a.telegram.as_ref().ok_or(ConfigError::MissingSection {
                    agency: a.id.clone(),
                    channel: "telegram",
                    section: "telegram",
                })?;
                Some(TelegramSecrets {
                    secret: need(Channel::Telegram, &t.secret_env)?,
                    bot_token: t.bot_token_env.as_deref().and_then(env),
                })
            } else {
                None
            };
            let meta_channel = [Channel::Whatsapp, Channel::Messenger, Channel::Instagram]
                .into_iter()
                .find(|c| a.channels.contains(c));
            let meta = if let Some(channel) = meta_channel {
                let m = a.meta.as_ref().ok_or(ConfigError::MissingSection {
                    agency: a.id.clone(),
                    channel: channel.as_str(),
                    section: "meta",
                })?;
                Some(MetaSecrets {
                    app_secret: need(channel, &m.app_secret_env)?,
                    verify_token: need(channel, &m.verify_token_env)?,
                    access_token: need(channel, &m.access_token_env)?,
                })
            } else {
                None
            };
            if let Some(w) = &a.whatsapp {
                let digits = !w.phone_number_id.is_empty()
                    && w.phone_number_id.len() <= 32
                    && w.phone_number_id.bytes().all(|b| b.is_ascii_digit());
                if w.notice_template.trim().is_empty() || !digits {
                    return Err(ConfigError::BadWhatsapp(a.id.clone()));
                }
            }
            for o in &a.widget_origins {
                if !valid_origin(o) {
                    return Err(ConfigError::BadOrigin {
                        agency: a.id.clone(),
                        origin: o.clone(),
                    });
                }
            }
            agencies.push(AgencyConfig {
                kb: base.join(&a.kb),
                id: a.id,
                channels: a.channels,
                widget_origins: a
                    .widget_origins
                    .into_iter()
                    .map(|o| o.trim_end_matches('/').to_string())
                    .collect(),
                telegram,
                meta,
                whatsapp: a.whatsapp,
            });
        }
        Ok(Config {
            listen,
            graph_base_url: graph_base_url.trim_end_matches('/').to_string(),
            telegram_api_base_url: file
                .server
                .telegram_api_base_url
                .trim_end_matches('/')
                .to_string(),
            reload_poll: (file.server.reload_poll_seconds > 0)
                .then(|| Duration::from_secs(file.server.reload_poll_seconds)),
            drain: Duration::from_secs(file.server.drain_seconds),
            trusted_proxies,
            limits: file.limits,
            feedback_db: (!file.feedback.database.is_empty())
                .then(|| base.join(&file.feedback.database)),
            retention_days: file.feedback.retention_days,
            store,
            semantic_model: (!file.semantic.model.trim().is_empty())
                .then(|| base.join(file.semantic.model.trim()))
                .or_else(|| env("SPORTELLO_MODEL").map(PathBuf::from)),
            agencies,
        })
    }
}

fn check_url(what: &'static str, url: &str) -> Result<(), ConfigError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(ConfigError::BadUrl {
            what,
            url: url.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
[[agency]]
id = "ente"
kb = "kb"
channels = ["api", "telegram", "whatsapp"]
[agency.telegram]
secret_env = "T"
[agency.meta]
app_secret_env = "A"
verify_token_env = "V"
access_token_env = "X"
"#;

    fn env(name: &str) -> Option<String> {
        ["T", "A", "V", "X"]
            .contains(&name)
            .then(|| format!("value-{name}"))
    }

    #[test]
    fn resolves_secrets_and_paths() {
        let file: FileConfig = toml::from_str(TEXT).unwrap();
        let c = Config::resolve(file, Path::new("/etc/sportello"), env).unwrap();
        assert_eq!(c.agencies[0].kb, PathBuf::from("/etc/sportello/kb"));
        assert_eq!(c.agencies[0].telegram.as_ref().unwrap().secret, "value-T");
        assert_eq!(c.graph_base_url, DEFAULT_GRAPH_BASE_URL);
        assert!(
            !format!("{c:?}").contains("value-"),
            "secrets leak in Debug"
        );
    }

    #[test]
    fn store_backend_and_url_from_the_environment() {
        let with = |store: &str, vars: &'static [(&'static str, &'static str)]| {
            let file: FileConfig = toml::from_str(&format!("{store}\n{TEXT}")).unwrap();
            Config::resolve(file, Path::new("/etc"), move |n| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
                    .or_else(|| env(n))
            })
        };
        assert_eq!(with("", &[]).unwrap().store, Store::Sqlite);
        let c = with(
            "[store]\nbackend = \"postgres\"\nurl_env = \"PG\"",
            &[("PG", "postgres://s:s3greta@127.0.0.1/sportello")],
        )
        .unwrap();
        assert_eq!(
            c.store,
            Store::Postgres {
                url: "postgres://s:s3greta@127.0.0.1/sportello".into()
            }
        );
        assert!(!format!("{c:?}").contains("s3greta"), "password in Debug");
        let err = |store: &str| with(store, &[]).unwrap_err().to_string();
        assert!(err("[store]\nbackend = \"postgres\"\nurl_env = \"PG\"").contains("PG"));
        assert!(err("[store]\nbackend = \"postgres\"").contains("store.url_env"));
        assert!(err("[store]\nbackend = \"mysql\"").contains("\"mysql\" non è previsto"));
        assert!(err(
            "[store]\nbackend = \"postgres\"\nurl = \"postgres://a@h/d\"\n[feedback]\ndatabase = \"f.db\""
        )
        .contains("togliere feedback.database"));
    }

    #[test]
    fn semantic_model_from_the_file_else_the_environment() {
        let with = |semantic: &str, model_env: Option<&'static str>| {
            let file: FileConfig = toml::from_str(&format!("{semantic}\n{TEXT}")).unwrap();
            Config::resolve(file, Path::new("/etc/sportello"), move |n| {
                if n == "SPORTELLO_MODEL" {
                    model_env.map(String::from)
                } else {
                    env(n)
                }
            })
            .unwrap()
            .semantic_model
        };
        assert_eq!(
            with("[semantic]\nmodel = \"modelli/e5.bin\"", Some("/altro.bin")),
            Some(PathBuf::from("/etc/sportello/modelli/e5.bin"))
        );
        assert_eq!(
            with("", Some("/m/e5.bin")),
            Some(PathBuf::from("/m/e5.bin"))
        );
        assert_eq!(with("[semantic]\nmodel = \"\"", None), None);
        assert_eq!(with("", None), None);
    }

    #[test]
    fn missing_secret_names_the_variable() {
        let file: FileConfig = toml::from_str(TEXT).unwrap();
        let err = Config::resolve(file, Path::new("."), |n| {
            ["T", "A", "X"].contains(&n).then(|| "x".to_string())
        })
        .unwrap_err();
        assert!(err.to_string().contains("V"), "{err}");
    }

    #[test]
    fn widget_origins_are_checked_and_matched() {
        let with = |origins: &str| {
            let text = TEXT.replace(
                "channels = [\"api\", \"telegram\", \"whatsapp\"]",
                &format!(
                    "channels = [\"api\", \"telegram\", \"whatsapp\"]\nwidget_origins = {origins}"
                ),
            );
            Config::resolve(toml::from_str(&text).unwrap(), Path::new("/"), env)
        };
        let c = with(r#"["https://www.comune.example.it/"]"#).unwrap();
        let a = &c.agencies[0];
        assert!(a.admits_origin("https://www.comune.example.it"));
        assert!(!a.admits_origin("https://www.comune.example.it.evil.example"));
        assert!(!a.admits_origin("http://www.comune.example.it"));
        assert!(with(r#"["*"]"#).unwrap().agencies[0].admits_origin("https://x.example"));
        let none = Config::resolve(toml::from_str(TEXT).unwrap(), Path::new("/"), env).unwrap();
        assert!(!none.agencies[0].admits_origin("https://www.comune.example.it"));
        for bad in [
            r#"["www.comune.example.it"]"#,
            r#"["https://comune.example.it/widget"]"#,
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(
                err.contains("widget_origins") && err.contains("«ente»"),
                "{err}"
            );
        }
    }

    #[test]
    fn whatsapp_notice_template() {
        let with = |section: &str| {
            Config::resolve(
                toml::from_str(&format!("{TEXT}[agency.whatsapp]\n{section}")).unwrap(),
                Path::new("/"),
                env,
            )
        };
        let c = with("notice_template = \"avviso_comune\"\nphone_number_id = \"106540352242922\"")
            .unwrap();
        let w = c.agencies[0].whatsapp.as_ref().unwrap();
        assert_eq!(
            (w.notice_template.as_str(), w.template_language.as_str()),
            ("avviso_comune", "it")
        );
        for bad in [
            "notice_template = \"\"\nphone_number_id = \"1\"",
            "notice_template = \"a\"\nphone_number_id = \"../me\"",
        ] {
            let err = with(bad).unwrap_err().to_string();
            assert!(err.contains("[agency.whatsapp]"), "{err}");
        }
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(toml::from_str::<FileConfig>("[server]\nlisten_on = 'x'").is_err());
    }
}
