//! The output: one JSON object per input, successful ([`ImageRecord`]) or not ([`ErrorRecord`]).
//! The field-by-field reference is `docs/record-format.md`.

use crate::decode::DecodedFrom;
use crate::describe::Description;
use crate::error::ItemError;
use crate::exif::ExifFields;
use crate::face::FaceRecord;
use crate::tag::Tag;
use serde::{Deserialize, Serialize};

/// Version of the record layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Which model produced a record's embedding and tags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelProvenance {
    /// The model's id from its [`ModelSpec`](crate::model::ModelSpec).
    pub id: String,
    /// The engine that ran it.
    pub backend: String,
}

/// Everything Photon learned about one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageRecord {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The input's path (or the name given to in-memory bytes).
    pub file_path: String,
    /// Last component of `file_path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Size of the encoded input in bytes.
    pub file_size: u64,
    /// Modification time, nanoseconds since the Unix epoch (files only); used by resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_mtime_ns: Option<i64>,
    /// BLAKE3 of the input bytes, lowercase hex: a stable content id.
    pub content_hash: String,
    /// Upright width in pixels (EXIF orientation applied).
    pub width: u32,
    /// Upright height in pixels (EXIF orientation applied).
    pub height: u32,
    /// Format detected from the content (`jpeg`, `png`, `webp`, `gif`, `bmp`, `tiff`, `heif`,
    /// `avif`, `jxl`, `mpo`, camera raws as `dng`, `cr2`, `nef`, ...).
    pub format: String,
    /// For a camera raw, where the pixels came from: its embedded `preview` or the `raw` sensor
    /// data developed. Absent for other formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_from: Option<DecodedFrom>,
    /// Camera metadata, when any was readable and EXIF was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exif: Option<ExifFields>,
    /// 64-bit DCT perceptual hash, 16 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perceptual_hash: Option<String>,
    /// Base64 JPEG thumbnail (inline mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// Path of the thumbnail file (directory mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_path: Option<String>,
    /// L2-normalised embedding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
    /// Tags, best first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// The model behind `embedding` and `tags`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelProvenance>,
    /// The faces found, best first, when the face stage ran (`[]`: it found none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces: Option<Vec<FaceRecord>>,
    /// How many faces the detector found, when more than `faces` keeps (a cap cut them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faces_found: Option<u32>,
    /// What a vision-language model said of the image, when the describe stage ran and
    /// succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Description>,
    /// Failures of stages that leave the rest of the record standing (`faces`, `describe`),
    /// one each.
    /// Resume retries a record that has any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ItemError>,
}

/// An input that could not be processed, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ErrorRecord {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// The input's path (or the name given to in-memory bytes).
    pub file_path: String,
    /// Size of the input, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// Modification time, when known; used by resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_mtime_ns: Option<i64>,
    /// BLAKE3 of the input bytes, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// The failure.
    pub error: ItemError,
}

/// One line of output: exactly one per input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Record {
    /// The input failed at some stage.
    Error(ErrorRecord),
    /// The input was processed.
    Image(Box<ImageRecord>),
}

impl Record {
    /// The record's `file_path`.
    pub fn file_path(&self) -> &str {
        match self {
            Record::Image(r) => &r.file_path,
            Record::Error(r) => &r.file_path,
        }
    }

    /// The error, for a failed input.
    pub fn error(&self) -> Option<&ItemError> {
        match self {
            Record::Error(r) => Some(&r.error),
            Record::Image(_) => None,
        }
    }

    /// True for a successfully processed input.
    pub fn is_ok(&self) -> bool {
        matches!(self, Record::Image(_))
    }

    /// Builds the error record of an input that never got past reading.
    pub fn failed(file_path: impl Into<String>, error: ItemError) -> Self {
        Record::Error(ErrorRecord {
            schema_version: SCHEMA_VERSION,
            file_path: file_path.into(),
            file_size: None,
            file_mtime_ns: None,
            content_hash: None,
            error,
        })
    }
}

impl ModelProvenance {
    /// The model `id` run by the engine `backend`.
    pub fn new(id: impl Into<String>, backend: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            backend: backend.into(),
        }
    }
}

impl ImageRecord {
    /// A record with the fields every processed image has, and none of the optional ones; for
    /// readers of other formats (Parquet, a database) that rebuild records field by field.
    pub fn new(
        file_path: impl Into<String>,
        file_size: u64,
        content_hash: impl Into<String>,
        (width, height): (u32, u32),
        format: impl Into<String>,
    ) -> Self {
        let file_path = file_path.into();
        Self {
            schema_version: SCHEMA_VERSION,
            file_name: None,
            file_size,
            file_mtime_ns: None,
            content_hash: content_hash.into(),
            width,
            height,
            format: format.into(),
            decoded_from: None,
            exif: None,
            perceptual_hash: None,
            thumbnail: None,
            thumbnail_path: None,
            embedding: None,
            tags: None,
            model: None,
            faces: None,
            faces_found: None,
            description: None,
            errors: Vec::new(),
            file_path,
        }
    }

    /// Turns a record that failed at a later stage (embedding, tagging) into an error record that
    /// keeps what identifies the input.
    pub fn into_error(self, error: ItemError) -> Record {
        Record::Error(ErrorRecord {
            schema_version: SCHEMA_VERSION,
            file_path: self.file_path,
            file_size: Some(self.file_size),
            file_mtime_ns: self.file_mtime_ns,
            content_hash: Some(self.content_hash),
            error,
        })
    }
}
