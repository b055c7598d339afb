//! Why a model folder could not be loaded onto an engine.

/// Why a model could not be loaded; the message says what to do, the cause is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The folder is not a model Photon reads (no descriptor, a broken config).
    #[error("{0}")]
    Model(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The engine could not load the model (no ONNX Runtime, a broken ONNX file).
    #[error("{0}")]
    Engine(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The tagger could not be built (labels, vocabulary, WordNet, the label bank).
    #[error("{0}")]
    Tagging(String),
}

impl SetupError {
    pub(crate) fn engine(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Engine(error.into())
    }
}
