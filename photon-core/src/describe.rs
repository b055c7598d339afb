//! Descriptions as a pipeline stage: the [`Describer`] plugin, the image it is given, and what a
//! record keeps of its answer.
//!
//! photon-describe implements the describer over the HTTP APIs people run (OpenAI-compatible
//! servers, Anthropic's Messages); an app may bring its own.

use crate::error::{Stage, StageError};
use crate::exif::ExifFields;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A sentence or two about one photo, as records keep it, with what made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Description {
    /// The model's words.
    pub text: String,
    /// The describer's provider (`openai`, `anthropic`, ...).
    pub provider: String,
    /// The model that wrote it, as the provider names it.
    pub model: String,
    /// A digest of the prompt it was asked with (see [`prompt_hash`]).
    pub prompt_hash: String,
    /// Tokens the provider counted for the request, when it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Tokens the provider counted for the answer, when it said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
}

impl Description {
    /// `text` as the describer `by` wrote it, without token counts.
    pub fn new(text: impl Into<String>, by: &DescriberId) -> Self {
        Self {
            text: text.into(),
            provider: by.provider.clone(),
            model: by.model.clone(),
            prompt_hash: by.prompt_hash.clone(),
            input_tokens: None,
            output_tokens: None,
        }
    }

    /// With the token counts the provider reported.
    pub fn with_usage(mut self, input_tokens: Option<u64>, output_tokens: Option<u64>) -> Self {
        self.input_tokens = input_tokens;
        self.output_tokens = output_tokens;
        self
    }

    /// Whether the describer `id` made it: same provider, model and prompt.
    pub fn made_by(&self, id: &DescriberId) -> bool {
        self.provider == id.provider && self.model == id.model && self.prompt_hash == id.prompt_hash
    }
}

/// Which provider, model and prompt a describer answers with. A resumed run describes an image
/// again only when its description was made by another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DescriberId {
    /// The provider's name.
    pub provider: String,
    /// The model's name, as the provider knows it.
    pub model: String,
    /// [`prompt_hash`] of the prompt.
    pub prompt_hash: String,
}

impl DescriberId {
    /// The id of a describer asking `model` of `provider` with `prompt`.
    ///
    /// ```
    /// let id = photon_core::DescriberId::new("openai", "gpt-4o-mini", "Describe the photo.");
    /// assert_eq!(id.prompt_hash, photon_core::prompt_hash("Describe the photo."));
    /// ```
    pub fn new(provider: impl Into<String>, model: impl Into<String>, prompt: &str) -> Self {
        Self {
            provider: provider.into(),
            model: model.into(),
            prompt_hash: prompt_hash(prompt),
        }
    }

    /// The id a record names: provider, model and the [`prompt_hash`] it keeps (the prompt
    /// itself is not in records).
    pub fn from_hash(
        provider: impl Into<String>,
        model: impl Into<String>,
        prompt_hash: impl Into<String>,
    ) -> Self {
        Self {
            provider: provider.into(),
            model: model.into(),
            prompt_hash: prompt_hash.into(),
        }
    }
}

/// The digest records keep of a prompt: the first 16 hex digits of its BLAKE3 hash. Enough to
/// tell prompts apart, short enough for every record to carry.
///
/// ```
/// assert_eq!(photon_core::prompt_hash("a").len(), 16);
/// assert_ne!(photon_core::prompt_hash("a"), photon_core::prompt_hash("b"));
/// ```
pub fn prompt_hash(prompt: &str) -> String {
    blake3::hash(prompt.as_bytes()).to_hex()[..16].to_owned()
}

/// The image a describer is given: never the original file, a JPEG re-encoded from the one
/// upright decode at a bounded size, so a 40 MB raw costs what a small JPEG costs and carries
/// none of the original's metadata.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DescribeImage {
    /// A baseline JPEG with no metadata segments.
    pub jpeg: Vec<u8>,
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// The photo's EXIF fields, only when the run was told to send them
    /// ([`DescribeOptions::send_exif`]).
    pub exif: Option<ExifFields>,
}

impl DescribeImage {
    /// An image from its parts.
    pub fn new(jpeg: Vec<u8>, width: u32, height: u32) -> Self {
        Self {
            jpeg,
            width,
            height,
            exif: None,
        }
    }

    /// With the photo's EXIF fields, for a describer told to send them.
    pub fn with_exif(mut self, exif: Option<ExifFields>) -> Self {
        self.exif = exif;
        self
    }
}

