//! The error side of a record: which stage failed, a stable machine-readable kind, and a message.
//!
//! Each stage has its own typed error (`ReadError`, `DecodeError`, ...); they all convert into an
//! [`ItemError`] through [`StageError`], which is what an error record carries.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A step of the per-image data flow, named in error records and progress events.
///
/// New stages arrive with new formats and plugins, so match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Stage {
    /// Finding or reading the input bytes (including directory walks).
    Read,
    /// Reading EXIF and XMP metadata. Broken metadata never fails an image (its fields are
    /// dropped), so this stage appears in records only as the stage a time limit cut short.
    Exif,
    /// Turning bytes into pixels.
    Decode,
    /// Computing the perceptual hash.
    PerceptualHash,
    /// Resizing and encoding the thumbnail, or writing it to disk.
    Thumbnail,
    /// Turning pixels into the model's input tensor.
    Preprocess,
    /// Running the embedding model.
    Embed,
    /// Turning model output into tags.
    Tag,
    /// Finding and recognising faces. A failure here keeps the record's other fields.
    Faces,
    /// Describing the image in words (a vision-language model, over the network). A failure
    /// here keeps the record's other fields.
    Describe,
}

impl Stage {
    pub(crate) const ALL: [Stage; 10] = [
        Stage::Read,
        Stage::Exif,
        Stage::Decode,
        Stage::PerceptualHash,
        Stage::Thumbnail,
        Stage::Preprocess,
        Stage::Embed,
        Stage::Tag,
        Stage::Faces,
        Stage::Describe,
    ];

    /// The stage named `name` as records write it (`decode`, `perceptual_hash`, ...).
    pub fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|stage| stage.as_str() == name)
    }

    /// The stage's name as it appears in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Read => "read",
            Stage::Exif => "exif",
            Stage::Decode => "decode",
            Stage::PerceptualHash => "perceptual_hash",
            Stage::Thumbnail => "thumbnail",
            Stage::Preprocess => "preprocess",
            Stage::Embed => "embed",
            Stage::Tag => "tag",
            Stage::Faces => "faces",
            Stage::Describe => "describe",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why one input failed: the payload of an error record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ItemError {
    /// The stage that failed.
    pub stage: Stage,
    /// A stable, snake_case error class, e.g. `limits_exceeded`, `malformed`, `panic`.
    pub kind: String,
    /// A human-readable explanation.
    pub message: String,
}

impl ItemError {
    /// Builds an error from its parts.
    pub fn new(stage: Stage, kind: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            stage,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// The error for a plugin or stage that panicked; the batch goes on without it.
    pub fn panic(stage: Stage, payload: &(dyn std::any::Any + Send)) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-string payload".to_owned());
        Self::new(stage, "panic", format!("panicked: {message}"))
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed ({}): {}", self.stage, self.kind, self.message)
    }
}

impl std::error::Error for ItemError {}

/// A typed stage error that knows which stage it belongs to and its stable kind.
pub(crate) trait StageError: std::error::Error + Sized {
    /// The stage that produced this error.
    fn stage(&self) -> Stage;
    /// A stable snake_case class for machines (the message is for people).
    fn kind(&self) -> &'static str;

    /// Converts into the record payload; the message carries the causes too, outermost first,
    /// as a record has no other place for them.
    fn to_item_error(&self) -> ItemError {
        ItemError::new(self.stage(), self.kind(), with_causes(self))
    }
}

/// Runs one stage, turning a panic inside it into an [`ItemError`] for that stage.
pub(crate) fn catch_stage<T>(stage: Stage, f: impl FnOnce() -> T) -> Result<T, ItemError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|payload| ItemError::panic(stage, payload.as_ref()))
}

/// An error and its causes as one line, outermost first (`cannot read a.jpg: permission
/// denied`), as records write them: Photon's errors keep their causes as
/// [`source`](std::error::Error::source) and never repeat them in their own message.
///
/// ```
/// let io = std::io::Error::other("disk on fire");
/// let error = photon_core::SinkError::from(io);
/// assert_eq!(photon_core::with_causes(&error), "cannot write output: disk on fire");
/// ```
pub fn with_causes(error: &(dyn std::error::Error + '_)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        cause = inner.source();
    }
    message
}
