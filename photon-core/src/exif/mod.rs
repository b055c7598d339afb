//! Camera metadata read from the bytes already in memory: the EXIF block (JPEG APP1, PNG eXIf,
//! TIFF, WebP, HEIF) and, for fields EXIF lacks, the XMP packet (common in PNGs from editors).
//!
//! Metadata in the wild is often broken. The rule here: a field that is missing, malformed or
//! physically absurd is left out, never guessed, and never fails the image.

mod canon;
mod tiff_block;
mod xmp;

use serde::{Deserialize, Serialize};

/// The EXIF fields a record carries. Every field is optional; absent ones are not serialised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExifFields {
    /// When the picture was taken, `YYYY-MM-DDTHH:MM:SS[.fff][±HH:MM]` (the offset only when the
    /// camera recorded one; otherwise the camera's local time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured_at: Option<String>,
    /// Camera maker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_make: Option<String>,
    /// Camera model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera_model: Option<String>,
    /// Lens model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lens_model: Option<String>,
    /// Latitude in signed decimal degrees (south negative); only with a valid longitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_latitude: Option<f64>,
    /// Longitude in signed decimal degrees (west negative); only with a valid latitude.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps_longitude: Option<f64>,
    /// ISO speed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<u32>,
    /// F-number (e.g. 2.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aperture: Option<f64>,
    /// Exposure time in seconds (e.g. 0.004 for 1/250 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutter_speed: Option<f64>,
    /// Focal length in millimetres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focal_length: Option<f64>,
    /// EXIF orientation, 1 to 8. The record's pixels and size already have it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orientation: Option<u8>,
}

impl ExifFields {
    /// True when no field could be read.
    pub fn is_empty(&self) -> bool {
        *self == ExifFields::default()
    }
}

impl ExifFields {
    /// Fills the fields `self` lacks from `other`.
    fn or(self, other: ExifFields) -> ExifFields {
        ExifFields {
            captured_at: self.captured_at.or(other.captured_at),
            camera_make: self.camera_make.or(other.camera_make),
            camera_model: self.camera_model.or(other.camera_model),
            lens_model: self.lens_model.or(other.lens_model),
            gps_latitude: self.gps_latitude.or(other.gps_latitude),
            gps_longitude: self.gps_longitude.or(other.gps_longitude),
            iso: self.iso.or(other.iso),
            aperture: self.aperture.or(other.aperture),
            shutter_speed: self.shutter_speed.or(other.shutter_speed),
            focal_length: self.focal_length.or(other.focal_length),
            orientation: self.orientation.or(other.orientation),
        }
    }

    /// Drops values no camera can produce; sentinels such as 0xFFFFFFFF are common.
    fn sanitized(self) -> ExifFields {
        let gps_ok = matches!(
            (self.gps_latitude, self.gps_longitude),
            (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0
        );
        ExifFields {
            iso: self.iso.filter(|v| (1..=10_000_000).contains(v)),
            aperture: self.aperture.filter(|v| (0.3..=1024.0).contains(v)),
            // Anything beyond a day is a sentinel, not an exposure.
            shutter_speed: self.shutter_speed.filter(|v| *v > 0.0 && *v <= 86_400.0),
            focal_length: self.focal_length.filter(|v| *v > 0.0 && *v <= 100_000.0),
            orientation: self.orientation.filter(|v| (1..=8).contains(v)),
            gps_latitude: self.gps_latitude.filter(|_| gps_ok),
            gps_longitude: self.gps_longitude.filter(|_| gps_ok),
            captured_at: self.captured_at,
            camera_make: clean_text(self.camera_make),
            camera_model: clean_text(self.camera_model),
            lens_model: clean_text(self.lens_model),
        }
    }
}

fn clean_text(text: Option<String>) -> Option<String> {
    let text = text?;
    let trimmed = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!trimmed.is_empty() && !trimmed.chars().any(char::is_control)).then(|| trimmed.to_owned())
}

/// Reads camera metadata from an encoded image: EXIF first, XMP for what EXIF lacks. `None`
/// when there is none, or none of it is usable.
///
/// ```
/// // Not an image container at all: no metadata, no error.
/// assert!(photon_core::read_exif(b"plain text").is_none());
/// ```
pub fn read_exif(bytes: &[u8]) -> Option<ExifFields> {
    let from_exif = tiff_block::read(bytes).unwrap_or_default();
    let fields = from_exif
        .or(xmp::read(bytes).unwrap_or_default())
        .sanitized();
    (!fields.is_empty()).then_some(fields)
}

/// Only the orientation (1-8), for callers that skip the rest of the metadata.
pub fn read_orientation(bytes: &[u8]) -> Option<u8> {
    tiff_block::read_orientation(bytes)
        .or_else(|| xmp::read(bytes).and_then(|x| x.orientation))
        .filter(|v| (1..=8).contains(v))
}
