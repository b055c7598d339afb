//! BMP headers the `image` crate refuses and Pillow reads, rewritten into the form it takes: an
//! OS/2 2.x info header (64 bytes, whose first 40 are Windows' BITMAPINFOHEADER), a plane count
//! other than 1 (meaningless in a file), and a top-down RLE bitmap (stored first row first; read
//! bottom-up, then flipped back).

const FILE_HEADER: usize = 14;
const WINDOWS_INFO_HEADER: u32 = 40;
const OS2_V2_INFO_HEADER: u32 = 64;

/// A BMP the `image` crate can read, and whether its rows must then be flipped; `None` when
/// nothing here applies.
pub(super) fn repaired_bmp(bytes: &[u8]) -> Option<(Vec<u8>, bool)> {
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let info_size = u32_at(FILE_HEADER)?;
    // Every field read or written below lies in the file header and the first 40 bytes of the
    // info header (and, for OS/2 2.x, the 24 bytes dropped after them).
    let needed = FILE_HEADER + info_size.min(OS2_V2_INFO_HEADER) as usize;
    if !bytes.starts_with(b"BM") || info_size < WINDOWS_INFO_HEADER || bytes.len() < needed {
        return None;
    }
    let mut fixed = bytes.to_vec();
    let mut changed = false;
    if info_size == OS2_V2_INFO_HEADER {
        let dropped = (OS2_V2_INFO_HEADER - WINDOWS_INFO_HEADER) as usize;
        let start = FILE_HEADER + WINDOWS_INFO_HEADER as usize;
        fixed.drain(start..start + dropped);
        fixed[FILE_HEADER..FILE_HEADER + 4].copy_from_slice(&WINDOWS_INFO_HEADER.to_le_bytes());
        let offset = u32_at(10)?.checked_sub(dropped as u32)?;
        fixed[10..14].copy_from_slice(&offset.to_le_bytes());
        changed = true;
    }
    let planes = FILE_HEADER + 12;
    if u16::from_le_bytes([fixed[planes], fixed[planes + 1]]) != 1 {
        fixed[planes..planes + 2].copy_from_slice(&1u16.to_le_bytes());
        changed = true;
    }
    let height_at = FILE_HEADER + 8;
    let height = i32::from_le_bytes(fixed[height_at..height_at + 4].try_into().ok()?);
    let compression =
        u32::from_le_bytes(fixed[FILE_HEADER + 16..FILE_HEADER + 20].try_into().ok()?);
    let top_down_rle = height < 0 && matches!(compression, 1 | 2);
    if top_down_rle {
        let up = height.checked_neg()?;
        fixed[height_at..height_at + 4].copy_from_slice(&up.to_le_bytes());
        changed = true;
    }
    changed.then_some((fixed, top_down_rle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(info_size: u32, planes: u16, height: i32, compression: u32) -> Vec<u8> {
        let mut b = b"BM".to_vec();
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&(14 + info_size).to_le_bytes());
        b.extend_from_slice(&info_size.to_le_bytes());
        b.extend_from_slice(&4i32.to_le_bytes());
        b.extend_from_slice(&height.to_le_bytes());
        b.extend_from_slice(&planes.to_le_bytes());
        b.extend_from_slice(&8u16.to_le_bytes());
        b.extend_from_slice(&compression.to_le_bytes());
        b.resize(14 + info_size as usize, 0);
        b.extend_from_slice(&[1; 8]);
        b
    }

    #[test]
    fn headers_are_rewritten_only_where_needed() {
        assert!(repaired_bmp(&header(40, 1, 4, 0)).is_none());
        let (os2, flip) = repaired_bmp(&header(64, 1, 4, 0)).unwrap();
        assert!(!flip);
        assert_eq!(os2.len(), 14 + 40 + 8);
        assert_eq!(u32::from_le_bytes(os2[10..14].try_into().unwrap()), 14 + 40);
        assert_eq!(&os2[54..], &[1; 8], "pixel data follows the shorter header");
        let (planes, _) = repaired_bmp(&header(40, 3, 4, 0)).unwrap();
        assert_eq!(planes[26], 1);
        let (rle, flip) = repaired_bmp(&header(40, 1, -4, 1)).unwrap();
        assert!(flip);
        assert_eq!(i32::from_le_bytes(rle[22..26].try_into().unwrap()), 4);
        assert!(repaired_bmp(b"BM").is_none());
        // Cut anywhere inside the headers: nothing to repair, and no panic.
        for whole in [header(64, 3, -4, 1), header(40, 3, -4, 1)] {
            for cut in 0..whole.len() {
                let _ = repaired_bmp(&whole[..cut]);
            }
        }
    }
}
