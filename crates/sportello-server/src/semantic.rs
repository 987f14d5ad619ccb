//! The semantic stage's model, opened once for the whole process (`[semantic] model` in
//! sportello.toml, else `SPORTELLO_MODEL`) and shared by every agency's engine; each engine
//! keeps only its own phrasings' vectors. Without a model, matching is lexical.

use sportello_core::Encoder;
use std::path::Path;
use std::sync::Arc;

/// Texts whose vectors are remembered (phrasings, for reloads, and recent questions).
#[cfg(feature = "semantic")]
const REMEMBERED: usize = 50_000;

/// Opens the model at `path`, when one is configured, and says which mode runs.
pub fn open(path: Option<&Path>) -> Result<Option<Arc<dyn Encoder>>, crate::ServeError> {
    let Some(path) = path else {
        tracing::info!("matching: lexical (no [semantic] model configured)");
        return Ok(None);
    };
    let encoder = open_model(path)?;
    tracing::info!(model = %path.display(), "matching: lexical and semantic");
    Ok(Some(encoder))
}

#[cfg(feature = "semantic")]
fn open_model(path: &Path) -> Result<Arc<dyn Encoder>, crate::ServeError> {
    let e5 =
        sportello_semantic::E5::open(path).map_err(|e| crate::ServeError::Model(e.to_string()))?;
    Ok(Arc::new(sportello_semantic::Cached::new(e5, REMEMBERED)))
}

#[cfg(not(feature = "semantic"))]
fn open_model(path: &Path) -> Result<Arc<dyn Encoder>, crate::ServeError> {
    Err(crate::ServeError::Model(format!(
        "{}: questo sportello è compilato senza la fase semantica (feature «semantic»); togliere [semantic] model",
        path.display()
    )))
}
