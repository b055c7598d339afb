//! Why a model folder could not be loaded onto an engine.

/// Why a model could not be loaded; the message says what to do, the cause is kept.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The folder is not a model Photon reads (no descriptor, a broken config).
    #[error(transparent)]
    Model(Box<dyn std::error::Error + Send + Sync>),
    /// The engine could not load the model (no ONNX Runtime, a broken ONNX file).
    #[error(transparent)]
    Engine(Box<dyn std::error::Error + Send + Sync>),
    /// The tagger could not be built (labels, vocabulary, WordNet, the label bank).
    #[error("{0}")]
    Tagging(String),
    /// The image and text towers embed into spaces of their own, so zero-shot tags are
    /// undefined: the caller can turn tagging off.
    #[error(
        "the image embedding ({image}) and the text embedding ({text}) are not one space, so \
         zero-shot tags are undefined: export both towers with their projections, or turn tagging off"
    )]
    SpacesDiffer {
        /// The image tower's output and length.
        image: String,
        /// The text tower's output and length.
        text: String,
    },
}

impl SetupError {
    pub(crate) fn engine(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Engine(error.into())
    }
}
