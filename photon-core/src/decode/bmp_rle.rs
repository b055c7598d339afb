//! RLE-compressed BMPs whose runs go wrong (past the end of a row or of the bitmap), decoded as
//! far as the data goes, as Pillow does; the `image` crate refuses the whole file.

use image::{Rgb, RgbImage};

/// An 8-bit (compression 1) or 4-bit (compression 2) RLE bitmap, bottom-up, with pixels that
/// no run reaches left at palette entry 0. `None` when the headers do not describe one.
pub(super) fn decode_lenient_rle(b: &[u8], max_pixels: u64) -> Option<RgbImage> {
    let u32_at = |at: usize| Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?));
    let u16_at = |at: usize| Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?));
    let (data_at, header) = (usize::try_from(u32_at(10)?).ok()?, u32_at(14)?);
    let width = u32::try_from(i32::from_le_bytes(b.get(18..22)?.try_into().ok()?)).ok()?;
    let height = u32::try_from(i32::from_le_bytes(b.get(22..26)?.try_into().ok()?)).ok()?;
    let (bits, compression) = (u16_at(28)?, u32_at(30)?);
    let four_bit = match (bits, compression) {
        (8, 1) => false,
        (4, 2) => true,
        _ => return None,
    };
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > max_pixels {
        return None;
    }
    let colours = match u32_at(46)? {
        0 => 1 << bits,
        n => n.min(256),
    };
    let table = 14 + usize::try_from(header).ok()?;
    let palette: Vec<Rgb<u8>> = (0..colours as usize)
        .map(|i| {
            let entry = b
                .get(table + 4 * i..table + 4 * i + 3)
                .unwrap_or(&[0, 0, 0]);
            Rgb([entry[2], entry[1], entry[0]])
        })
        .collect();
    let mut indices = vec![0u8; width as usize * height as usize];
    runs(b.get(data_at..)?, width, four_bit, &mut indices);
    let mut image = RgbImage::new(width, height);
    for (i, index) in indices.iter().enumerate() {
        let (x, row) = (i as u32 % width, i as u32 / width);
        let colour = palette
            .get(usize::from(*index))
            .copied()
            .unwrap_or(Rgb([0; 3]));
        image.put_pixel(x, height - 1 - row, colour);
    }
    Some(image)
}

/// Plays the runs into `indices` (row 0 the bottom one) the way Pillow does: an encoded run
/// stops at the end of its row, an absolute run goes on into the next, and what falls past the
/// bitmap is dropped.
fn runs(data: &[u8], width: u32, four_bit: bool, indices: &mut [u8]) {
    let (width, total) = (width as usize, indices.len());
    let (mut pos, mut x, mut at) = (0usize, 0usize, 0usize);
    let nibble = |byte: u8, k: usize| {
        if k.is_multiple_of(2) {
            byte >> 4
        } else {
            byte & 0x0F
        }
    };
    while pos < total {
        let (Some(&count), Some(&value)) = (data.get(at), data.get(at + 1)) else {
            return;
        };
        at += 2;
        match (count, value) {
            (0, 0) => {
                if pos % width != 0 {
                    pos += width - pos % width;
                }
                x = 0;
            }
            (0, 1) => return,
            (0, 2) => {
                let (Some(&right), Some(&up)) = (data.get(at), data.get(at + 1)) else {
                    return;
                };
                at += 2;
                pos += usize::from(right) + usize::from(up) * width;
                x = pos % width;
            }
            (0, n) => {
                let n = usize::from(n);
                let bytes = if four_bit { n.div_ceil(2) } else { n };
                for k in 0..n {
                    let Some(&byte) = data.get(at + if four_bit { k / 2 } else { k }) else {
                        return;
                    };
                    if let Some(slot) = indices.get_mut(pos) {
                        *slot = if four_bit { nibble(byte, k) } else { byte };
                    }
                    pos += 1;
                }
                x += n;
                at += bytes + bytes % 2; // absolute runs are padded to 16 bits
            }
            (n, value) => {
                let n = usize::from(n).min(width.saturating_sub(x));
                for k in 0..n {
                    if let Some(slot) = indices.get_mut(pos) {
                        *slot = if four_bit { nibble(value, k) } else { value };
                    }
                    pos += 1;
                }
                x += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_past_the_row_are_clipped_and_the_rest_still_decodes() {
        let mut indices = vec![9u8; 4 * 2];
        // Row 0: a run of 6 (2 too many), end of line; row 1: absolute 3, end of bitmap.
        let data = [6, 1, 0, 0, 0, 3, 2, 3, 4, 0, 0, 1];
        runs(&data, 4, false, &mut indices);
        assert_eq!(indices, vec![1, 1, 1, 1, 2, 3, 4, 9]);
        // An absolute run longer than the row goes on into the next.
        let mut indices = vec![9u8; 4 * 2];
        runs(&[0, 6, 1, 2, 3, 4, 5, 6, 0, 1], 4, false, &mut indices);
        assert_eq!(indices, vec![1, 2, 3, 4, 5, 6, 9, 9]);
    }
}
