//! Photon's decoders for the formats cameras and phones write beyond what the `image` crate
//! reads, and the router that picks one per file.
//!
//! photon-core decodes with [`ImageCrateDecoder`](photon_core::ImageCrateDecoder) and builds
//! with nothing but Rust. This crate adds a decoder per format, each behind its feature:
//!
//! | feature | decoder | through |
//! |---|---|---|
//! | `turbojpeg` | `TurboJpegDecoder`: JPEG scaled in the DCT to the size the stages need | the system's libjpeg-turbo (Debian `libturbojpeg0-dev`) |
//! | `heif` | `HeifDecoder`: HEIC/HEIF and AVIF, the container's rotation applied | the system's libheif ≥ 1.14 (Debian `libheif-dev`) |
//! | `jxl` | `JxlDecoder`: JPEG XL, bare or in the container | jxl-oxide (pure Rust) |
//! | `libtiff` | `LibTiffDecoder`: TIFF in every variant archives and scanners write | the system's libtiff ≥ 4.5 (Debian `libtiff-dev`) |
//! | `raw` | `RawDecoder`: camera raws, the embedded preview or the sensor data developed | rawler (pure Rust, LGPL-2.1) |
//!
//! A [`DecoderRouter`] sends each file, by its content ([`Format::detect`]), to the decoder
//! registered for its format; [`default_router`] registers every decoder this build has, and an
//! app can add or replace one for any format.
//!
//! ```
//! use photon_core::Pipeline;
//! use photon_decode::{Format, default_router};
//!
//! let router = default_router();
//! # #[cfg(feature = "jxl")]
//! assert!(router.formats().any(|format| format == Format::JpegXl));
//! let pipeline = Pipeline::builder().decoder(router).build();
//! ```
#![deny(missing_docs)]

#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;

mod format;
#[cfg(feature = "heif")]
mod heif;
#[cfg(feature = "jxl")]
mod jxl;
#[cfg(feature = "libtiff")]
mod libtiff;
#[cfg(feature = "raw")]
mod raw;
mod raw_policy;
mod router;
#[cfg(feature = "turbojpeg")]
mod turbo;
#[cfg(feature = "turbojpeg")]
mod turbo_encode;

pub use format::Format;
#[cfg(feature = "heif")]
pub use heif::HeifDecoder;
#[cfg(feature = "jxl")]
pub use jxl::JxlDecoder;
#[cfg(feature = "libtiff")]
pub use libtiff::LibTiffDecoder;
#[cfg(feature = "raw")]
pub use raw::RawDecoder;
pub use raw_policy::RawPolicy;
pub use router::DecoderRouter;
#[cfg(feature = "turbojpeg")]
pub use turbo::TurboJpegDecoder;
#[cfg(feature = "turbojpeg")]
pub use turbo_encode::TurboJpegEncoder;

use std::sync::Arc;

/// A router with every decoder this build has: camera raws through `RawDecoder` (feature `raw`,
/// taking pixels as `raw` says), HEIF/HEIC and AVIF through `HeifDecoder` (`heif`), JPEG XL
/// through `JxlDecoder` (`jxl`), TIFF through `LibTiffDecoder` (`libtiff`), JPEG through
/// `TurboJpegDecoder` (`turbojpeg`), and the rest through
/// [`ImageCrateDecoder`](photon_core::ImageCrateDecoder).
#[cfg_attr(not(feature = "raw"), allow(unused_variables))]
pub fn default_router_with(raw: RawPolicy) -> DecoderRouter {
    let router = DecoderRouter::default();
    #[cfg(feature = "raw")]
    let router = router.route(Format::CameraRaw, RawDecoder::new(raw));
    #[cfg(feature = "heif")]
    let router = router.route(Format::Heif, HeifDecoder);
    #[cfg(feature = "jxl")]
    let router = router.route(Format::JpegXl, JxlDecoder);
    #[cfg(feature = "libtiff")]
    let router = router.route(Format::Tiff, LibTiffDecoder);
    #[cfg(feature = "turbojpeg")]
    let router = router.route(Format::Jpeg, TurboJpegDecoder);
    router
}

/// [`default_router_with`] the default [`RawPolicy`] (the preview first).
pub fn default_router() -> DecoderRouter {
    default_router_with(RawPolicy::default())
}

/// [`default_router`], shared, as the pipeline builder and the Python package take it.
pub fn default_decoder() -> Arc<dyn photon_core::Decoder> {
    Arc::new(default_router())
}

/// The fastest thumbnail encoder this build has: `TurboJpegEncoder` with the `turbojpeg`
/// feature, else [`ImageCrateJpegEncoder`](photon_core::ImageCrateJpegEncoder).
pub fn default_jpeg_encoder() -> Arc<dyn photon_core::JpegEncoder> {
    #[cfg(feature = "turbojpeg")]
    return Arc::new(TurboJpegEncoder);
    #[cfg(not(feature = "turbojpeg"))]
    Arc::new(photon_core::ImageCrateJpegEncoder)
}
