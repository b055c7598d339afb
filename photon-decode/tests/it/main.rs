//! photon-decode's integration tests, one binary (every decoder feature on): HEIF, JPEG XL, camera raws and TIFF variants against references.

mod heif;
mod jxl;
mod raw;
mod variants;