/// How the describe stage prepares each image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DescribeOptions {
    /// The longest side of the JPEG sent, in pixels (never enlarged). Default 768: what the
    /// providers' vision models work at without tiling more.
    pub max_side: u32,
    /// Its JPEG quality. Default 85.
    pub quality: u8,
    /// Gives the describer the photo's EXIF fields (capture time, camera, GPS). Default off:
    /// a third party learns nothing but the pixels unless the user asks.
    pub send_exif: bool,
    /// Records waiting for their description, at most. The local stages go on while this many
    /// wait on the network; past it they wait too, so memory stays bounded. Default 512.
    pub queue: usize,
}

impl Default for DescribeOptions {
    fn default() -> Self {
        Self {
            max_side: 768,
            quality: 85,
            send_exif: false,
            queue: 512,
        }
    }
}

impl DescribeOptions {
    /// Sets [`max_side`](Self::max_side).
    pub fn max_side(mut self, pixels: u32) -> Self {
        self.max_side = pixels.max(1);
        self
    }

    /// Sets [`quality`](Self::quality).
    pub fn quality(mut self, quality: u8) -> Self {
        self.quality = quality.clamp(1, 100);
        self
    }

    /// Sets [`send_exif`](Self::send_exif).
    pub fn send_exif(mut self, send: bool) -> Self {
        self.send_exif = send;
        self
    }

    /// Sets [`queue`](Self::queue).
    pub fn queue(mut self, records: usize) -> Self {
        self.queue = records.max(1);
        self
    }
}

/// Why an image got no description: the record keeps its other fields and carries this as an
/// error of stage `describe`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct DescribeError {
    kind: &'static str,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl DescribeError {
    /// A failure of `kind` (snake_case: `timeout`, `rate_limited`, `budget`, ...) with no
    /// underlying error.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The kind records write (`timeout`, `rate_limited`, ...).
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Keeps `source` as the cause.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }
}

impl StageError for DescribeError {
    fn stage(&self) -> Stage {
        Stage::Describe
    }
    fn kind(&self) -> &'static str {
        self.kind
    }
}

/// Describes photos in words: the describe stage's plugin.
///
/// # Contract
/// - [`describe`](Describer::describe) gets one image, a JPEG re-encoded by the stage (see
///   [`DescribeImage`]), after the image's local stages are done; the record waits for it, the
///   local stages of other images do not.
/// - It waits (on a network, a server): it must not block the async threads, and it bounds its
///   own waits, as the driver puts no time limit on it.
/// - Up to [`concurrency`](Describer::concurrency) calls run at once, never more.
/// - Its answer is made by [`id`](Describer::id): a resumed run describes again only the images
///   whose description another provider, model or prompt made.
/// - A failure is that image's error of stage `describe`; a panic is caught and treated the
///   same. The record keeps every other field, and the run goes on.
///
/// `Arc<D>`, `Box<D>` and `&D` are describers when `D` is.
///
/// ```
/// use async_trait::async_trait;
/// use photon_core::*;
///
/// /// Describes every photo by its shape.
/// struct Shape(DescriberId);
///
/// #[async_trait]
/// impl Describer for Shape {
///     fn id(&self) -> DescriberId { self.0.clone() }
///     async fn describe(&self, image: DescribeImage) -> Result<Description, DescribeError> {
///         let shape = if image.width >= image.height { "landscape" } else { "portrait" };
///         Ok(Description::new(format!("A {shape} photo."), &self.0))
///     }
/// }
///
/// let shape = Shape(DescriberId::new("local", "shape", "What shape is it?"));
/// let image = DescribeImage::new(Vec::new(), 768, 512);
/// let said = futures_util::FutureExt::now_or_never(shape.describe(image)).unwrap().unwrap();
/// assert_eq!(said.text, "A landscape photo.");
/// ```
#[async_trait]
pub trait Describer: Send + Sync {
    /// The provider, model and prompt its descriptions are made with; read once per run.
    fn id(&self) -> DescriberId;

    /// Calls at once, at most. Default 1.
    fn concurrency(&self) -> usize {
        1
    }

    /// Describes one image.
    async fn describe(&self, image: DescribeImage) -> Result<Description, DescribeError>;
}

/// Forwards every method, the defaulted ones included.
macro_rules! forward_describer {
    ($($wrapper:ty),*) => {$(
        #[async_trait]
        impl<D: Describer + ?Sized> Describer for $wrapper {
            fn id(&self) -> DescriberId {
                (**self).id()
            }
            fn concurrency(&self) -> usize {
                (**self).concurrency()
            }
            async fn describe(&self, image: DescribeImage) -> Result<Description, DescribeError> {
                (**self).describe(image).await
            }
        }
    )*};
}

forward_describer!(Arc<D>, Box<D>, &D);
