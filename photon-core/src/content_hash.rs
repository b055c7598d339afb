//! The stable content id of an input: BLAKE3 of its bytes, as lowercase hex.

/// BLAKE3 of `bytes` as 64 lowercase hex characters.
///
/// ```
/// let id = photon_core::content_hash(b"abc");
/// assert_eq!(id.len(), 64);
/// assert!(id.starts_with("6437b3ac"));
/// ```
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
