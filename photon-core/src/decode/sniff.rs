//! What a file's bytes say before any decoder runs: container signatures and header facts.
//!
//! The image-crate decoder checks files with these, and photon-decode's decoders and router use
//! the same functions, so every decoder tells a camera raw, an MPO or a truncated JPEG the same
//! way.
//!
//! ```
//! use photon_core::sniff::{JpegEnd, jpeg_end, jpeg_size};
//!
//! let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/photos/dog.jpg")).unwrap();
//! assert_eq!(jpeg_size(&jpeg), Some((768, 576)));
//! assert_eq!(jpeg_end(&jpeg), JpegEnd::Complete);
//! assert_eq!(jpeg_end(&jpeg[..jpeg.len() / 2]), JpegEnd::Truncated);
//! ```

pub use super::integrity::{
    JpegEnd, camera_raw_format, jpeg_end, jpeg_format_name, jpeg_is_progressive, jpeg_size,
    jpeg_without_header_gaps, tiff_camera_raw,
};
pub use crate::tiff_bytes::TiffBytes;
