//! Perceptual hash for near-duplicate detection: a 64-bit DCT hash (pHash), compared by Hamming
//! distance. Small distances (≲ 10 of 64 bits) mean visually similar images.

use crate::resize::resize_rgb;
use fast_image_resize::{FilterType, ResizeAlg};
use image::RgbImage;
use image_hasher::{HashAlg, Hasher, HasherConfig};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// A 64-bit perceptual hash, written as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PerceptualHash(pub u64);

impl PerceptualHash {
    /// Number of differing bits, 0 (same) to 64.
    ///
    /// ```
    /// use photon_core::PerceptualHash;
    /// let a: PerceptualHash = "00000000000000ff".parse().unwrap();
    /// let b: PerceptualHash = "000000000000000f".parse().unwrap();
    /// assert_eq!(a.distance(b), 4);
    /// ```
    pub fn distance(self, other: PerceptualHash) -> u32 {
        (self.0 ^ other.0).count_ones()
    }
}

impl fmt::Display for PerceptualHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for PerceptualHash {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        u64::from_str_radix(s, 16).map(PerceptualHash)
    }
}

/// Hamming distance between two hashes as records store them (hex); `None` if either is not a
/// valid 64-bit hex hash.
pub fn hamming_distance(a: &str, b: &str) -> Option<u32> {
    Some(a.parse::<PerceptualHash>().ok()?.distance(b.parse().ok()?))
}

/// Side of the small image the hash is computed from. The hash only looks at low frequencies,
/// so shrinking first (with a SIMD box filter) gives the same bits for far less work.
const WORKING_SIDE: u32 = 64;

fn hasher() -> &'static Hasher {
    static HASHER: OnceLock<Hasher> = OnceLock::new();
    HASHER.get_or_init(|| {
        HasherConfig::new()
            .hash_size(8, 8)
            .hash_alg(HashAlg::Median)
            .preproc_dct()
            .to_hasher()
    })
}

/// Computes the pHash of an upright image.
pub fn perceptual_hash(image: &RgbImage) -> Result<PerceptualHash, String> {
    let small = resize_rgb(
        image,
        WORKING_SIDE,
        WORKING_SIDE,
        ResizeAlg::Convolution(FilterType::Box),
        None,
    )?;
    let hash = hasher().hash_image(&small);
    let bytes: [u8; 8] = hash
        .as_bytes()
        .try_into()
        .map_err(|_| "perceptual hash is not 64 bits".to_owned())?;
    Ok(PerceptualHash(u64::from_be_bytes(bytes)))
}
