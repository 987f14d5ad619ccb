//! `sportello notify <config> <agency> <notice-id>`: finds the notice in the agency's KB,
//! refuses an unknown, expired or not yet valid one, and prepares what [`super::send::run`]
//! needs (the message, where each channel sends, the store).

use super::send::{Message, MessengerTarget, Targets, TelegramTarget, WhatsappTarget};
use super::SubscriberStore;
use crate::config::{Channel, Config, ConfigError};
use crate::feedback::FeedbackError;
use sportello_core::Timestamp;
use std::path::Path;
use std::sync::Arc;

/// Why a notice cannot be sent, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("l'ente «{agency}» non è nella configurazione {config}; enti configurati: {known}")]
    UnknownAgency {
        agency: String,
        config: String,
        known: String,
    },
    #[error("base di conoscenza dell'ente «{agency}»: {source}")]
    Kb {
        agency: String,
        source: sportello_core::load::LoadError,
    },
    #[error("l'avviso «{notice}» non esiste in {kb}/notices/ (l'id è il nome del file senza .md); avvisi presenti: {known}")]
    UnknownNotice {
        notice: String,
        kb: String,
        known: String,
    },
    #[error("l'avviso «{notice}» è scaduto (until = {until}) e non viene inviato; se deve valere ancora, correggere until nel file dell'avviso")]
    Expired { notice: String, until: String },
    #[error("l'avviso «{notice}» vale solo da {from}: inviarlo da quel momento, oppure correggere from nel file dell'avviso")]
    NotYet { notice: String, from: String },
    #[error("le date dell'avviso «{notice}» non sono leggibili ({detail}): correggerle (sportello check) prima di inviarlo")]
    BadDates { notice: String, detail: String },
    #[error("nessun archivio degli iscritti in {config}: impostare [feedback] database (SQLite, lo stesso file di sportello serve) oppure [store] backend = \"postgres\"")]
    NoStore { config: String },
    #[error(transparent)]
    Store(#[from] FeedbackError),
}

/// A notice ready to be sent.
pub struct Prepared {
    pub agency: String,
    pub message: Message,
    pub targets: Targets,
    pub store: Arc<dyn SubscriberStore>,
    /// Subscribers per channel.
    pub subscribers: Vec<(String, u64)>,
    /// Channels with subscribers this run will not (or not fully) send to, and why (Italian).
    pub notes: Vec<(String, String)>,
}

/// Loads the agency's KB, checks the notice at `now` and opens the store.
pub fn prepare(
    config: &Config,
    config_path: &Path,
    agency: &str,
    notice_id: &str,
    now: Timestamp,
) -> Result<Prepared, NotifyError> {
    let Some(a) = config.agencies.iter().find(|a| a.id == agency) else {
        return Err(NotifyError::UnknownAgency {
            agency: agency.to_string(),
            config: config_path.display().to_string(),
            known: config
                .agencies
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    };
    let loaded = sportello_core::load::load_path(&a.kb).map_err(|source| NotifyError::Kb {
        agency: agency.to_string(),
        source,
    })?;
    let kb = loaded.kb;
    let Some(notice) = kb.notice(notice_id) else {
        let known: Vec<&str> = kb.notices.iter().map(|n| n.id.as_str()).collect();
        return Err(NotifyError::UnknownNotice {
            notice: notice_id.to_string(),
            kb: a.kb.display().to_string(),
            known: if known.is_empty() {
                "nessuno".to_string()
            } else {
                known.join(", ")
            },
        });
    };
    let (from, until) =
        sportello_core::notices::window(notice).map_err(|e| NotifyError::BadDates {
            notice: notice_id.to_string(),
            detail: e.to_string(),
        })?;
    if until.is_some_and(|u| u < now) {
        return Err(NotifyError::Expired {
            notice: notice_id.to_string(),
            until: notice.until.clone().unwrap_or_default(),
        });
    }
    if from.is_some_and(|f| now < f) {
        return Err(NotifyError::NotYet {
            notice: notice_id.to_string(),
            from: notice.from.clone().unwrap_or_default(),
        });
    }
    let message = Message {
        notice_id: notice.id.clone(),
        title: notice.title.trim().to_string(),
        text: sportello_core::render::markdown_to_text(&notice.text)
            .trim()
            .to_string(),
    };
    let store = crate::configured_store(config)?
        .and_then(|s| s.subscribers())
        .ok_or_else(|| NotifyError::NoStore {
            config: config_path.display().to_string(),
        })?;
    let targets = Targets {
        telegram: a
            .telegram
            .as_ref()
            .and_then(|t| t.bot_token.clone())
            .filter(|_| a.has(Channel::Telegram))
            .map(|bot_token| TelegramTarget {
                base_url: config.telegram_api_base_url.clone(),
                bot_token,
            }),
        whatsapp: match (&a.whatsapp, &a.meta) {
            (Some(w), Some(m)) if a.has(Channel::Whatsapp) => Some(WhatsappTarget {
                graph_base_url: config.graph_base_url.clone(),
                access_token: m.access_token.clone(),
                phone_number_id: w.phone_number_id.clone(),
                template: w.notice_template.trim().to_string(),
                language: w.template_language.trim().to_string(),
            }),
            _ => None,
        },
        messenger: match &a.meta {
            Some(m) if a.has(Channel::Messenger) => Some(MessengerTarget {
                graph_base_url: config.graph_base_url.clone(),
                access_token: m.access_token.clone(),
            }),
            _ => None,
        },
    };
    let subscribers = store.subscriber_counts(agency)?;
    let mut notes = Vec::new();
    for (channel, n) in &subscribers {
        let note = match channel.as_str() {
            "telegram" if targets.telegram.is_none() => Some(
                "non inviato: manca il token del bot (bot_token_env in [agency.telegram], variabile impostata)",
            ),
            "whatsapp" if targets.whatsapp.is_none() => Some(
                "non inviato: WhatsApp consegna solo modelli approvati; indicarne uno in [agency.whatsapp] notice_template",
            ),
            "messenger" if targets.messenger.is_none() => {
                Some("non inviato: canale messenger non attivo per l'ente")
            }
            "messenger" => Some(
                "inviato solo a chi ha scritto nelle ultime 24 ore (regole di Meta); gli altri restano in coda per un prossimo invio",
            ),
            _ => None,
        };
        if let Some(note) = note {
            notes.push((format!("{channel} ({n} iscritti)"), note.to_string()));
        }
    }
    Ok(Prepared {
        agency: agency.to_string(),
        message,
        targets,
        store,
        subscribers,
        notes,
    })
}
