//! The semantic stage's model for the commands that answer questions (`ask`, `chat`, `eval`,
//! `suggest-alternatives`): the file named by `--model`, else by `SPORTELLO_MODEL`; without
//! either, matching is lexical. Opened once per run and shared by every engine.

use anyhow::Result;
use sportello_core::{Encoder, Engine};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Option<PathBuf>> = OnceLock::new();
static OPENED: OnceLock<Option<Arc<dyn Encoder>>> = OnceLock::new();

/// Records the `--model` option (called once, before any command runs).
pub fn set_flag(path: Option<PathBuf>) {
    let _ = FLAG.set(path);
}

/// The shared encoder, when a model is configured; an unreadable model is an error.
pub fn encoder() -> Result<Option<Arc<dyn Encoder>>> {
    if let Some(opened) = OPENED.get() {
        return Ok(opened.clone());
    }
    let opened = open()?;
    Ok(OPENED.get_or_init(|| opened).clone())
}

#[cfg(feature = "semantic")]
fn open() -> Result<Option<Arc<dyn Encoder>>> {
    let flag = FLAG.get().cloned().flatten();
    let Some(e5) = sportello_semantic::open_configured(flag.as_deref())? else {
        return Ok(None);
    };
    // Questions asked twice in a run (eval sets, chat) are embedded once.
    Ok(Some(Arc::new(sportello_semantic::Cached::new(e5, 50_000))))
}

#[cfg(not(feature = "semantic"))]
fn open() -> Result<Option<Arc<dyn Encoder>>> {
    if FLAG.get().cloned().flatten().is_some() || std::env::var_os("SPORTELLO_MODEL").is_some() {
        anyhow::bail!("questo sportello è compilato senza la fase semantica (feature «semantic»): togli --model o SPORTELLO_MODEL");
    }
    Ok(None)
}

/// The engine with the semantic stage attached when a model is configured.
pub fn attach(engine: Engine) -> Result<Engine> {
    Ok(match encoder()? {
        Some(e) => engine.with_encoder(e),
        None => engine,
    })
}
