//! One-sample images at the depths libtiff's RGBA reader refuses (12-bit scanners, 24- and
//! 32-bit counts from instruments), unpacked here and scaled to 8 bits.

use super::ffi::GreyLayout;

/// 8-bit grey levels for `rows` of `width` samples laid out as `layout` says, stretched from the
/// image's own minimum to its maximum: at these depths the data rarely fills the range the depth
/// allows (a 12-bit sensor's dark frame, photon counts), and scaled by the depth it would show
/// as black.
pub(super) fn to_grey8(rows: &[Vec<u8>], width: usize, layout: GreyLayout) -> Vec<u8> {
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|row| (0..width).map(move |i| sample(row, i, layout)))
        .collect();
    let finite = || values.iter().copied().filter(|v| v.is_finite());
    let (low, high) = (
        finite().fold(f64::MAX, f64::min),
        finite().fold(f64::MIN, f64::max),
    );
    let span = if high > low { high - low } else { 1.0 };
    values
        .iter()
        .map(|v| {
            // NaN saturates to 0 in the cast.
            let level = ((v - low) / span * 255.0).round().clamp(0.0, 255.0) as u8;
            if layout.white_is_zero {
                255 - level
            } else {
                level
            }
        })
        .collect()
}

/// Sample `i` of a row: byte-sized depths in host order (libtiff has swapped them), others
/// packed from the most significant bit.
fn sample(row: &[u8], i: usize, layout: GreyLayout) -> f64 {
    let bits = usize::from(layout.bits);
    let unsigned = match bits {
        8 => u64::from(row.get(i).copied().unwrap_or(0)),
        16 | 24 | 32 => {
            let width = bits / 8;
            let mut word = [0u8; 8];
            if let Some(bytes) = row.get(i * width..(i + 1) * width) {
                word[..width].copy_from_slice(bytes);
            }
            if cfg!(target_endian = "big") {
                word[..width].reverse();
            }
            u64::from_le_bytes(word)
        }
        _ => packed(row, i * bits, bits),
    };
    if layout.float && bits == 32 {
        f64::from(f32::from_bits(unsigned as u32))
    } else if layout.signed && unsigned >> (bits - 1) & 1 == 1 {
        (unsigned as i64 - (1i64 << bits)) as f64
    } else {
        unsigned as f64
    }
}

fn packed(row: &[u8], first_bit: usize, bits: usize) -> u64 {
    (first_bit..first_bit + bits).fold(0u64, |value, bit| {
        let byte = row.get(bit / 8).copied().unwrap_or(0);
        value << 1 | u64::from(byte >> (7 - bit % 8) & 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(bits: u16, signed: bool) -> GreyLayout {
        GreyLayout {
            bits,
            signed,
            float: false,
            white_is_zero: false,
        }
    }

    #[test]
    fn twelve_bit_samples_unpack_from_the_high_bit() {
        // 0x000, 0xFFF, 0x800 packed: 000 FFF | 800 (pad)
        let row = vec![0x00, 0x0F, 0xFF, 0x80, 0x00, 0x00];
        assert_eq!(to_grey8(&[row], 3, layout(12, false)), vec![0, 255, 128]);
    }

    #[test]
    fn deep_samples_stretch_to_the_image_range() {
        let words: Vec<u8> = [10u32, 20, 30]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        assert_eq!(to_grey8(&[words], 3, layout(32, false)), vec![0, 128, 255]);
        let signed: Vec<u8> = [-5i32, 5].iter().flat_map(|w| w.to_ne_bytes()).collect();
        assert_eq!(to_grey8(&[signed], 2, layout(32, true)), vec![0, 255]);
        let floats: Vec<u8> = [0.5f32, 1.5, f32::NAN]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        let float = GreyLayout {
            float: true,
            ..layout(32, false)
        };
        assert_eq!(to_grey8(&[floats], 3, float), vec![0, 255, 0]);
    }
}
